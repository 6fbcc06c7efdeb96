// OpenCV only when needed: the tessera binary links no OpenCV library, yet BMP and PPM inputs
// still decode through the OpenCV module it loads on demand, and a missing module fails those
// inputs with a message that says what to install while JPEG and TIFF inputs are unaffected.
#include <catch2/catch.hpp>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "cli_runner.hpp"
#include "test_images.hpp"

namespace {

using namespace tessera;

// A 40x30 RGB image written by OpenCV (the format follows the extension); returns its pixels.
OwnedImage write_with_opencv(const std::string& path) {
  OwnedImage image = make_demo_image(40, 30, PixelFormat::kRgb8, 5);
  cv::Mat bgr(image.height, image.width, CV_8UC3);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const std::uint8_t* px = image.view().row(y) + 3 * x;
      bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(px[2], px[1], px[0]);
    }
  }
  REQUIRE(cv::imwrite(path, bgr));
  return image;
}

}  // namespace

TEST_CASE("the tessera binary does not link OpenCV", "[cli][opencv]") {
  test::TempDir dir;
  const auto ldd = test::run_shell(dir, "ldd tessera");
  REQUIRE(ldd.code == 0);
  CHECK_THAT(ldd.out, Catch::Contains("libturbojpeg") || Catch::Contains("libjpeg"));
  CHECK_THAT(ldd.out, !Catch::Contains("opencv", Catch::CaseSensitive::No));
}

TEST_CASE("BMP and PPM inputs decode through the OpenCV module", "[cli][opencv]") {
  test::TempDir dir;
  std::filesystem::copy_file(test::data_path("other/shira_bird8.bmp"), dir / "bird.bmp");
  const OwnedImage ppm = write_with_opencv(dir / "small.ppm");

  const auto info = test::run_tessera(dir, "info bird.bmp small.ppm");
  INFO(info.err);
  REQUIRE(info.code == 0);
  CHECK_THAT(info.out, Catch::Contains("small.ppm: 40x30 other"));

  const auto tile =
      test::run_tessera(dir, "tile small.ppm --tile 40x30 -f png -o out --name '{stem}.{ext}'");
  INFO(tile.err);
  REQUIRE(tile.code == 0);
  auto crop = test::decode_whole(*InputBytes::open_file(dir / "out/small.png"));
  REQUIRE(crop.ok());
  CHECK(test::same_pixels(crop->view(), ppm.view()));

  const auto bmp = test::run_tessera(dir, "tile bird.bmp --tile 32 -o bmp_out");
  INFO(bmp.err);
  CHECK(bmp.code == 0);
  CHECK_FALSE(std::filesystem::is_empty(dir.path() / "bmp_out"));
}

TEST_CASE("a missing OpenCV module fails only the inputs that need it, saying what to install",
          "[cli][opencv]") {
  test::TempDir dir;
  std::filesystem::create_directory(dir.path() / "empty");
  std::filesystem::copy_file(test::data_path("other/shira_bird8.bmp"), dir / "bird.bmp");
  test::write_image(dir / "photo.jpg", 64, 48, EncodeOptions{});
  write_with_opencv(dir / "scan.tif");  // TIFF is read by libtiff, never by the module

  const auto run = test::run_shell(
      dir, "TESSERA_MODULE_PATH=empty tessera tile bird.bmp photo.jpg scan.tif --tile 16 -o out");
  INFO(run.err);
  CHECK(run.code == 1);
  CHECK_THAT(run.err,
             Catch::Contains("bird.bmp: not a JPEG or PNG, and reading it") &&
                 Catch::Contains("needs tessera's OpenCV decoder module libtessera_opencv.so") &&
                 Catch::Contains("TESSERA_MODULE_PATH"));
  CHECK(std::filesystem::exists(dir.path() / "out/photo/0_0.jpg"));
  CHECK(std::filesystem::exists(dir.path() / "out/scan/0_0.jpg"));
  // Only a coverage warning (40x30 is not a multiple of 16) may name it, never a failure.
  CHECK_THAT(run.out, Catch::Contains("3 images (2 ok)"));
  for (std::size_t at = run.err.find("scan.tif"); at != std::string::npos;
       at = run.err.find("scan.tif", at + 1)) {
    CHECK(run.err.compare(at, 18, "scan.tif: warning:") == 0);
  }

  test::write_text(dir.path() / "empty/libtessera_opencv.so", "not a shared object");
  const auto broken = test::run_shell(dir, "TESSERA_MODULE_PATH=empty tessera info bird.bmp");
  CHECK(broken.code != 0);
  CHECK_THAT(broken.err,
             Catch::Contains("cannot be loaded") && Catch::Contains("libopencv-imgcodecs"));
}
