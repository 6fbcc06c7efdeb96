// Bad input through the engine and the CLI: truncated, bit-flipped, empty and non-image files,
// hostile headers, and the unusual but valid variants (1x1, 16-bit, palette, interlaced PNG;
// CMYK, progressive, arithmetic JPEG). Every failure must be a typed error, never a crash.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::test;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encoded(int width, int height, OutputFormat format, bool progressive = false,
              std::uint64_t seed = 9) {
  const OwnedImage image = make_demo_image(width, height, PixelFormat::kRgb8, seed);
  EncodeOptions options;
  options.format = format;
  options.jpeg.progressive = progressive;
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  return *bytes;
}

GridSpec tiles(int side, EdgePolicy edge = EdgePolicy::kClip) {
  GridSpec grid;
  grid.tile_width = grid.tile_height = side;
  grid.edge = edge;
  return grid;
}

EncodeOptions png_out() {
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  return options;
}

EngineOptions engine_options(bool allow_truncated = false,
                             std::uint64_t max_pixels = std::uint64_t{1} << 30) {
  EngineOptions options;
  options.threads = 2;
  options.decode.allow_truncated = allow_truncated;
  options.decode.max_pixels = max_pixels;
  return options;
}

Result<std::vector<EncodedCrop>> cut(const Bytes& bytes, const std::string& name,
                                     const EngineOptions& options = engine_options(),
                                     const EncodeOptions& encode = png_out(), int tile = 16) {
  return encode_crops(InputBytes::borrow(bytes, name), PlanSpec(tiles(tile)), encode, options);
}

bool is_data_error(ErrorCode code) {
  return code == ErrorCode::kCorruptData || code == ErrorCode::kTruncatedData ||
         code == ErrorCode::kUnsupportedFormat || code == ErrorCode::kTooLarge;
}

// Every crop (PNG, lossless) equals the same region of the source decoded on its own.
void check_crops_equal_source(const Bytes& bytes, const std::string& name, int tile = 16) {
  INFO(name);
  auto source = decode_whole(InputBytes::borrow(bytes, name));
  REQUIRE(source.ok());
  auto crops = cut(bytes, name, engine_options(), png_out(), tile);
  REQUIRE(crops.ok());
  const int across = (source->width + tile - 1) / tile;
  const int down = (source->height + tile - 1) / tile;
  REQUIRE(crops->size() == static_cast<std::size_t>(across * down));
  for (const EncodedCrop& crop : *crops) {
    auto pixels = decode_whole(InputBytes::from_vector(crop.bytes));
    REQUIRE(pixels.ok());
    REQUIRE(pixels->format == source->format);
    CHECK(same_pixels(pixels->view(),
                      source->view().crop(crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h)));
  }
}

std::uint32_t crc32_of(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_chunk(Bytes& out, const char* type, const Bytes& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, crc32_of(out.data() + start, out.size() - start));
}

// A PNG whose header claims width x height RGB pixels, with no image data behind it.
Bytes png_header_only(std::uint32_t width, std::uint32_t height) {
  Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IEND", {});
  return out;
}

// A small real JPEG whose SOF0 is patched to claim width x height.
Bytes jpeg_claiming(std::uint16_t width, std::uint16_t height) {
  Bytes jpeg = encoded(16, 16, OutputFormat::kJpeg);
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {
      jpeg[i + 5] = static_cast<std::uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<std::uint8_t>(height & 0xff);
      jpeg[i + 7] = static_cast<std::uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<std::uint8_t>(width & 0xff);
      return jpeg;
    }
  }
  FAIL("no SOF0 in the test JPEG");
  return jpeg;
}

// A CMYK JPEG written through libjpeg directly (the encoder under test never writes CMYK).
Bytes cmyk_jpeg(const OwnedImage& cmyk) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = static_cast<JDIMENSION>(cmyk.width);
  cinfo.image_height = static_cast<JDIMENSION>(cmyk.height);
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(cmyk.pixels.data() + cinfo.next_scanline * cmyk.stride());
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes bytes(out, out + size);
  jpeg_destroy_compress(&cinfo);
  std::free(out);
  return bytes;
}

// ---- the CLI

}  // namespace

TEST_CASE("JPEG truncated at every twentieth fails by default and decodes with allow_truncated",
          "[bad_input][jpeg][engine]") {
  const Bytes jpeg = encoded(96, 80, OutputFormat::kJpeg);
  int accepted = 0;
  for (int k = 1; k < 20; ++k) {
    const std::size_t size = jpeg.size() * static_cast<std::size_t>(k) / 20;
    INFO("cut at " << size << " of " << jpeg.size() << " bytes");
    const Bytes cut_bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(size));
    auto strict = cut(cut_bytes, "cut.jpg");
    REQUIRE_FALSE(strict.ok());
    CHECK(is_data_error(strict.error().code));
    CHECK(strict.error().message.find("cut.jpg") != std::string::npos);

    auto lenient = cut(cut_bytes, "cut.jpg", engine_options(true));
    DecodeOptions allow_truncated;
    allow_truncated.allow_truncated = true;
    const bool header_complete =
        open_decoder(InputBytes::borrow(cut_bytes), DecodeOptions{}).ok() ||
        open_decoder(InputBytes::borrow(cut_bytes), allow_truncated).ok();
    if (header_complete) {
      REQUIRE(lenient.ok());
      CHECK(lenient->size() == 30);  // 96x80 in 16x16 tiles
      ++accepted;
    } else {
      REQUIRE_FALSE(lenient.ok());
      CHECK(is_data_error(lenient.error().code));
    }
  }
  CHECK(accepted >= 17);  // the header is the first few hundred bytes
}

TEST_CASE("PNG truncated at every twentieth is a typed error", "[bad_input][png][engine]") {
  const Bytes png = encoded(96, 80, OutputFormat::kPng);
  for (int k = 0; k < 20; ++k) {
    const std::size_t size = png.size() * static_cast<std::size_t>(k) / 20;
    INFO("cut at " << size);
    auto result = cut(Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(size)),
                      "cut.png", engine_options(true));
    REQUIRE_FALSE(result.ok());
    CHECK(is_data_error(result.error().code));
    CHECK_FALSE(result.error().message.empty());
  }
}

TEST_CASE("200 bit-flipped JPEGs and PNGs never crash the engine", "[bad_input][engine]") {
  std::mt19937_64 random(77);
  for (const OutputFormat format : {OutputFormat::kJpeg, OutputFormat::kPng}) {
    const Bytes original = encoded(64, 48, format);
    int failed = 0;
    for (int variant = 0; variant < 200; ++variant) {
      Bytes bytes = original;
      const int flips = 1 + static_cast<int>(random() % 8);
      for (int i = 0; i < flips; ++i)
        bytes[random() % bytes.size()] ^= static_cast<std::uint8_t>(1u << (random() % 8));
      INFO("variant " << variant);
      auto result = cut(bytes, "flipped");
      if (result.ok()) {
        CHECK(result->size() == 12);
        for (const EncodedCrop& crop : *result) CHECK_FALSE(crop.bytes.empty());
      } else {
        ++failed;
        CHECK(result.error().code != ErrorCode::kInternal);
        CHECK(result.error().message.find("flipped") != std::string::npos);
      }
    }
    CHECK(failed > 0);  // flips in the header or a checksum must be caught
  }
}

TEST_CASE("an empty file and a text file are unsupported, by the engine and the CLI",
          "[bad_input][engine][cli]") {
  const std::string text = "x,y,w,h\n0,0,10,10\n";
  for (const Bytes& bytes : {Bytes{}, Bytes(text.begin(), text.end())}) {
    auto result = cut(bytes, "input");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnsupportedFormat);
  }
  TempDir dir;
  write_bytes(dir / "empty.jpg", {});
  write_bytes(dir / "notes.png", Bytes(text.begin(), text.end()));
  const CliOutcome run = run_tessera(dir, "tile empty.jpg notes.png --tile 8 -o out --quiet");
  CHECK(run.code == 1);
  CHECK(run.err.find("empty.jpg") != std::string::npos);
  CHECK(run.err.find("notes.png") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "out" / "empty"));
  CHECK_FALSE(fs::exists(dir.path() / "out" / "notes"));
}

TEST_CASE("a 100000x100000 PNG header is refused by --max-pixels before any allocation",
          "[bad_input][png][cli]") {
  const Bytes huge = png_header_only(100000, 100000);
  auto result = cut(huge, "huge.png");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::kTooLarge);
  CHECK(result.error().message.find("huge.png") != std::string::npos);

  TempDir dir;
  write_bytes(dir / "huge.png", huge);
  const CliOutcome run = run_tessera(dir, "tile huge.png --tile 256 --json --quiet");
  CHECK(run.code == 1);
  CHECK(run.err.find("max-pixels") != std::string::npos);
  const auto summary = last_json_line(run.out);
  CHECK(summary["failed_images"] == 1);
  CHECK(summary["pixels_decoded"] == 0);
  // 10^10 RGB pixels would be 30 GB; the process never came near even one row of them.
  CHECK(summary["peak_rss_mb"].get<double>() < 200.0);
}

TEST_CASE("a tiny JPEG claiming 65500x65500 is refused from its header", "[bad_input][jpeg][cli]") {
  const Bytes liar = jpeg_claiming(65500, 65500);
  REQUIRE(liar.size() < 1000);
  auto by_limit = cut(liar, "liar.jpg");
  REQUIRE_FALSE(by_limit.ok());
  CHECK(by_limit.error().code == ErrorCode::kTooLarge);
  // With the limit raised, the data check refuses it before libjpeg would fill 4 GP with grey.
  auto by_size = cut(liar, "liar.jpg", engine_options(false, std::uint64_t{5'000'000'000}));
  REQUIRE_FALSE(by_size.ok());
  CHECK(by_size.error().code == ErrorCode::kTruncatedData);
  CHECK(by_size.error().message.find("8x8 block") != std::string::npos);

  TempDir dir;
  write_bytes(dir / "liar.jpg", liar);
  for (const std::string limit : {"", "--max-pixels 5000000000"}) {
    INFO(limit);
    const CliOutcome run = run_tessera(dir, "tile liar.jpg --tile 256 --json --quiet " + limit);
    CHECK(run.code == 1);
    CHECK(run.err.find("liar.jpg") != std::string::npos);
    const auto summary = last_json_line(run.out);
    CHECK(summary["pixels_decoded"] == 0);
    CHECK(summary["peak_rss_mb"].get<double>() < 200.0);
  }
}

TEST_CASE("a 1x1 image is cut into one crop equal to its pixel", "[bad_input][engine]") {
  check_crops_equal_source(encoded(1, 1, OutputFormat::kPng), "one.png", 1);
  check_crops_equal_source(encoded(1, 1, OutputFormat::kJpeg), "one.jpg", 1);
  check_crops_equal_source(encoded(1, 1, OutputFormat::kPng), "one.png", 16);  // clipped to 1x1
}

TEST_CASE("16-bit, palette and interlaced PNGs crop to the decoded source",
          "[bad_input][png][engine]") {
  for (const char* name : {"basn0g16.png", "basn2c16.png", "basn6a16.png", "basn3p08.png",
                           "basn3p02.png", "basi2c08.png", "basi6a16.png", "basi3p08.png"}) {
    check_crops_equal_source(read_file(data_path(std::string("pngsuite/") + name)), name, 8);
  }
}

TEST_CASE("CMYK, progressive and arithmetic JPEGs crop to the decoded source",
          "[bad_input][jpeg][engine]") {
  const OwnedImage ink = random_image(40, 24, PixelFormat::kRgba8, 4);
  const Bytes cmyk = cmyk_jpeg(ink);
  auto header = open_decoder(InputBytes::borrow(cmyk));
  REQUIRE(header.ok());
  CHECK((*header)->header().file_channels == 4);
  check_crops_equal_source(cmyk, "cmyk.jpg");

  const Bytes progressive = encoded(72, 40, OutputFormat::kJpeg, true);
  auto progressive_header = open_decoder(InputBytes::borrow(progressive));
  REQUIRE(progressive_header.ok());
  CHECK((*progressive_header)->header().progressive);
  check_crops_equal_source(progressive, "progressive.jpg");

  check_crops_equal_source(read_file(data_path("jpeg/testimgari.jpg")), "testimgari.jpg", 32);
  check_crops_equal_source(read_file(data_path("jpeg/testimgint.jpg")), "testimgint.jpg", 32);
}

TEST_CASE("tessera --allow-truncated accepts a cut JPEG that fails without it",
          "[bad_input][jpeg][cli]") {
  const Bytes jpeg = encoded(96, 80, OutputFormat::kJpeg);
  TempDir dir;
  write_bytes(dir / "cut.jpg",
              Bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2)));
  const CliOutcome strict = run_tessera(dir, "tile cut.jpg --tile 16 -o strict --quiet");
  CHECK(strict.code == 1);
  CHECK(strict.err.find("cut.jpg") != std::string::npos);
  CHECK(strict.err.find("truncated") != std::string::npos);

  const CliOutcome lenient =
      run_tessera(dir, "tile cut.jpg --tile 16 -o lenient --quiet --allow-truncated");
  CHECK(lenient.code == 0);
  CHECK(lenient.err.find("tessera: cut.jpg: warning:") != std::string::npos);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path() / "lenient" / "cut"))
    files += entry.is_regular_file() ? 1 : 0;
  CHECK(files == 30);
}
