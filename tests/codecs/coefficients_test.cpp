// The coefficient reader (tessera's own baseline Huffman decoder, libjpeg's whole-image read
// for the rest) against libjpeg's jpeg_read_coefficients, and the coefficient encoder: every
// crop's blocks are the source's, with its quantisation tables and sampling factors.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include "tessera/codecs/coefficients.hpp"
#include "test_images.hpp"
#include "test_jpegs.hpp"

namespace tessera {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Every MCU row of a file, read through CoefficientReader in steps of `step` rows.
struct ReadAll {
  CoefficientLayout layout;
  std::vector<std::uint8_t> rows;  // mcu_rows x stride
  std::size_t stride = 0;
};

Result<ReadAll> read_all(InputBytes input, int step, const DecodeOptions& options = {}) {
  auto reader = open_coefficient_reader(std::move(input), options);
  if (!reader) return std::move(reader).error();
  ReadAll all;
  all.layout = (*reader)->layout();
  all.stride = all.layout.mcu_row_bytes() + 64;  // a stride wider than the rows, on purpose
  all.rows.assign(all.stride * static_cast<std::size_t>(all.layout.mcu_rows), 0xA5);
  while ((*reader)->mcu_rows_read() < all.layout.mcu_rows) {
    const int done = (*reader)->mcu_rows_read();
    auto got = (*reader)->read_mcu_rows(
        all.rows.data() + static_cast<std::size_t>(done) * all.stride, all.stride, step);
    if (!got) return std::move(got).error();
    if (*got == 0) return Error{ErrorCode::kInternal, "reader stopped early"};
  }
  return all;
}

Result<ReadAll> read_all(const Bytes& bytes, int step, const DecodeOptions& options = {}) {
  return read_all(InputBytes::borrow(bytes, "source.jpg"), step, options);
}

const std::int16_t* block_of(const ReadAll& all, int c, int bx, int by) {
  const CoefficientComponent& comp = all.layout.component[static_cast<std::size_t>(c)];
  const int row = by / comp.v;
  const std::uint8_t* mcu_row = all.rows.data() + static_cast<std::size_t>(row) * all.stride;
  const std::size_t index = comp.offset_blocks +
                            static_cast<std::size_t>(by % comp.v) * comp.blocks_per_row +
                            static_cast<std::size_t>(bx);
  return reinterpret_cast<const std::int16_t*>(mcu_row + index * kBlockBytes);
}

// The first block (component, x, y) where the reader differs from libjpeg, or "" when none.
std::string first_difference(const ReadAll& all, const test::JpegCoefficients& expected) {
  if (static_cast<int>(expected.components.size()) != all.layout.components) return "components";
  for (int c = 0; c < all.layout.components; ++c) {
    const auto& want = expected.components[static_cast<std::size_t>(c)];
    const auto& got = all.layout.component[static_cast<std::size_t>(c)];
    if (want.width_in_blocks != got.width_in_blocks ||
        want.height_in_blocks != got.height_in_blocks || want.h != got.h || want.v != got.v ||
        want.id != got.id)
      return fmt::format("component {} geometry", c);
    if (!std::equal(all.layout.quant[static_cast<std::size_t>(got.quant_table)].begin(),
                    all.layout.quant[static_cast<std::size_t>(got.quant_table)].end(),
                    expected.quant[static_cast<std::size_t>(want.quant_table)].begin()))
      return fmt::format("component {} quantisation table", c);
    for (int y = 0; y < want.height_in_blocks; ++y) {
      for (int x = 0; x < want.width_in_blocks; ++x) {
        if (std::memcmp(block_of(all, c, x, y), want.block(x, y), kBlockBytes) != 0)
          return fmt::format("component {} block ({}, {})", c, x, y);
      }
    }
  }
  return "";
}

}  // namespace

TEST_CASE("coefficient reader gives exactly libjpeg's coefficients for every generated source",
          "[coefficients]") {
  for (const test::JpegSpec& spec : test::lossless_sources()) {
    INFO(spec.name);
    const Bytes bytes = test::make_jpeg(spec);
    REQUIRE(!bytes.empty());
    const test::JpegCoefficients expected = test::libjpeg_coefficients(bytes);
    REQUIRE(expected.ok);
    for (const int step : {1, 3, 1000}) {
      auto all = read_all(bytes, step);
      REQUIRE(all.ok());
      CHECK(all->layout.progressive == (spec.progressive || spec.arithmetic));
      CHECK(first_difference(*all, expected).empty());
    }
  }
}

TEST_CASE("coefficient reader gives libjpeg's coefficients from a file read in chunks",
          "[coefficients]") {
  // A file comes in 64 KiB chunks, so blocks are decoded on both of the decoder's paths (the
  // fast one needs the whole block in the chunk) and some straddle two chunks.
  for (const int restart_interval : {0, 5}) {
    test::JpegSpec spec;
    spec.name = fmt::format("noise, restart interval {}", restart_interval);
    spec.width = 1000;
    spec.height = 600;
    spec.quality = 98;
    spec.restart_interval = restart_interval;
    INFO(spec.name);
    const Bytes bytes = test::make_jpeg(spec);
    REQUIRE(bytes.size() > 4 * (std::size_t{1} << 16));
    const test::JpegCoefficients expected = test::libjpeg_coefficients(bytes);
    REQUIRE(expected.ok);
    test::TempDir dir;
    test::write_bytes(dir.path() / "source.jpg", bytes);
    auto input = InputBytes::open_file(dir / "source.jpg");
    REQUIRE(input.ok());
    auto all = read_all(std::move(input).value(), 4);
    REQUIRE(all.ok());
    CHECK(first_difference(*all, expected).empty());
  }
}

TEST_CASE("coefficient reader matches libjpeg on the JPEG test files", "[coefficients]") {
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("jpeg"))) {
    if (entry.path().extension() != ".jpg") continue;
    INFO(entry.path().filename().string());
    const Bytes bytes = test::read_file(entry.path().string());
    auto all = read_all(bytes, 2);
    const test::JpegCoefficients expected = test::libjpeg_coefficients(bytes);
    if (!all) {
      // Only a 12-bit file (monkey12.jpg) is refused, and it says what to do instead.
      CHECK(all.error().code == ErrorCode::kUnsupportedFormat);
      CHECK_THAT(all.error().message, Catch::Contains("8-bit"));
      continue;
    }
    REQUIRE(expected.ok);
    CHECK(first_difference(*all, expected).empty());
    // Progressive and arithmetic-coded files are read by libjpeg itself: only the others test
    // tessera's own decoder.
    if (!all->layout.progressive) ++compared;
  }
  CHECK(compared >= 2);
}

TEST_CASE("coefficient reader fails truncated and corrupt entropy data with a message",
          "[coefficients]") {
  test::JpegSpec spec{"420", 160, 160, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}};
  const Bytes good = test::make_jpeg(spec);
  SECTION("truncated in the middle of the scan") {
    const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() * 2 / 3));
    auto all = read_all(cut, 1);
    REQUIRE(!all);
    CHECK(all.error().code == ErrorCode::kTruncatedData);
    CHECK_THAT(all.error().message, Catch::Contains("source.jpg") && Catch::Contains("MCU row"));
  }
  SECTION("a marker inside the entropy data") {
    Bytes bad = good;
    const std::size_t at = bad.size() / 2;
    bad[at] = 0xFF;
    bad[at + 1] = 0xD9;  // EOI in the middle of the scan
    auto all = read_all(bad, 1);
    REQUIRE(!all);
    CHECK(all.error().code == ErrorCode::kCorruptData);
    CHECK_THAT(all.error().message, Catch::Contains("0xD9"));
  }
  SECTION("a wrong restart marker") {
    spec.restart_interval = 2;
    Bytes bad = test::make_jpeg(spec);
    // The second restart marker, RST1, becomes RST5.
    int seen = 0;
    for (std::size_t i = 0; i + 1 < bad.size(); ++i) {
      if (bad[i] == 0xFF && bad[i + 1] >= 0xD0 && bad[i + 1] <= 0xD7 && ++seen == 2) {
        bad[i + 1] = 0xD5;
        break;
      }
    }
    REQUIRE(seen == 2);
    auto all = read_all(bad, 1);
    REQUIRE(!all);
    CHECK(all.error().code == ErrorCode::kCorruptData);
    CHECK_THAT(all.error().message, Catch::Contains("restart marker 0xD1"));
  }
}

TEST_CASE("coefficient reader refuses a whole-image read over the pixel limit", "[coefficients]") {
  test::JpegSpec spec{"progressive", 64, 64, JCS_RGB, JCS_YCbCr, {{1, 1}, {1, 1}, {1, 1}}, 0, true};
  const Bytes bytes = test::make_jpeg(spec);
  DecodeOptions options;
  options.max_pixels = 64 * 64;  // 6 bytes of coefficients per pixel at 4:4:4: over 3
  auto all = read_all(bytes, 1, options);
  REQUIRE(!all);
  CHECK(all.error().code == ErrorCode::kTooLarge);
  CHECK_THAT(all.error().message, Catch::Contains("cannot stream"));
  options.max_pixels = 2 * 64 * 64;
  CHECK(read_all(bytes, 1, options).ok());
}

TEST_CASE("every crop of the coefficient encoder has exactly the source's blocks",
          "[coefficients]") {
  auto encoder = make_coefficient_encoder();
  for (const test::JpegSpec& spec : test::lossless_sources()) {
    INFO(spec.name);
    const Bytes bytes = test::make_jpeg(spec);
    auto all = read_all(bytes, 4);
    REQUIRE(all.ok());
    const CoefficientLayout& layout = all->layout;
    const test::JpegCoefficients source = test::libjpeg_coefficients(bytes);
    const int mw = layout.mcu_width(), mh = layout.mcu_height();
    for (const bool progressive : {false, true}) {
      for (int y = 0; y < layout.height; y += mh) {
        for (int x = 0; x < layout.width; x += mw) {
          // Crops ending on and off the grid, and at the image's edge.
          const int w = std::min(layout.width - x, x % (2 * mw) == 0 ? mw + 3 : 2 * mw);
          const int h = std::min(layout.height - y, y % (2 * mh) == 0 ? mh : mh + 5);
          INFO(fmt::format("crop {}x{} at {},{} progressive {}", w, h, x, y, progressive));
          CoefficientCrop crop{
              &layout,     all->rows.data() + static_cast<std::size_t>(y / mh) * all->stride,
              all->stride, x / mw,
              w,           h};
          Bytes out(max_coefficient_encoded_size(layout, w, h));
          JpegOptions options;
          options.progressive = progressive;
          options.optimize_huffman = (x / mw) % 2 == 1;
          auto size = encoder->encode(crop, options, out);
          REQUIRE(size.ok());
          out.resize(*size);
          const test::JpegCoefficients got = test::libjpeg_coefficients(out);
          REQUIRE(got.ok);
          REQUIRE(got.width == w);
          REQUIRE(got.height == h);
          REQUIRE(got.components.size() == source.components.size());
          for (std::size_t c = 0; c < got.components.size(); ++c) {
            const auto& gc = got.components[c];
            const auto& sc = source.components[c];
            CHECK(gc.h == sc.h);
            CHECK(gc.v == sc.v);
            CHECK(gc.id == sc.id);
            CHECK(got.quant[static_cast<std::size_t>(gc.quant_table)] ==
                  source.quant[static_cast<std::size_t>(sc.quant_table)]);
            const int ox = x / mw * sc.h, oy = y / mh * sc.v;
            for (int by = 0; by < gc.height_in_blocks; ++by) {
              for (int bx = 0; bx < gc.width_in_blocks; ++bx) {
                if (std::memcmp(gc.block(bx, by), sc.block(ox + bx, oy + by), kBlockBytes) != 0) {
                  FAIL(fmt::format("component {} block ({}, {}) differs", c, bx, by));
                }
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("coefficient encoder reports a buffer that is too small", "[coefficients]") {
  test::JpegSpec spec{"444", 64, 64, JCS_RGB, JCS_YCbCr, {{1, 1}, {1, 1}, {1, 1}}};
  auto all = read_all(test::make_jpeg(spec), 8);
  REQUIRE(all.ok());
  auto encoder = make_coefficient_encoder();
  CoefficientCrop crop{&all->layout, all->rows.data(), all->stride, 0, 64, 64};
  Bytes out(100);
  auto size = encoder->encode(crop, {}, out);
  REQUIRE(!size);
  CHECK(size.error().code == ErrorCode::kBufferTooSmall);
  out.resize(max_coefficient_encoded_size(all->layout, 64, 64));
  CHECK(encoder->encode(crop, {}, out).ok());  // the same encoder works again after a failure
}

}  // namespace tessera
