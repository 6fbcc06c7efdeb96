// The OpenCV fallback decoder: BMP and PPM against references parsed by hand, channel order
// with images of known colours, 16-bit reduction, garbage bytes and the pixel limit.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <catch2/catch.hpp>

#include "tessera/codecs/decoder.hpp"
#include "test_images.hpp"

namespace {

using namespace tessera;

std::vector<std::uint8_t> other_file(const std::string& name) {
  return test::read_file(test::data_path("other/" + name));
}

std::uint32_t little_endian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

// An uncompressed 24-bit BMP: bottom-up rows of B, G, R padded to four bytes.
OwnedImage parse_bmp24(const std::vector<std::uint8_t>& bmp) {
  REQUIRE(bmp.size() > 54);
  REQUIRE(bmp[0] == 'B');
  REQUIRE(bmp[1] == 'M');
  const std::size_t offset = little_endian32(&bmp[10]);
  const int width = static_cast<int>(little_endian32(&bmp[18]));
  const int height = static_cast<int>(little_endian32(&bmp[22]));
  REQUIRE((bmp[28] | bmp[29] << 8) == 24);
  REQUIRE(little_endian32(&bmp[30]) == 0);
  const std::size_t padded = (static_cast<std::size_t>(width) * 3 + 3) / 4 * 4;
  REQUIRE(offset + padded * static_cast<std::size_t>(height) <= bmp.size());
  OwnedImage image{width, height, PixelFormat::kRgb8, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* src = &bmp[offset + padded * static_cast<std::size_t>(height - 1 - y)];
    std::uint8_t* dst = image.pixels.data() + image.stride() * static_cast<std::size_t>(y);
    for (int x = 0; x < width; ++x) {
      dst[3 * x + 0] = src[3 * x + 2];
      dst[3 * x + 1] = src[3 * x + 1];
      dst[3 * x + 2] = src[3 * x + 0];
    }
  }
  return image;
}

// A binary PPM (P6) with maxval 255 and single-space/newline separators.
OwnedImage parse_ppm(const std::vector<std::uint8_t>& ppm) {
  const std::string text(ppm.begin(), ppm.begin() + static_cast<std::ptrdiff_t>(
                                                        std::min<std::size_t>(ppm.size(), 64)));
  int width = 0, height = 0, maxval = 0, consumed = 0;
  REQUIRE(std::sscanf(text.c_str(), "P6 %d %d %d%n", &width, &height, &maxval, &consumed) == 3);
  REQUIRE(maxval == 255);
  OwnedImage image{width, height, PixelFormat::kRgb8, {}};
  const auto start = ppm.begin() + consumed + 1;
  REQUIRE(static_cast<std::size_t>(ppm.end() - start) >=
          image.stride() * static_cast<std::size_t>(height));
  image.pixels.assign(start, start + static_cast<std::ptrdiff_t>(image.stride() *
                                                                 static_cast<std::size_t>(height)));
  return image;
}

Result<OwnedImage> decode_bytes(std::vector<std::uint8_t> bytes, const std::string& name,
                                int band_rows = 16) {
  return test::decode_whole(InputBytes::from_vector(std::move(bytes), name), {}, band_rows);
}

std::vector<std::uint8_t> encode_with_opencv(const cv::Mat& mat, const std::string& extension) {
  std::vector<std::uint8_t> bytes;
  REQUIRE(cv::imencode(extension, mat, bytes));
  return bytes;
}

}  // namespace

TEST_CASE("a BMP decodes through OpenCV to the pixels in the file", "[codec][opencv]") {
  const auto bmp = other_file("shira_bird8.bmp");
  const OwnedImage expected = parse_bmp24(bmp);
  auto opened = open_decoder(InputBytes::from_vector(bmp, "shira_bird8.bmp"));
  REQUIRE(opened.ok());
  const ImageHeader& header = (*opened)->header();
  CHECK(header.container == ContainerFormat::kOther);
  CHECK(header.format == PixelFormat::kRgb8);
  CHECK_FALSE(header.streamable);
  for (int band : {5, 1000}) {
    auto decoded = decode_bytes(bmp, "shira_bird8.bmp", band);
    REQUIRE(decoded.ok());
    CHECK(test::same_pixels(decoded->view(), expected.view()));
  }
}

TEST_CASE("a PPM decodes through OpenCV to the pixels in the file", "[codec][opencv]") {
  const auto ppm = other_file("testorig.ppm");
  const OwnedImage expected = parse_ppm(ppm);
  auto decoded = decode_bytes(ppm, "testorig.ppm");
  REQUIRE(decoded.ok());
  CHECK(decoded->format == PixelFormat::kRgb8);
  CHECK(test::same_pixels(decoded->view(), expected.view()));
}

TEST_CASE("the OpenCV fallback never swaps channels", "[codec][opencv]") {
  // OpenCV's own order is B, G, R(, A): pure red is (0, 0, 255).
  cv::Mat bgr(2, 3, CV_8UC3);
  bgr.at<cv::Vec3b>(0, 0) = {0, 0, 255};  // red
  bgr.at<cv::Vec3b>(0, 1) = {0, 255, 0};  // green
  bgr.at<cv::Vec3b>(0, 2) = {255, 0, 0};  // blue
  bgr.at<cv::Vec3b>(1, 0) = {10, 20, 30};
  bgr.at<cv::Vec3b>(1, 1) = {255, 255, 255};
  bgr.at<cv::Vec3b>(1, 2) = {0, 0, 0};
  const std::uint8_t expected_rgb[] = {255, 0,  0,  0,   255, 0,   0, 0, 255,
                                       30,  20, 10, 255, 255, 255, 0, 0, 0};

  SECTION("BMP, three channels") {
    auto decoded = decode_bytes(encode_with_opencv(bgr, ".bmp"), "colours.bmp");
    REQUIRE(decoded.ok());
    REQUIRE(decoded->format == PixelFormat::kRgb8);
    CHECK(decoded->pixels ==
          std::vector<std::uint8_t>(std::begin(expected_rgb), std::end(expected_rgb)));
  }
  SECTION("PPM, three channels of 16 bits") {
    cv::Mat bgr16(1, 2, CV_16UC3);
    bgr16.at<cv::Vec3w>(0, 0) = {0x0102, 0x0304, 0xff05};  // B, G, R
    bgr16.at<cv::Vec3w>(0, 1) = {0xfffe, 0x0000, 0x1234};
    auto decoded = decode_bytes(encode_with_opencv(bgr16, ".ppm"), "colours.ppm");
    REQUIRE(decoded.ok());
    REQUIRE(decoded->format == PixelFormat::kRgb8);
    const std::vector<std::uint8_t> expected = {0xff, 0x03, 0x01, 0x12, 0x00, 0xff};
    CHECK(decoded->pixels == expected);
  }
  SECTION("PGM, one channel") {
    cv::Mat gray(2, 2, CV_8UC1);
    gray.at<std::uint8_t>(0, 0) = 1;
    gray.at<std::uint8_t>(0, 1) = 2;
    gray.at<std::uint8_t>(1, 0) = 200;
    gray.at<std::uint8_t>(1, 1) = 255;
    auto decoded = decode_bytes(encode_with_opencv(gray, ".pgm"), "gray.pgm");
    REQUIRE(decoded.ok());
    REQUIRE(decoded->format == PixelFormat::kGray8);
    CHECK(decoded->pixels == std::vector<std::uint8_t>{1, 2, 200, 255});
  }
}

TEST_CASE("bytes OpenCV cannot read fail cleanly", "[codec][opencv]") {
  std::vector<std::uint8_t> garbage(1000);
  for (std::size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  auto decoded = decode_bytes(garbage, "noise.bin");
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == ErrorCode::kUnsupportedFormat);
  CHECK(decoded.error().message.find("noise.bin") != std::string::npos);
  CHECK(decoded.error().message.find("OpenCV") != std::string::npos);

  auto bmp = other_file("shira_bird8.bmp");
  bmp.resize(40);  // a BMP header cut short
  auto cut = decode_bytes(bmp, "cut.bmp");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message.find("cut.bmp") != std::string::npos);
}

TEST_CASE("the OpenCV fallback enforces the pixel limit", "[codec][opencv]") {
  DecodeOptions small;
  small.max_pixels = 192 * 144 - 1;
  auto opened =
      open_decoder(InputBytes::from_vector(other_file("shira_bird8.bmp"), "bird.bmp"), small);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kTooLarge);
}
