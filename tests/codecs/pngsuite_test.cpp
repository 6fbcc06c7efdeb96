// PngSuite through the PNG decoder. The reference is libpng as OpenCV drives it
// (imread with IMREAD_UNCHANGED), brought to tessera's formats by the rules the decoder promises:
// 16-bit samples keep their high byte, palettes and tRNS are expanded, gamma is never applied.
// OpenCV drops the alpha of gray images with tRNS, so the test rebuilds it from the tRNS chunk.
// No file needs an exception to these rules.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <catch2/catch.hpp>

#include "tessera/codecs/decoder.hpp"
#include "test_images.hpp"

namespace {

using namespace tessera;

std::vector<std::string> suite_files() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("pngsuite"))) {
    if (entry.path().extension() == ".png") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string suite_path(const std::string& name) {
  return test::data_path("pngsuite/" + name);
}

struct PngFacts {
  int color_type = 0;
  int bit_depth = 0;
  bool has_trns = false;
  int trns_gray = -1;  // the transparent gray sample, for color type 0
};

PngFacts read_facts(const std::vector<std::uint8_t>& png) {
  PngFacts facts;
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::size_t length = std::size_t{png[at]} << 24 | std::size_t{png[at + 1]} << 16 |
                               std::size_t{png[at + 2]} << 8 | png[at + 3];
    const std::string type(reinterpret_cast<const char*>(&png[at + 4]), 4);
    const std::uint8_t* data = &png[at + 8];
    if (type == "IHDR") {
      facts.bit_depth = data[8];
      facts.color_type = data[9];
    } else if (type == "tRNS") {
      facts.has_trns = true;
      if (facts.color_type == 0) facts.trns_gray = data[0] << 8 | data[1];
    } else if (type == "IDAT") {
      break;
    }
    at += 12 + length;
  }
  return facts;
}

// One OpenCV sample as 8 bits, by the decoder's 16-to-8 rule.
int sample8(const cv::Mat& mat, int y, int x, int channel) {
  if (mat.depth() == CV_16U) return mat.ptr<std::uint16_t>(y)[x * mat.channels() + channel] >> 8;
  return mat.ptr<std::uint8_t>(y)[x * mat.channels() + channel];
}

int raw_sample(const cv::Mat& mat, int y, int x) {
  return mat.depth() == CV_16U ? mat.ptr<std::uint16_t>(y)[x] : mat.ptr<std::uint8_t>(y)[x];
}

// OpenCV widens 1, 2 and 4-bit gray to 8 bits by bit replication (v * 255 / (2^depth - 1)).
int widened_trns(const PngFacts& facts) {
  if (facts.bit_depth >= 8) return facts.trns_gray;
  return facts.trns_gray * 255 / ((1 << facts.bit_depth) - 1);
}

OwnedImage reference_pixels(const std::string& path, const PngFacts& facts) {
  const cv::Mat mat = cv::imread(path, cv::IMREAD_UNCHANGED);
  REQUIRE_FALSE(mat.empty());
  OwnedImage out;
  out.width = mat.cols;
  out.height = mat.rows;
  const bool gray = facts.color_type == 0 || facts.color_type == 4;
  const bool alpha = facts.color_type == 4 || facts.color_type == 6 || facts.has_trns;
  out.format = gray ? (alpha ? PixelFormat::kGrayAlpha8 : PixelFormat::kGray8)
                    : (alpha ? PixelFormat::kRgba8 : PixelFormat::kRgb8);
  out.pixels.resize(out.stride() * static_cast<std::size_t>(out.height));
  std::uint8_t* px = out.pixels.data();
  for (int y = 0; y < mat.rows; ++y) {
    for (int x = 0; x < mat.cols; ++x) {
      if (facts.color_type == 0) {
        REQUIRE(mat.channels() == 1);
        *px++ = static_cast<std::uint8_t>(sample8(mat, y, x, 0));
        if (alpha) *px++ = raw_sample(mat, y, x) == widened_trns(facts) ? 0 : 255;
      } else if (facts.color_type == 4) {
        REQUIRE(mat.channels() == 4);  // OpenCV widens gray+alpha to BGRA
        *px++ = static_cast<std::uint8_t>(sample8(mat, y, x, 0));
        *px++ = static_cast<std::uint8_t>(sample8(mat, y, x, 3));
      } else {
        REQUIRE(mat.channels() == (alpha ? 4 : 3));
        for (int c : {2, 1, 0}) *px++ = static_cast<std::uint8_t>(sample8(mat, y, x, c));
        if (alpha) *px++ = static_cast<std::uint8_t>(sample8(mat, y, x, 3));
      }
    }
  }
  return out;
}

Result<OwnedImage> decode_file(const std::string& name, int band_rows = 3) {
  return test::decode_whole(InputBytes::from_vector(test::read_file(suite_path(name)), name), {},
                            band_rows);
}

}  // namespace

TEST_CASE("every valid PngSuite file decodes to libpng's pixels", "[codec][pngsuite]") {
  int checked = 0;
  for (const std::string& name : suite_files()) {
    if (name[0] == 'x') continue;
    INFO(name);
    const PngFacts facts = read_facts(test::read_file(suite_path(name)));
    auto decoded = decode_file(name);
    if (!decoded) FAIL(name << ": " << decoded.error().message);
    const OwnedImage expected = reference_pixels(suite_path(name), facts);
    CHECK(decoded->format == expected.format);
    CHECK(test::same_pixels(decoded->view(), expected.view()));
    ++checked;
  }
  CHECK(checked == 161);
}

TEST_CASE("every corrupt PngSuite file fails with a message", "[codec][pngsuite]") {
  int checked = 0;
  for (const std::string& name : suite_files()) {
    if (name[0] != 'x') continue;
    INFO(name);
    auto decoded = decode_file(name);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code != ErrorCode::kInternal);
    CHECK(decoded.error().message.find(name) != std::string::npos);
    ++checked;
  }
  CHECK(checked == 14);
}

TEST_CASE("interlaced PngSuite files match their non-interlaced twins", "[codec][pngsuite]") {
  int pairs = 0;
  for (const std::string& name : suite_files()) {
    const bool basic = name.rfind("basi", 0) == 0;
    const bool sized = name.size() == 12 && name[0] == 's' && name[3] == 'i';
    if (!basic && !sized) continue;
    std::string twin = name;
    twin[3] = 'n';
    INFO(name << " vs " << twin);
    auto opened = open_decoder(InputBytes::from_vector(test::read_file(suite_path(name)), name));
    REQUIRE(opened.ok());
    CHECK((*opened)->header().progressive);
    CHECK_FALSE((*opened)->header().streamable);
    auto interlaced = decode_file(name);
    auto plain = decode_file(twin);
    REQUIRE(interlaced.ok());
    REQUIRE(plain.ok());
    CHECK(test::same_pixels(interlaced->view(), plain->view()));
    ++pairs;
  }
  CHECK(pairs == 15 + 18);
}

TEST_CASE("an interlaced PNG asks for the whole image on its first read", "[codec][pngsuite]") {
  const std::string name = "basi2c08.png";
  auto opened = open_decoder(InputBytes::from_vector(test::read_file(suite_path(name)), name));
  REQUIRE(opened.ok());
  Decoder& decoder = **opened;
  std::vector<std::uint8_t> rows(static_cast<std::size_t>(decoder.header().width) * 3 * 4);
  auto partial =
      decoder.read_rows(rows.data(), static_cast<std::size_t>(decoder.header().width) * 3, 4);
  REQUIRE_FALSE(partial.ok());
  CHECK(partial.error().code == ErrorCode::kInvalidArgument);
}
