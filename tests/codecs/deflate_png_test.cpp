// The libdeflate PNG encoder (the default): lossless for every pixel format, odd size, filter
// and level, as libspng (tessera's decoder) and libpng both decode it; its filter choice is
// libpng's; its worst-case bound holds on noise and a short buffer is refused without a byte
// written past it; a stream cut into several IDAT chunks decodes the same; pngcheck finds
// nothing wrong.
#include <libdeflate.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "png_chunks.hpp"
#include "temp_dir.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "test_images.hpp"

namespace {

using namespace tessera;

constexpr PixelFormat kAllFormats[] = {PixelFormat::kGray8, PixelFormat::kGrayAlpha8,
                                       PixelFormat::kRgb8, PixelFormat::kRgba8};
constexpr PngFilter kAllFilters[] = {PngFilter::kNone,    PngFilter::kSub,   PngFilter::kUp,
                                     PngFilter::kAverage, PngFilter::kPaeth, PngFilter::kAdaptive};
// Width x height, odd and tiny ones included: a single pixel, a single row or column, and
// rows narrower than a pixel's bytes times two (the filters' left edge).
constexpr std::pair<int, int> kSizes[] = {{1, 1}, {1, 9}, {9, 1}, {2, 3}, {37, 23}, {64, 5}};

EncodeOptions deflate_options(int level = 6, PngFilter filter = PngFilter::kAdaptive) {
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  options.png.encoder = PngEncoderLibrary::kLibdeflate;
  options.png.compression_level = level;
  options.png.filter = filter;
  return options;
}

std::vector<std::uint8_t> encode_png(const ImageView& view, const EncodeOptions& options) {
  auto encoded = test::encode_to_vector(view, options);
  if (!encoded) FAIL("encode failed: " << encoded.error().message);
  return std::move(encoded).value();
}

// Photo-like pixels: smooth areas and edges, so every filter wins somewhere.
OwnedImage photo(int width, int height, PixelFormat format, std::uint64_t seed) {
  return make_demo_image(width, height, format, seed);
}

int libpng_format(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8: return PNG_FORMAT_GRAY;
    case PixelFormat::kGrayAlpha8: return PNG_FORMAT_GA;
    case PixelFormat::kRgb8: return PNG_FORMAT_RGB;
    case PixelFormat::kRgba8: return PNG_FORMAT_RGBA;
  }
  return PNG_FORMAT_RGB;
}

// libpng's own decode (its simplified API), checked to hold the file's own format, so no
// conversion happens on the way.
void check_libpng_decodes(const std::vector<std::uint8_t>& png, const ImageView& expected) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&image, png.data(), png.size()) != 0);
  CHECK(image.width == static_cast<png_uint_32>(expected.width));
  CHECK(image.height == static_cast<png_uint_32>(expected.height));
  CHECK(image.format == static_cast<png_uint_32>(libpng_format(expected.format)));
  image.format = static_cast<png_uint_32>(libpng_format(expected.format));
  std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(image));
  const int ok = png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr);
  INFO("libpng: " << image.message);
  REQUIRE(ok != 0);
  const ImageView decoded{pixels.data(), expected.width, expected.height, expected.row_bytes(),
                          expected.format};
  CHECK(test::same_pixels(decoded, expected));
}

// tessera's own decoder, libspng.
void check_libspng_decodes(const std::vector<std::uint8_t>& png, const ImageView& expected) {
  const InputBytes input = InputBytes::from_vector(png, "crop.png");
  auto decoded = test::decode_whole(input, {}, 7);
  if (!decoded) FAIL("libspng decode failed: " << decoded.error().message);
  CHECK(decoded->view().format == expected.format);
  CHECK(test::same_pixels(decoded->view(), expected));
}

std::uint32_t big_endian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

struct Chunk {
  std::string type;
  std::vector<std::uint8_t> data;
};

// Every chunk, with its CRC checked against libdeflate's CRC-32 of type and data.
std::vector<Chunk> chunks_of(const std::vector<std::uint8_t>& png) {
  std::vector<Chunk> chunks;
  REQUIRE(png.size() >= 8);
  std::size_t at = 8;
  while (at < png.size()) {
    REQUIRE(at + 12 <= png.size());
    const std::size_t length = big_endian32(&png[at]);
    REQUIRE(at + 12 + length <= png.size());
    CHECK(big_endian32(&png[at + 8 + length]) == libdeflate_crc32(0, &png[at + 4], 4 + length));
    Chunk chunk{std::string(reinterpret_cast<const char*>(&png[at + 4]), 4), {}};
    chunk.data.assign(&png[at + 8], &png[at + 8] + length);
    chunks.push_back(std::move(chunk));
    at += 12 + length;
  }
  return chunks;
}

// The scanlines (filter byte, filtered row) of a PNG, inflated with libdeflate.
std::vector<std::uint8_t> scanlines_of(const std::vector<std::uint8_t>& png,
                                       const ImageView& view) {
  std::vector<std::uint8_t> zlib;
  for (const Chunk& chunk : chunks_of(png)) {
    if (chunk.type == "IDAT") zlib.insert(zlib.end(), chunk.data.begin(), chunk.data.end());
  }
  std::vector<std::uint8_t> scanlines((view.row_bytes() + 1) *
                                      static_cast<std::size_t>(view.height));
  libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
  REQUIRE(inflater != nullptr);
  const auto rc = libdeflate_zlib_decompress(inflater, zlib.data(), zlib.size(), scanlines.data(),
                                             scanlines.size(), nullptr);
  libdeflate_free_decompressor(inflater);
  REQUIRE(rc == LIBDEFLATE_SUCCESS);
  return scanlines;
}

std::vector<int> filter_bytes(const std::vector<std::uint8_t>& png, const ImageView& view) {
  const auto scanlines = scanlines_of(png, view);
  std::vector<int> filters;
  for (int y = 0; y < view.height; ++y)
    filters.push_back(scanlines[static_cast<std::size_t>(y) * (view.row_bytes() + 1)]);
  return filters;
}

// What libpng writes for the view with its default (all filters, adaptive) choice.
std::vector<std::uint8_t> libpng_encode(const ImageView& view) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(view.width);
  image.height = static_cast<png_uint_32>(view.height);
  image.format = static_cast<png_uint_32>(libpng_format(view.format));
  png_alloc_size_t size = 0;
  const auto stride = static_cast<png_int_32>(view.stride);  // in samples, one byte each
  const int sized =
      png_image_write_to_memory(&image, nullptr, &size, 0, view.data, stride, nullptr);
  INFO("libpng: " << image.message);
  REQUIRE(sized != 0);
  std::vector<std::uint8_t> out(size);
  REQUIRE(png_image_write_to_memory(&image, out.data(), &size, 0, view.data, stride, nullptr) != 0);
  out.resize(size);
  return out;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0)
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("libdeflate PNG is pixel-exact in libspng and libpng for every format, size and filter",
          "[codec][png]") {
  for (PixelFormat format : kAllFormats) {
    const OwnedImage image = photo(80, 40, format, 3);
    for (const auto& [width, height] : kSizes) {
      const ImageView crop = image.view().crop(5, 3, width, height);  // strided, offset
      for (PngFilter filter : kAllFilters) {
        for (int level : {0, 1, 6, 12}) {
          INFO(to_string(format) << " " << width << "x" << height << " filter " << to_string(filter)
                                 << " level " << level);
          const auto png = encode_png(crop, deflate_options(level, filter));
          check_libspng_decodes(png, crop);
          check_libpng_decodes(png, crop);
        }
      }
    }
  }
}

TEST_CASE("libdeflate PNG writes signature, IHDR, one IDAT and IEND with correct CRCs",
          "[codec][png]") {
  const OwnedImage image = photo(33, 17, PixelFormat::kRgba8, 4);
  const auto png = encode_png(image.view(), deflate_options());
  const std::uint8_t signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  REQUIRE(std::equal(std::begin(signature), std::end(signature), png.begin()));
  const auto chunks = chunks_of(png);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].type == "IHDR");
  CHECK(chunks[1].type == "IDAT");
  CHECK(chunks[2].type == "IEND");
  REQUIRE(chunks[0].data.size() == 13);
  CHECK(big_endian32(&chunks[0].data[0]) == 33);
  CHECK(big_endian32(&chunks[0].data[4]) == 17);
  CHECK(chunks[0].data[8] == 8);  // bit depth
  CHECK(chunks[0].data[9] == 6);  // RGBA
  CHECK(chunks[2].data.empty());
}

TEST_CASE("every row carries the filter asked for, and adaptive chooses as libpng does",
          "[codec][png]") {
  for (PixelFormat format : kAllFormats) {
    const OwnedImage image = photo(97, 31, format, 5);
    const ImageView view = image.view();
    INFO(to_string(format));
    const std::pair<PngFilter, int> kFixed[] = {{PngFilter::kNone, 0},
                                                {PngFilter::kSub, 1},
                                                {PngFilter::kUp, 2},
                                                {PngFilter::kAverage, 3},
                                                {PngFilter::kPaeth, 4}};
    for (const auto& [filter, type] : kFixed) {
      const auto filters = filter_bytes(encode_png(view, deflate_options(6, filter)), view);
      CHECK(filters == std::vector<int>(static_cast<std::size_t>(view.height), type));
    }
    // libpng's adaptive choice (minimum sum of absolute differences per row, ties to the
    // earlier filter) is the reference: the same rows must get the same filters.
    const auto ours =
        filter_bytes(encode_png(view, deflate_options(6, PngFilter::kAdaptive)), view);
    const auto libpng = filter_bytes(libpng_encode(view), view);
    CHECK(ours == libpng);
    // A photo gets more than one filter; otherwise the comparison above proves little.
    CHECK(std::set<int>(ours.begin(), ours.end()).size() > 1);
  }
}

TEST_CASE("the filtered rows equal libspng's, byte for byte, for every filter", "[codec][png]") {
  // The scanlines are what is compressed; with the same filter they must not depend on the
  // encoder. libspng, which filters rows itself too, is the independent writer here.
  for (PixelFormat format : kAllFormats) {
    const OwnedImage image = photo(23, 11, format, 6);
    for (PngFilter filter : kAllFilters) {
      INFO(to_string(format) << " " << to_string(filter));
      EncodeOptions spng = deflate_options(0, filter);
      spng.png.encoder = PngEncoderLibrary::kLibspng;
      const auto reference = scanlines_of(encode_png(image.view(), spng), image.view());
      const auto ours =
          scanlines_of(encode_png(image.view(), deflate_options(9, filter)), image.view());
      CHECK(ours == reference);
    }
  }
}

TEST_CASE("libdeflate PNG fits its bound on noise, and a short buffer is refused in bounds",
          "[codec][png]") {
  constexpr std::uint8_t kCanary = 0xa5;
  constexpr std::size_t kGuard = 64;
  for (PixelFormat format : kAllFormats) {
    for (const auto& [width, height] : {std::pair{1, 1}, std::pair{7, 5}, std::pair{130, 70}}) {
      const OwnedImage noise = test::random_image(width, height, format, 9);
      for (int level = 0; level <= 12; ++level) {
        for (PngFilter filter : {PngFilter::kNone, PngFilter::kAdaptive}) {
          INFO(to_string(format) << " " << width << "x" << height << " level " << level
                                 << " filter " << to_string(filter));
          const EncodeOptions options = deflate_options(level, filter);
          const std::size_t bound = max_encoded_size(width, height, format, options);
          std::vector<std::uint8_t> out(bound + kGuard, kCanary);
          auto encoder = make_encoder(OutputFormat::kPng);
          auto size = encoder->encode(noise.view(), options, {out.data(), bound});
          REQUIRE(size.ok());
          CHECK(*size <= bound);
          CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(bound), out.end(),
                            [](std::uint8_t b) { return b == kCanary; }));
          // One byte short of what it needs: an error, and nothing written past the span.
          std::fill(out.begin(), out.end(), kCanary);
          auto short_size = encoder->encode(noise.view(), options, {out.data(), *size - 1});
          REQUIRE_FALSE(short_size.ok());
          CHECK(short_size.error().code == ErrorCode::kBufferTooSmall);
          CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(*size - 1), out.end(),
                            [](std::uint8_t b) { return b == kCanary; }));
        }
      }
    }
  }
}

TEST_CASE("a zlib stream cut into several IDAT chunks decodes the same", "[codec][png]") {
  // Real crops never reach the 2 GiB chunk limit, so the split is tried with small chunks.
  const OwnedImage image = photo(61, 29, PixelFormat::kRgb8, 8);
  const auto whole = encode_png(image.view(), deflate_options());
  const auto chunks = chunks_of(whole);
  REQUIRE(chunks.size() == 3);
  const std::vector<std::uint8_t>& stream = chunks[1].data;
  for (std::size_t max_chunk :
       {std::size_t{1}, std::size_t{100}, stream.size() - 1, stream.size(), stream.size() + 1}) {
    INFO("chunks of " << max_chunk << " bytes for a stream of " << stream.size());
    std::vector<std::uint8_t> out(detail::png::file_size_for_stream(stream.size(), max_chunk));
    detail::png::write_head(out, image.width, image.height, PixelFormat::kRgb8);
    std::copy(stream.begin(), stream.end(),
              out.begin() + static_cast<std::ptrdiff_t>(detail::png::kStreamOffset));
    REQUIRE(detail::png::finish_file(out, stream.size(), max_chunk) == out.size());
    const auto split = chunks_of(out);
    CHECK(split.size() == 2 + (stream.size() + max_chunk - 1) / max_chunk);
    check_libspng_decodes(out, image.view());
    check_libpng_decodes(out, image.view());
    // One byte short: refused, nothing written.
    std::vector<std::uint8_t> small(out.size() - 1, 0);
    CHECK(detail::png::finish_file(small, 0, max_chunk) <= small.size());
    CHECK(detail::png::finish_file(small, stream.size(), max_chunk) == 0);
  }
}

TEST_CASE("libdeflate PNG options are checked with messages that say what to use", "[codec][png]") {
  EncodeOptions options = deflate_options(12);
  CHECK(validate(options).ok());
  options.png.compression_level = 13;
  CHECK(validate(options).error().message ==
        "PNG compression level 13 is out of range for libdeflate; use 0..12");
  options.png.encoder = PngEncoderLibrary::kLibspng;
  options.png.compression_level = 10;
  CHECK(validate(options).error().message ==
        "PNG compression level 10 is out of range for libspng; use 0..9 (levels 10..12 are "
        "libdeflate's)");
  options = deflate_options();
  options.png.strategy = ZlibStrategy::kRle;
  CHECK(validate(options).error().message ==
        "zlib strategy rle is a zlib setting, and libdeflate has no strategies; choose the "
        "libspng PNG encoder or leave the strategy at default");
  options.png.encoder = PngEncoderLibrary::kLibspng;
  CHECK(validate(options).ok());
  // A view with no pixels is refused, not encoded as an empty image.
  const OwnedImage image = photo(4, 4, PixelFormat::kRgb8, 1);
  ImageView empty = image.view();
  empty.width = 0;
  std::vector<std::uint8_t> out(1024);
  auto size = make_encoder(OutputFormat::kPng)->encode(empty, deflate_options(), out);
  REQUIRE_FALSE(size.ok());
  CHECK(size.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("pngcheck finds nothing wrong in libdeflate PNGs", "[codec][png]") {
  if (!on_path("pngcheck")) {
    WARN("pngcheck is not installed (Debian: apt-get install pngcheck); this check is skipped");
    return;
  }
  test::TempDir dir;
  std::vector<std::string> files;
  for (PixelFormat format : kAllFormats) {
    const OwnedImage image = photo(45, 21, format, 2);
    for (PngFilter filter : kAllFilters) {
      for (int level : {0, 6, 12}) {
        const std::string name =
            fmt::format("{}_{}_{}.png", static_cast<int>(format), to_string(filter), level);
        test::write_bytes(dir.path() / name,
                          encode_png(image.view(), deflate_options(level, filter)));
        files.push_back(name);
      }
    }
  }
  std::vector<std::string> args{"-q"};
  args.insert(args.end(), files.begin(), files.end());
  auto check = test::ChildProcess::spawn(dir.path(), "pngcheck", args, "out.txt", "err.txt");
  const int code = check.wait(std::chrono::seconds(60));
  INFO("pngcheck: " << test::read_text(dir.path() / "out.txt")
                    << test::read_text(dir.path() / "err.txt"));
  CHECK(code == 0);
}
