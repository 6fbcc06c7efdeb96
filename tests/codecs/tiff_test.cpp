// TIFF decoding: every layout and compression gives the pixels libtiff's own whole-image read
// gives, streamed in bands; pages; what is refused and how; hostile headers; files that change
// while being read; libtiff's messages kept off stderr.
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "temp_dir.hpp"
#include "tessera/codecs/decoder.hpp"
#include "test_images.hpp"
#include "test_tiff.hpp"

namespace {

using namespace tessera;
using Bytes = std::vector<std::uint8_t>;

// Every row through read_rows(), `band` rows per call, into rows `pad` bytes longer than
// needed, so that a decoder ignoring the stride fails. Then the pixels, packed.
Result<OwnedImage> decode_in_bands(const InputBytes& input, int band,
                                   const DecodeOptions& options = {}) {
  auto decoder = open_decoder(input, options);
  if (!decoder) return std::move(decoder).error();
  const ImageHeader& h = (*decoder)->header();
  const std::size_t row = static_cast<std::size_t>(h.width) * channel_count(h.format);
  const std::size_t stride = row + 5;
  Bytes padded(stride * static_cast<std::size_t>(h.height), 0xee);
  while ((*decoder)->rows_read() < h.height) {
    const int done = (*decoder)->rows_read();
    auto rows = (*decoder)->read_rows(padded.data() + done * stride, stride, band);
    if (!rows) return std::move(rows).error();
    if (*rows == 0) return Error{ErrorCode::kCorruptData, "decoder stopped early"};
  }
  OwnedImage image{h.width, h.height, h.format, {}};
  for (int y = 0; y < h.height; ++y) {
    image.pixels.insert(image.pixels.end(), padded.begin() + y * stride,
                        padded.begin() + y * stride + static_cast<std::ptrdiff_t>(row));
  }
  return image;
}

// libtiff's RGBA read, reduced to the channels of `format` (gray is R).
Bytes reference_pixels(const std::string& path, PixelFormat format) {
  const Bytes rgba = test::libtiff_rgba(path);
  const int channels = channel_count(format);
  Bytes out;
  for (std::size_t i = 0; i < rgba.size(); i += 4) {
    out.insert(out.end(), rgba.begin() + static_cast<std::ptrdiff_t>(i),
               rgba.begin() + static_cast<std::ptrdiff_t>(i) + channels);
  }
  return out;
}

// The stderr output of `body`, which runs with file descriptor 2 sent to a file.
template <class Body>
std::string stderr_of(Body body) {
  std::fflush(stderr);
  FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = ::dup(2);
  ::dup2(::fileno(capture), 2);
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string text(static_cast<std::size_t>(std::ftell(capture)), '\0');
  std::rewind(capture);
  const std::size_t got = std::fread(text.data(), 1, text.size(), capture);
  text.resize(got);
  std::fclose(capture);
  return text;
}

struct Layout {
  const char* name;
  bool tiled;
  int block_width;   // tiles only
  int block_height;  // tile height, or rows per strip
};

// Strips of one row, of several rows, one strip for the image; square, tall and oversized tiles.
constexpr Layout kLayouts[] = {
    {"strips of 1 row", false, 0, 1}, {"strips of 16 rows", false, 0, 16},
    {"one strip", false, 0, 1000},    {"tiles 16x16", true, 16, 16},
    {"tiles 32x48", true, 32, 48},    {"tiles larger than the image", true, 128, 128}};

struct Compression {
  const char* name;
  std::uint16_t value;
};

constexpr Compression kCompressions[] = {{"none", COMPRESSION_NONE},
                                         {"lzw", COMPRESSION_LZW},
                                         {"deflate", COMPRESSION_ADOBE_DEFLATE},
                                         {"packbits", COMPRESSION_PACKBITS},
                                         {"jpeg", COMPRESSION_JPEG}};

// A hand-made little-endian classic TIFF: one IFD of SHORT/LONG single values, then `data`.
// Lets a test state any header at all, including ones libtiff would never write.
struct Tag {
  std::uint16_t id;
  std::uint32_t value;
  std::uint16_t type = TIFF_LONG;
};

Bytes handmade_tiff(std::vector<Tag> tags, const Bytes& data) {
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.id < b.id; });
  Bytes out = {'I', 'I', 42, 0, 8, 0, 0, 0};
  const auto put16 = [&](std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  const auto put32 = [&](std::uint32_t v) {
    put16(v & 0xffff);
    put16(v >> 16);
  };
  const auto data_offset = static_cast<std::uint32_t>(8 + 2 + 12 * tags.size() + 4);
  put16(static_cast<std::uint32_t>(tags.size()));
  for (const Tag& tag : tags) {
    put16(tag.id);
    put16(tag.type);
    put32(1);
    const bool offset = tag.id == TIFFTAG_STRIPOFFSETS || tag.id == TIFFTAG_TILEOFFSETS;
    put32(offset ? data_offset : tag.value);
  }
  put32(0);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// An 8-bit gray image of width x height in one uncompressed strip holding `data`.
std::vector<Tag> gray_strip_tags(std::uint32_t width, std::uint32_t height, std::size_t data) {
  return {{TIFFTAG_IMAGEWIDTH, width},
          {TIFFTAG_IMAGELENGTH, height},
          {TIFFTAG_BITSPERSAMPLE, 8, TIFF_SHORT},
          {TIFFTAG_COMPRESSION, COMPRESSION_NONE, TIFF_SHORT},
          {TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK, TIFF_SHORT},
          {TIFFTAG_STRIPOFFSETS, 0},
          {TIFFTAG_ROWSPERSTRIP, height},
          {TIFFTAG_STRIPBYTECOUNTS, static_cast<std::uint32_t>(data)}};
}

Result<OwnedImage> decode_bytes(const Bytes& bytes, const std::string& name,
                                const DecodeOptions& options = {}) {
  return decode_in_bands(InputBytes::from_vector(bytes, name), 7, options);
}

}  // namespace

TEST_CASE("TIFF magic bytes are sniffed: classic and BigTIFF, both byte orders", "[codec][tiff]") {
  const std::uint8_t classic_le[] = {'I', 'I', 42, 0};
  const std::uint8_t classic_be[] = {'M', 'M', 0, 42};
  const std::uint8_t big_le[] = {'I', 'I', 43, 0};
  const std::uint8_t big_be[] = {'M', 'M', 0, 43};
  CHECK(detect_format(classic_le) == ContainerFormat::kTiff);
  CHECK(detect_format(classic_be) == ContainerFormat::kTiff);
  CHECK(detect_format(big_le) == ContainerFormat::kTiff);
  CHECK(detect_format(big_be) == ContainerFormat::kTiff);
  const std::uint8_t wrong_order[] = {'I', 'I', 0, 42};
  const std::uint8_t other_version[] = {'M', 'M', 0, 44};
  CHECK(detect_format(wrong_order) == ContainerFormat::kOther);
  CHECK(detect_format(other_version) == ContainerFormat::kOther);
  CHECK(detect_format(std::span(classic_le, 3)) == ContainerFormat::kOther);
  CHECK(std::string(to_string(ContainerFormat::kTiff)) == "tiff");
}

TEST_CASE("every TIFF layout and compression decodes to libtiff's whole-image pixels",
          "[codec][tiff]") {
  test::TempDir dir;
  const int width = 75, height = 53;  // odd, so edge tiles and last strips are partial
  int files = 0;
  for (const Layout& layout : kLayouts) {
    for (const Compression& compression : kCompressions) {
      const bool jpeg = compression.value == COMPRESSION_JPEG;
      for (const PixelFormat format : {PixelFormat::kGray8, PixelFormat::kRgb8}) {
        for (const bool ycbcr : {false, true}) {
          if (ycbcr && !(jpeg && format == PixelFormat::kRgb8)) continue;
          for (const bool bigtiff : {false, true}) {
            // JPEG needs strips a multiple of 8 rows (16 with 4:2:0) unless one strip is all.
            if (jpeg && !layout.tiled && layout.block_height < 16) continue;
            test::TiffSpec spec;
            spec.compression = compression.value;
            spec.ycbcr = ycbcr;
            spec.bigtiff = bigtiff;
            spec.big_endian = bigtiff;  // both byte orders, across the cases
            spec.tiled = layout.tiled;
            spec.tile_width = layout.block_width;
            spec.tile_height = layout.block_height;
            spec.rows_per_strip = layout.block_height;
            const std::string path = dir / fmt::format("{}.tif", files++);
            test::write_tiff(path, make_demo_image(width, height, format, 7), spec);
            INFO(layout.name << ", " << compression.name << ", " << to_string(format)
                             << (ycbcr ? ", YCbCr" : "") << (bigtiff ? ", BigTIFF" : ""));

            auto input = InputBytes::open_file(path);
            REQUIRE(input.ok());
            auto decoder = open_decoder(*input);
            REQUIRE(decoder.ok());
            const ImageHeader& h = (*decoder)->header();
            CHECK(h.container == ContainerFormat::kTiff);
            CHECK(h.width == width);
            CHECK(h.height == height);
            CHECK(h.format == format);
            CHECK(h.streamable);
            CHECK(h.tiff.tiled == layout.tiled);
            // libtiff reads a big uncompressed strip as several smaller ones ("strip chopping").
            if (layout.tiled) {
              CHECK(h.tiff.block_height == layout.block_height);
            } else {
              CHECK(h.tiff.block_height <= std::min(layout.block_height, height));
              CHECK(h.tiff.block_height >= std::min(layout.block_height, height / 2));
            }
            CHECK(h.tiff.bigtiff == bigtiff);
            CHECK(std::string(h.tiff.compression) == compression.name);

            const Bytes expected = reference_pixels(path, format);
            for (const int band : {1, 7, 64}) {
              INFO("band of " << band << " rows");
              auto decoded = decode_in_bands(*input, band);
              REQUIRE(decoded.ok());
              CHECK(decoded->pixels == expected);
            }
          }
        }
      }
    }
  }
  CHECK(files > 100);
}

TEST_CASE("the tiles of a row decode on several threads to the same pixels", "[codec][tiff]") {
  test::TempDir dir;
  const std::string path = dir / "tiles.tif";
  test::TiffSpec spec;
  spec.tiled = true;
  spec.compression = COMPRESSION_JPEG;
  spec.ycbcr = true;
  test::write_tiff(path, make_demo_image(200, 90, PixelFormat::kRgb8, 5), spec);
  const Bytes expected = reference_pixels(path, PixelFormat::kRgb8);
  // Every piece on its own thread, all at once: the most handles a row can need.
  DecodeOptions options;
  int calls = 0;
  options.parallel_for = [&](int count, const std::function<void(int)>& task) {
    ++calls;
    std::vector<std::thread> threads;
    for (int i = count; i-- > 0;) threads.emplace_back([&task, i] { task(i); });
    for (std::thread& t : threads) t.join();
  };
  auto decoded = decode_in_bands(*InputBytes::open_file(path), 7, options);
  REQUIRE(decoded.ok());
  CHECK(decoded->pixels == expected);
  CHECK(calls == (90 + 15) / 16);
}

TEST_CASE("TIFF alpha and 16-bit samples decode losslessly", "[codec][tiff]") {
  test::TempDir dir;
  for (const PixelFormat format : {PixelFormat::kGrayAlpha8, PixelFormat::kRgba8}) {
    for (const bool tiled : {false, true}) {
      INFO(to_string(format) << (tiled ? " tiled" : " strips"));
      const OwnedImage source = test::random_image(41, 29, format, 3);
      test::TiffSpec spec;
      spec.compression = COMPRESSION_LZW;
      spec.tiled = tiled;
      const std::string path = dir / "alpha.tif";
      test::write_tiff(path, source, spec);
      auto decoded = decode_in_bands(*InputBytes::open_file(path), 5);
      REQUIRE(decoded.ok());
      CHECK(decoded->format == format);
      CHECK(decoded->pixels == source.pixels);  // stored as is: no premultiplication
    }
  }

  SECTION("16-bit samples keep their high byte") {
    for (const bool tiled : {false, true}) {
      INFO((tiled ? "tiled" : "strips"));
      test::TiffSpec spec;
      spec.width = 19;
      spec.height = 21;
      spec.samples = 3;
      spec.bits = 16;
      spec.tiled = tiled;
      spec.compression = COMPRESSION_ADOBE_DEFLATE;
      const auto value = [](int x, int y, int c) {
        return static_cast<std::uint16_t>((x * 3001 + y * 977 + c * 13) & 0xffff);
      };
      const std::string path = dir / "sixteen.tif";
      test::write_tiff(path, {{spec, [&](int y, std::uint8_t* row) {
                                 for (int x = 0; x < spec.width; ++x) {
                                   for (int c = 0; c < 3; ++c) {
                                     const std::uint16_t v = value(x, y, c);
                                     std::memcpy(row + 2 * (3 * x + c), &v, 2);
                                   }
                                 }
                               }}});
      auto decoded = decode_in_bands(*InputBytes::open_file(path), 4);
      REQUIRE(decoded.ok());
      CHECK(decoded->format == PixelFormat::kRgb8);
      Bytes expected;
      for (int y = 0; y < spec.height; ++y) {
        for (int x = 0; x < spec.width; ++x) {
          for (int c = 0; c < 3; ++c)
            expected.push_back(static_cast<std::uint8_t>(value(x, y, c) >> 8));
        }
      }
      CHECK(decoded->pixels == expected);
    }
  }
}

TEST_CASE("a multi-page TIFF decodes page 0 by default and any page on request", "[codec][tiff]") {
  test::TempDir dir;
  const std::string path = dir / "pages.tif";
  std::vector<OwnedImage> images;
  std::vector<test::TiffPage> pages;
  for (int i = 0; i < 3; ++i)
    images.push_back(make_demo_image(30 + 10 * i, 20 + i, PixelFormat::kRgb8, i));
  for (int i = 0; i < 3; ++i) {
    test::TiffSpec spec;
    spec.width = images[i].width;
    spec.height = images[i].height;
    spec.tiled = i == 1;
    spec.compression = COMPRESSION_LZW;
    pages.push_back({spec, [&, i](int y, std::uint8_t* row) {
                       std::memcpy(row, images[i].view().row(y), images[i].stride());
                     }});
  }
  test::write_tiff(path, pages);
  const InputBytes input = *InputBytes::open_file(path);
  for (int page = 0; page < 3; ++page) {
    DecodeOptions options;
    options.page = page;
    auto decoded = decode_in_bands(input, 6, options);
    REQUIRE(decoded.ok());
    CHECK(decoded->pixels == images[page].pixels);
    CHECK((*open_decoder(input, options))->header().tiff.page == page);
  }
  DecodeOptions missing;
  missing.page = 3;
  auto refused = open_decoder(input, missing);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(refused.error().message,
             Catch::Contains("page 3 does not exist") && Catch::Contains("has 3 pages"));

  // Only multi-page formats take a page.
  auto png = test::encode_to_vector(images[0].view(), [] {
    EncodeOptions o;
    o.format = OutputFormat::kPng;
    return o;
  }());
  REQUIRE(png.ok());
  DecodeOptions second;
  second.page = 1;
  auto not_tiff = open_decoder(InputBytes::from_vector(*png, "one.png"), second);
  REQUIRE_FALSE(not_tiff.ok());
  CHECK_THAT(not_tiff.error().message, Catch::Contains("one.png: page 1") &&
                                           Catch::Contains("only multi-page formats (TIFF)"));
}

TEST_CASE("TIFF layouts tessera does not read are refused, naming what is unsupported",
          "[codec][tiff]") {
  const Bytes pixels(64, 0x80);
  struct Case {
    const char* expected;
    std::vector<Tag> changes;
  };
  const std::vector<Case> cases = {
      {"1 bits per sample", {{TIFFTAG_BITSPERSAMPLE, 1, TIFF_SHORT}}},
      {"32 bits per sample", {{TIFFTAG_BITSPERSAMPLE, 32, TIFF_SHORT}}},
      {"signed or floating-point samples", {{TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_INT, TIFF_SHORT}}},
      {"a TIFF of min-is-white gray pixels",
       {{TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE, TIFF_SHORT}}},
      {"a TIFF of CMYK (separated) pixels",
       {{TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_SEPARATED, TIFF_SHORT},
        {TIFFTAG_SAMPLESPERPIXEL, 4, TIFF_SHORT}}},
      {"YCbCr TIFF not compressed as JPEG",
       {{TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR, TIFF_SHORT},
        {TIFFTAG_SAMPLESPERPIXEL, 3, TIFF_SHORT}}},
      {"one plane per channel",
       {{TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB, TIFF_SHORT},
        {TIFFTAG_SAMPLESPERPIXEL, 3, TIFF_SHORT},
        {TIFFTAG_PLANARCONFIG, PLANARCONFIG_SEPARATE, TIFF_SHORT}}},
      {"a TIFF of gray pixels with 3 samples per pixel",
       {{TIFFTAG_SAMPLESPERPIXEL, 3, TIFF_SHORT}}},
      {"a TIFF of RGB pixels with 6 samples per pixel",
       {{TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB, TIFF_SHORT},
        {TIFFTAG_SAMPLESPERPIXEL, 6, TIFF_SHORT}}},
      {"old-style JPEG", {{TIFFTAG_COMPRESSION, COMPRESSION_OJPEG, TIFF_SHORT}}},
  };
  for (const Case& c : cases) {
    INFO(c.expected);
    std::vector<Tag> tags = gray_strip_tags(8, 8, pixels.size());
    for (const Tag& change : c.changes) {
      const auto same =
          std::find_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.id == change.id; });
      if (same != tags.end()) {
        *same = change;
      } else {
        tags.push_back(change);
      }
    }
    Result<OwnedImage> decoded = Error{};
    const std::string err =
        stderr_of([&] { decoded = decode_bytes(handmade_tiff(tags, pixels), "odd.tif"); });
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kUnsupportedFormat);
    CHECK_THAT(decoded.error().message, Catch::Contains("odd.tif: ") &&
                                            Catch::Contains(c.expected) &&
                                            Catch::Contains("is not supported"));
    CHECK(err.empty());
  }
  {  // A palette needs a colour map, which libtiff writes.
    test::TempDir dir;
    const std::string path = dir / "palette.tif";
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    REQUIRE(tiff != nullptr);
    std::vector<std::uint16_t> map(256, 0);
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 8);
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 8);
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_PALETTE);
    TIFFSetField(tiff, TIFFTAG_COLORMAP, map.data(), map.data(), map.data());
    for (std::uint32_t y = 0; y < 8; ++y)
      TIFFWriteScanline(tiff, const_cast<std::uint8_t*>(pixels.data()), y, 0);
    TIFFClose(tiff);
    auto palette = decode_in_bands(*InputBytes::open_file(path), 8);
    REQUIRE_FALSE(palette.ok());
    CHECK(palette.error().code == ErrorCode::kUnsupportedFormat);
    CHECK_THAT(palette.error().message,
               Catch::Contains("a TIFF of palette pixels is not supported"));
  }
  // The hand-made file itself is fine: the changes above are what is refused.
  auto plain = decode_bytes(handmade_tiff(gray_strip_tags(8, 8, pixels.size()), pixels), "ok.tif");
  REQUIRE(plain.ok());
  CHECK(plain->pixels == pixels);
}

TEST_CASE("hostile TIFF headers are refused before anything is allocated", "[codec][tiff]") {
  const Bytes pixels(64, 1);
  SECTION("an image over the pixel limit") {
    auto huge =
        decode_bytes(handmade_tiff(gray_strip_tags(100000, 100000, 64), pixels), "huge.tif");
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == ErrorCode::kTooLarge);
    CHECK_THAT(huge.error().message,
               Catch::Contains("huge.tif: TIFF header claims 100000x100000") &&
                   Catch::Contains("--max-pixels"));
  }
  SECTION("tiles over the pixel limit on a small image") {
    std::vector<Tag> tags = gray_strip_tags(64, 64, 64);
    std::erase_if(tags, [](const Tag& t) {
      return t.id == TIFFTAG_STRIPOFFSETS || t.id == TIFFTAG_ROWSPERSTRIP ||
             t.id == TIFFTAG_STRIPBYTECOUNTS;
    });
    tags.insert(tags.end(), {{TIFFTAG_TILEWIDTH, 1u << 16},
                             {TIFFTAG_TILELENGTH, 1u << 16},
                             {TIFFTAG_TILEOFFSETS, 0},
                             {TIFFTAG_TILEBYTECOUNTS, 64}});
    auto tiles = decode_bytes(handmade_tiff(tags, pixels), "tiles.tif");
    REQUIRE_FALSE(tiles.ok());
    CHECK(tiles.error().code == ErrorCode::kTooLarge);
    CHECK_THAT(tiles.error().message, Catch::Contains("tiles of 65536x65536"));
  }
  SECTION("a strip claiming gigabytes the file does not hold") {
    std::vector<Tag> tags = gray_strip_tags(64, 64, 0xfffffff0u);
    for (Tag& t : tags) {
      if (t.id == TIFFTAG_COMPRESSION) t.value = COMPRESSION_ADOBE_DEFLATE;
    }
    Result<OwnedImage> decoded = Error{};
    const std::string err =
        stderr_of([&] { decoded = decode_bytes(handmade_tiff(tags, pixels), "liar.tif"); });
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.error().message, Catch::Contains("liar.tif"));
    CHECK(err.empty());
  }
  SECTION("a million one-row strips cost nothing until read") {
    auto many = open_decoder(InputBytes::from_vector(
        handmade_tiff(gray_strip_tags(1, 1'000'000, 64), pixels), "tall.tif"));
    REQUIRE(many.ok());
    CHECK((*many)->header().height == 1'000'000);
  }
}

TEST_CASE("truncated and corrupt TIFFs fail their decode with a message, never on stderr",
          "[codec][tiff]") {
  test::TempDir dir;
  const std::string path = dir / "whole.tif";
  test::TiffSpec spec;
  spec.tiled = true;
  spec.compression = COMPRESSION_JPEG;
  spec.ycbcr = true;
  test::write_tiff(path, make_demo_image(96, 80, PixelFormat::kRgb8, 2), spec);
  const Bytes whole = test::read_file(path);
  int failed = 0;
  const std::string err = stderr_of([&] {
    for (std::size_t cut = 0; cut < whole.size();
         cut += std::max<std::size_t>(1, whole.size() / 40)) {
      auto decoded = decode_bytes(Bytes(whole.begin(), whole.begin() + cut), "cut.tif");
      if (!decoded.ok()) {
        ++failed;
        CHECK_THAT(decoded.error().message, Catch::StartsWith("cut.tif: "));
      }
    }
    for (std::size_t at = 8; at < whole.size(); at += 37) {
      Bytes flipped = whole;
      flipped[at] ^= 0x5a;
      (void)decode_bytes(flipped, "flipped.tif");  // may decode or fail, never crash
    }
  });
  CHECK(failed >= 38);
  CHECK(err.empty());
}

TEST_CASE("a TIFF file that changes while being read fails its decode", "[codec][tiff]") {
  test::TempDir dir;
  const std::string path = dir / "changing.tif";
  for (const bool tiled : {false, true}) {
    for (const bool truncate : {true, false}) {
      INFO((tiled ? "tiled, " : "strips, ") << (truncate ? "cut short" : "rewritten in place"));
      test::TiffSpec spec;
      spec.tiled = tiled;
      spec.rows_per_strip = 16;
      test::write_tiff(path, make_demo_image(64, 256, PixelFormat::kRgb8, 1), spec);
      auto input = InputBytes::open_file(path);
      REQUIRE(input.ok());
      auto decoder = open_decoder(*input);
      REQUIRE(decoder.ok());
      Bytes rows(64 * 3 * 256);
      REQUIRE((*decoder)->read_rows(rows.data(), 64 * 3, 32).ok());
      if (truncate) {
        std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
      } else {
        std::filesystem::last_write_time(
            path, std::filesystem::last_write_time(path) - std::chrono::hours(1));
      }
      auto rest = (*decoder)->read_rows(rows.data(), 64 * 3, 256 - 32);
      REQUIRE_FALSE(rest.ok());
      CHECK_THAT(rest.error().message,
                 Catch::Contains("changing.tif: the file changed while being read"));
    }
  }
}
