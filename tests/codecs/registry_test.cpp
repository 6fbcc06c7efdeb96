// The codec registry: sniffing, every name printed and parsed back, and every registered output
// format encoding within its size bound.
#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tessera/codecs/formats.hpp"
#include "test_images.hpp"

namespace {

using namespace tessera;

// Every value of E that to_string() names must parse back to itself, and the parser's list
// must hold exactly those names: a value missing from the list fails here.
template <class E, class Parse>
void check_names_round_trip(Parse parse, const std::vector<std::string>& names) {
  std::set<std::string> named;
  for (int i = 0; i < 256; ++i) {
    const auto value = static_cast<E>(i);
    const std::string name = to_string(value);
    if (name == "unknown") continue;
    INFO(i << " " << name);
    auto parsed = parse(name);
    REQUIRE(parsed.ok());
    CHECK(*parsed == value);
    named.insert(name);
  }
  CHECK(named == std::set<std::string>(names.begin(), names.end()));
  CHECK(names.size() == named.size());
  auto bad = parse("no-such-name");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(bad.error().message,
             Catch::Contains("\"no-such-name\"") && Catch::Contains(join_names(names)));
}

// What a written file sniffs as, or nothing for a format that is never read back. No default:
// a new output format must say here.
std::optional<ContainerFormat> read_back_as(OutputFormat format) {
  switch (format) {
    case OutputFormat::kJpeg: return ContainerFormat::kJpeg;
    case OutputFormat::kPng: return ContainerFormat::kPng;
    case OutputFormat::kRaw: return std::nullopt;
  }
  return ContainerFormat::kOther;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE("option names print and parse back, and errors list every valid name",
          "[codec][registry]") {
  check_names_round_trip<JpegSubsampling>(parse_jpeg_subsampling, jpeg_subsampling_names());
  check_names_round_trip<PngFilter>(parse_png_filter, png_filter_names());
  check_names_round_trip<ZlibStrategy>(parse_zlib_strategy, zlib_strategy_names());
  CHECK(join_names({"a"}) == "a");
  CHECK(join_names({"a", "b", "c"}) == "a, b or c");
}

TEST_CASE("output formats parse from their names and extensions", "[codec][registry]") {
  REQUIRE(output_formats().size() == output_format_names().size());
  for (const OutputFormat format : output_formats()) {
    INFO(to_string(format));
    CHECK(*parse_output_format(to_string(format)) == format);
    CHECK(*parse_output_format(file_extension(format)) == format);
  }
  CHECK(*parse_output_format("jpg") == OutputFormat::kJpeg);
  CHECK(contains(output_format_names(), "jpeg"));
  CHECK(contains(output_format_names(), "png"));
  CHECK_FALSE(contains(output_format_names(), "jpg"));
  CHECK(contains(output_format_spellings(), "jpg"));
  auto bad = parse_output_format("gif");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "\"gif\" is not an output format; use " + join_names(output_format_names()));
}

TEST_CASE("formats are sniffed from their magic bytes only", "[codec][registry]") {
  const std::vector<std::uint8_t> bmp = test::read_file(test::data_path("other/shira_bird8.bmp"));
  CHECK(detect_format(bmp) == ContainerFormat::kOther);
  const std::uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};
  CHECK(detect_format(png) == ContainerFormat::kPng);
  CHECK(detect_format(std::span(png, 7)) == ContainerFormat::kOther);  // cut short
  const std::uint8_t jpeg[] = {0xff, 0xd8, 0xff};
  CHECK(detect_format(jpeg) == ContainerFormat::kJpeg);
  CHECK(detect_format(std::span(jpeg, 2)) == ContainerFormat::kOther);
  CHECK(detect_format({}) == ContainerFormat::kOther);
  CHECK(std::string(to_string(ContainerFormat::kOther)) == "other");
}

TEST_CASE("every output format encodes within its bound and is sniffed back", "[codec][registry]") {
  for (const OutputFormat format : output_formats()) {
    for (const PixelFormat pixels :
         {PixelFormat::kGray8, PixelFormat::kGrayAlpha8, PixelFormat::kRgb8, PixelFormat::kRgba8}) {
      for (const int side : {1, 7, 64}) {
        INFO(to_string(format) << " " << to_string(pixels) << " " << side << "x" << side);
        const OwnedImage noise = test::random_image(side, side + 3, pixels, 11);  // worst case
        EncodeOptions options;
        options.format = format;
        options.jpeg.quality = 100;
        options.jpeg.subsampling = JpegSubsampling::k444;
        options.png.compression_level = 0;
        auto encoder = make_encoder(format);
        REQUIRE(encoder != nullptr);
        std::vector<std::uint8_t> out(max_encoded_size(side, side + 3, pixels, options));
        auto size = encoder->encode(noise.view(), options, out);
        REQUIRE(size.ok());
        CHECK(*size > 0);
        CHECK(*size <= out.size());
        if (const auto container = read_back_as(format))
          CHECK(detect_format(std::span(out.data(), *size)) == *container);
      }
    }
  }
}

TEST_CASE("raw output is the view's pixels, rows packed, whatever the stride",
          "[codec][registry]") {
  CHECK(*parse_output_format("raw") == OutputFormat::kRaw);
  CHECK(std::string(file_extension(OutputFormat::kRaw)) == "raw");
  const OwnedImage image = test::random_image(9, 6, PixelFormat::kRgba8, 3);
  const ImageView inside = image.view().crop(2, 1, 5, 4);  // a row stride longer than a row
  REQUIRE(inside.stride > inside.row_bytes());
  EncodeOptions options;
  options.format = OutputFormat::kRaw;
  REQUIRE(max_encoded_size(5, 4, PixelFormat::kRgba8, options) == 5 * 4 * 4);
  std::vector<std::uint8_t> out(5 * 4 * 4);
  auto size = make_encoder(OutputFormat::kRaw)->encode(inside, options, out);
  REQUIRE(size.ok());
  CHECK(*size == out.size());
  const ImageView packed{out.data(), 5, 4, 5 * 4, PixelFormat::kRgba8};
  CHECK(test::same_pixels(packed, inside));
  std::vector<std::uint8_t> short_buffer(out.size() - 1);
  auto too_small = make_encoder(OutputFormat::kRaw)->encode(inside, options, short_buffer);
  REQUIRE_FALSE(too_small.ok());
  CHECK(too_small.error().code == ErrorCode::kBufferTooSmall);
}

TEST_CASE("options of every writable format are validated, whichever is chosen",
          "[codec][registry]") {
  EncodeOptions options;
  options.format = OutputFormat::kJpeg;
  options.png.compression_level = 13;
  Status bad = validate(options);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "PNG compression level 13 is out of range for libdeflate; use 0..12");
  options = EncodeOptions{};
  options.format = OutputFormat::kPng;
  options.jpeg.quality = 0;
  bad = validate(options);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "JPEG quality 0 is out of range; use 1..100");
}
