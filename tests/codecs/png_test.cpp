// PNG decoder, and the libspng encoder (the reference; the libdeflate one has
// deflate_png_test.cpp): lossless round trips of strided crops, every option, the worst-case
// size bound, short buffers, truncated files and the pixel limit.
#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "test_images.hpp"

namespace {

using namespace tessera;

constexpr PixelFormat kAllFormats[] = {PixelFormat::kGray8, PixelFormat::kGrayAlpha8,
                                       PixelFormat::kRgb8, PixelFormat::kRgba8};
constexpr PngFilter kAllFilters[] = {PngFilter::kNone,    PngFilter::kSub,   PngFilter::kUp,
                                     PngFilter::kAverage, PngFilter::kPaeth, PngFilter::kAdaptive};
constexpr ZlibStrategy kAllStrategies[] = {ZlibStrategy::kDefault, ZlibStrategy::kFiltered,
                                           ZlibStrategy::kHuffmanOnly, ZlibStrategy::kRle,
                                           ZlibStrategy::kFixed};

EncodeOptions png_options(int level = 6, PngFilter filter = PngFilter::kAdaptive,
                          ZlibStrategy strategy = ZlibStrategy::kDefault) {
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  options.png.compression_level = level;
  options.png.filter = filter;
  options.png.strategy = strategy;
  options.png.encoder = PngEncoderLibrary::kLibspng;
  return options;
}

std::vector<std::uint8_t> encode_png(const ImageView& view, const EncodeOptions& options) {
  auto encoded = test::encode_to_vector(view, options);
  if (!encoded) FAIL("encode failed: " << encoded.error().message);
  return std::move(encoded).value();
}

void check_round_trip(const ImageView& crop, const EncodeOptions& options) {
  const auto encoded = encode_png(crop, options);
  const InputBytes input = InputBytes::from_vector(encoded, "crop.png");
  auto decoder = open_decoder(input);
  REQUIRE(decoder.ok());
  const ImageHeader& header = (*decoder)->header();
  CHECK(header.container == ContainerFormat::kPng);
  CHECK(header.format == crop.format);
  CHECK(header.width == crop.width);
  CHECK(header.height == crop.height);
  CHECK(header.bit_depth == 8);
  CHECK(header.streamable);
  auto decoded = test::decode_whole(input, {}, 5);
  if (!decoded) FAIL("decode failed: " << decoded.error().message);
  CHECK(test::same_pixels(decoded->view(), crop));
}

struct Chunk {
  std::string type;
  std::vector<std::uint8_t> data;
};

std::uint32_t big_endian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

std::vector<Chunk> chunks_of(const std::vector<std::uint8_t>& png) {
  std::vector<Chunk> chunks;
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::uint32_t length = big_endian32(&png[at]);
    REQUIRE(at + 12 + length <= png.size());
    Chunk chunk{std::string(reinterpret_cast<const char*>(&png[at + 4]), 4), {}};
    chunk.data.assign(png.begin() + static_cast<std::ptrdiff_t>(at + 8),
                      png.begin() + static_cast<std::ptrdiff_t>(at + 8 + length));
    chunks.push_back(std::move(chunk));
    at += 12 + length;
  }
  return chunks;
}

// At compression level 0 the zlib stream is a chain of stored blocks, so the filtered
// scanlines can be read back without an inflater.
std::vector<std::uint8_t> stored_payload(const std::vector<std::uint8_t>& png) {
  std::vector<std::uint8_t> zlib;
  for (const Chunk& chunk : chunks_of(png)) {
    if (chunk.type == "IDAT") zlib.insert(zlib.end(), chunk.data.begin(), chunk.data.end());
  }
  std::vector<std::uint8_t> payload;
  std::size_t at = 2;  // zlib header
  bool last = false;
  while (!last) {
    REQUIRE(at + 5 <= zlib.size());
    last = (zlib[at] & 1) != 0;
    REQUIRE(((zlib[at] >> 1) & 3) == 0);  // a stored block
    const std::size_t length = zlib[at + 1] | std::size_t{zlib[at + 2]} << 8;
    REQUIRE(at + 5 + length <= zlib.size());
    payload.insert(payload.end(), zlib.begin() + static_cast<std::ptrdiff_t>(at + 5),
                   zlib.begin() + static_cast<std::ptrdiff_t>(at + 5 + length));
    at += 5 + length;
  }
  return payload;
}

std::vector<int> filter_bytes(const std::vector<std::uint8_t>& png, const ImageView& view) {
  const auto payload = stored_payload(png);
  const std::size_t scanline = 1 + view.row_bytes();
  REQUIRE(payload.size() == scanline * static_cast<std::size_t>(view.height));
  std::vector<int> filters;
  for (int y = 0; y < view.height; ++y)
    filters.push_back(payload[static_cast<std::size_t>(y) * scanline]);
  return filters;
}

}  // namespace

TEST_CASE("PNG round trip is lossless for every pixel format and crop shape", "[codec][png]") {
  for (PixelFormat format : kAllFormats) {
    const OwnedImage image = make_demo_image(61, 47, format, 3);
    const ImageView full = image.view();
    struct Shape {
      const char* name;
      int x, y, w, h;
    };
    const Shape shapes[] = {
        {"whole image", 0, 0, 61, 47},
        {"1x1 top-left", 0, 0, 1, 1},
        {"1x1 bottom-right", 60, 46, 1, 1},
        {"1xN right edge", 60, 0, 1, 47},
        {"Nx1 bottom edge", 0, 46, 61, 1},
        {"17x33 inside", 5, 7, 17, 33},
        {"17x33 at the bottom-right corner", 44, 14, 17, 33},
    };
    for (const Shape& shape : shapes) {
      INFO(to_string(format) << ", " << shape.name);
      check_round_trip(full.crop(shape.x, shape.y, shape.w, shape.h), png_options());
    }
    INFO(to_string(format) << ", random noise");
    const OwnedImage noise = test::random_image(40, 30, format, 11);
    check_round_trip(noise.view().crop(3, 2, 17, 25), png_options());
  }
}

TEST_CASE("PNG round trip is lossless for every filter, strategy and level", "[codec][png]") {
  const OwnedImage image = make_demo_image(64, 64, PixelFormat::kRgb8, 5);
  const ImageView crop = image.view().crop(9, 13, 17, 33);
  for (PngFilter filter : kAllFilters) {
    for (ZlibStrategy strategy : kAllStrategies) {
      for (int level : {0, 1, 6, 9}) {
        INFO("filter " << static_cast<int>(filter) << ", strategy " << static_cast<int>(strategy)
                       << ", level " << level);
        check_round_trip(crop, png_options(level, filter, strategy));
      }
    }
  }
}

TEST_CASE("the PNG filter option decides every row's filter", "[codec][png]") {
  const OwnedImage image = make_demo_image(48, 40, PixelFormat::kRgba8, 2);
  const ImageView crop = image.view().crop(3, 4, 33, 30);
  const std::pair<PngFilter, int> single[] = {{PngFilter::kNone, 0},
                                              {PngFilter::kSub, 1},
                                              {PngFilter::kUp, 2},
                                              {PngFilter::kAverage, 3},
                                              {PngFilter::kPaeth, 4}};
  for (const auto& [filter, type] : single) {
    INFO("filter type " << type);
    const auto filters = filter_bytes(encode_png(crop, png_options(0, filter)), crop);
    CHECK(std::all_of(filters.begin(), filters.end(), [type = type](int f) { return f == type; }));
  }
  const auto adaptive = filter_bytes(encode_png(crop, png_options(0, PngFilter::kAdaptive)), crop);
  CHECK(std::set<int>(adaptive.begin(), adaptive.end()).size() >= 2);
}

TEST_CASE("PNG level and strategy change the compressed stream", "[codec][png]") {
  const OwnedImage image = make_demo_image(96, 64, PixelFormat::kRgb8, 4);
  const ImageView view = image.view();
  const auto stored = encode_png(view, png_options(0));
  const auto best = encode_png(view, png_options(9));
  const auto huffman =
      encode_png(view, png_options(9, PngFilter::kAdaptive, ZlibStrategy::kHuffmanOnly));
  CHECK(best.size() < stored.size());
  CHECK(best.size() < huffman.size());
}

TEST_CASE("PNG worst-case size bound holds for random noise", "[codec][png]") {
  const std::pair<int, int> sizes[] = {{1, 1}, {3, 1}, {1, 3}, {17, 33}, {256, 256}, {1500, 90}};
  for (PixelFormat format : kAllFormats) {
    for (const auto& [width, height] : sizes) {
      const OwnedImage noise = test::random_image(width, height, format, 99);
      for (int level : {0, 9}) {
        for (ZlibStrategy strategy : {ZlibStrategy::kDefault, ZlibStrategy::kFixed}) {
          INFO(to_string(format) << " " << width << "x" << height << " level " << level
                                 << " strategy " << static_cast<int>(strategy));
          const EncodeOptions options = png_options(level, PngFilter::kAdaptive, strategy);
          const std::size_t bound = max_encoded_size(width, height, format, options);
          const auto encoded = encode_png(noise.view(), options);
          CHECK(encoded.size() <= bound);
          // The bound is a worst case, not a guess: within 1% plus the fixed chunks of raw size.
          const std::size_t raw = static_cast<std::size_t>(height) * (1 + noise.view().row_bytes());
          CHECK(bound <= raw + raw / 100 + 128);
          // The bound counts IDAT framing for chunks of 8192 bytes; smaller chunks would break it.
          const auto chunks = chunks_of(encoded);
          for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
            if (chunks[i].type == "IDAT" && chunks[i + 1].type == "IDAT") {
              CHECK(chunks[i].data.size() >= 8192);
            }
          }
          check_round_trip(noise.view(), options);
        }
      }
    }
  }
}

TEST_CASE("PNG encoder never writes past a short buffer and stays reusable", "[codec][png]") {
  const OwnedImage noise = test::random_image(70, 50, PixelFormat::kRgb8, 7);
  const EncodeOptions options = png_options(6);
  const auto exact = encode_png(noise.view(), options);
  auto encoder = make_encoder(OutputFormat::kPng);

  constexpr std::uint8_t kSentinel = 0xa5;
  std::vector<std::uint8_t> buffer(exact.size() + 64, kSentinel);
  const std::span<std::uint8_t> short_span(buffer.data(), exact.size() - 1);
  auto failed = encoder->encode(noise.view(), options, short_span);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kBufferTooSmall);
  CHECK_FALSE(failed.error().message.empty());
  CHECK(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(exact.size() - 1), buffer.end(),
                    [](std::uint8_t b) { return b == kSentinel; }));

  for (int attempt = 0; attempt < 3; ++attempt) {
    auto size = encoder->encode(noise.view(), options, buffer);
    REQUIRE(size.ok());
    REQUIRE(*size == exact.size());
    CHECK(std::equal(exact.begin(), exact.end(), buffer.begin()));
  }
}

TEST_CASE("PNG encoder rejects bad options and views", "[codec][png]") {
  const OwnedImage image = make_demo_image(8, 8, PixelFormat::kGray8);
  std::vector<std::uint8_t> buffer(4096);
  auto encoder = make_encoder(OutputFormat::kPng);
  auto bad_level = encoder->encode(image.view(), png_options(10), buffer);
  REQUIRE_FALSE(bad_level.ok());
  CHECK(bad_level.error().code == ErrorCode::kInvalidArgument);
  ImageView narrow_stride = image.view();
  narrow_stride.stride = 3;
  auto bad_view = encoder->encode(narrow_stride, png_options(), buffer);
  REQUIRE_FALSE(bad_view.ok());
  CHECK(bad_view.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("truncated PNG data is a truncation error naming the input", "[codec][png]") {
  const OwnedImage noise = test::random_image(300, 200, PixelFormat::kRgb8, 5);
  const auto png = encode_png(noise.view(), png_options(0));
  for (std::size_t keep : {png.size() * 6 / 10, png.size() - 20}) {
    INFO("kept " << keep << " of " << png.size() << " bytes");
    std::vector<std::uint8_t> cut(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(keep));
    auto decoded = test::decode_whole(InputBytes::from_vector(cut, "cut.png"));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kTruncatedData);
    CHECK(decoded.error().message.find("cut.png") != std::string::npos);
  }
  std::vector<std::uint8_t> header_only(png.begin(), png.begin() + 20);
  auto opened = open_decoder(InputBytes::from_vector(header_only, "stub.png"));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kTruncatedData);
}

TEST_CASE("PNG streams in bands and checks the pixel limit before decoding", "[codec][png]") {
  const OwnedImage image = make_demo_image(33, 29, PixelFormat::kRgba8, 8);
  const auto png = encode_png(image.view(), png_options());
  const InputBytes input = InputBytes::from_vector(png, "bands.png");
  for (int band : {1, 4, 29, 1000}) {
    INFO("band of " << band << " rows");
    auto decoded = test::decode_whole(input, {}, band);
    REQUIRE(decoded.ok());
    CHECK(test::same_pixels(decoded->view(), image.view()));
  }
  DecodeOptions small;
  small.max_pixels = 33 * 29 - 1;
  auto refused = open_decoder(input, small);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kTooLarge);
  CHECK(refused.error().message.find("bands.png") != std::string::npos);
}
