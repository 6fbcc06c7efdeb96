// tessera tile|crop|random --lossless as a user runs it: each crop is byte for byte what
// `jpegtran -crop WxH+X+Y -copy none` writes for it (libjpeg-turbo-progs, installed by
// scripts/setup.sh), options that need pixels are usage errors, unaligned crops fail with the
// grid named or go through pixels under =auto, and the summary counts both.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "test_images.hpp"
#include "test_jpegs.hpp"

using namespace tessera;
using test::run_shell;
using test::run_tessera;

namespace {

std::string jpegtran_crop(const test::TempDir& dir, const std::string& source, int x, int y, int w,
                          int h, const std::string& flags = "") {
  const std::string out = dir / fmt::format("jpegtran_{}_{}.jpg", x, y);
  const auto outcome =
      run_shell(dir, fmt::format("jpegtran {} -copy none -crop {}x{}+{}+{} {} > {}", flags, w, h, x,
                                 y, source, out));
  REQUIRE(outcome.code == 0);
  return test::read_text(out);
}

}  // namespace

TEST_CASE("tessera tile --lossless writes what jpegtran -crop writes, tile by tile",
          "[cli][lossless]") {
  test::TempDir dir;
  const std::vector<test::JpegSpec> specs = {
      {"420 restart", 200, 150, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}, 3},
      {"422", 130, 70, JCS_RGB, JCS_YCbCr, {{2, 1}, {1, 1}, {1, 1}}},
      {"gray", 90, 77, JCS_GRAYSCALE, JCS_GRAYSCALE, {{1, 1}}},
      {"cmyk", 70, 50, JCS_CMYK, JCS_YCCK, {{2, 2}, {1, 1}, {1, 1}, {2, 2}}}};
  for (const test::JpegSpec& spec : specs) {
    INFO(spec.name);
    const std::string source = dir / "src.jpg";
    test::write_bytes(source, test::make_jpeg(spec));
    for (const std::string flags : {"", "--optimize", "--progressive"}) {
      INFO(flags);
      std::filesystem::remove_all(dir / "tiles");
      const auto outcome =
          run_tessera(dir, fmt::format("tile src.jpg --tile 64x32 --edge clip --lossless {} "
                                       "-o tiles/ --quiet --threads 2",
                                       flags));
      REQUIRE(outcome.code == 0);
      int compared = 0;
      for (int y = 0; y < spec.height; y += 32) {
        for (int x = 0; x < spec.width; x += 64) {
          const int w = std::min(64, spec.width - x), h = std::min(32, spec.height - y);
          const std::string ours = test::read_text(dir / fmt::format("tiles/src/{}_{}.jpg", x, y));
          REQUIRE(!ours.empty());
          CHECK(ours == jpegtran_crop(dir, source, x, y, w, h, flags == "" ? "" : flags.substr(1)));
          ++compared;
        }
      }
      CHECK(compared > 2);
    }
  }
}

TEST_CASE("lossless refuses -q, --subsampling, --edge pad and -f png as usage errors",
          "[cli][lossless]") {
  test::TempDir dir;
  test::write_bytes(dir / "src.jpg",
                    test::make_jpeg({"420", 64, 64, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}}));
  for (const auto& [args, words] :
       {std::pair{"tile src.jpg --tile 16 --lossless -q 80", "--quality excludes --lossless"},
        {"random src.jpg --count 3 --size 16 --lossless --subsampling 444", "excludes --lossless"},
        {"tile src.jpg --tile 16 --lossless --edge pad", "--edge pad cannot go with --lossless"},
        {"tile src.jpg --tile 16 --lossless -f png", "--lossless writes JPEG"},
        {"tile src.jpg --tile 16 --lossless=maybe", "maybe not in {on,auto}"}}) {
    INFO(args);
    const auto outcome = run_tessera(dir, std::string(args) + " -o out/");
    CHECK(outcome.code == 2);
    CHECK_THAT(outcome.err, Catch::Contains(words));
    CHECK_FALSE(std::filesystem::exists(dir / "out"));
  }
}

TEST_CASE("unaligned crops: --lossless names the grid, --lossless=auto cuts them from pixels",
          "[cli][lossless]") {
  test::TempDir dir;
  test::write_bytes(
      dir / "src.jpg",
      test::make_jpeg({"420", 128, 64, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}}));
  test::write_text(dir / "rois.csv", "0,0,32,32,a\n16,16,40,30,b\n8,0,16,16,c\n20,33,16,16,d\n");
  const auto info = run_tessera(dir, "info src.jpg");
  CHECK_THAT(info.out, Catch::Contains("MCU 16x16"));

  const auto strict = run_tessera(dir, "crop src.jpg --rois rois.csv --lossless -o strict/ --json");
  CHECK(strict.code == 1);
  CHECK_THAT(strict.err, Catch::Contains("crop 16x16 at (8, 0) is not on this JPEG's 16x16 MCU "
                                         "grid (4:2:0)"));
  const auto strict_json = test::last_json_line(strict.out);
  CHECK(strict_json["crops"] == 2);
  CHECK(strict_json["lossless"] == 2);
  CHECK(strict_json["unaligned"] == 2);
  CHECK(strict_json["failed"] == 2);

  const auto automatic =
      run_tessera(dir, "crop src.jpg --rois rois.csv --lossless=auto -o auto/ --json");
  CHECK(automatic.code == 0);
  const auto auto_json = test::last_json_line(automatic.out);
  CHECK(auto_json["crops"] == 4);
  CHECK(auto_json["lossless"] == 2);
  CHECK(auto_json["unaligned"] == 2);
  const auto human = run_tessera(dir, "crop src.jpg --rois rois.csv --lossless=auto -o human/");
  CHECK_THAT(human.out,
             Catch::Contains("lossless: 2 cut from DCT coefficients, 2 off the MCU grid"));
  // The aligned crops are jpegtran's; the others are the pixel path's own bytes.
  CHECK(test::read_text(dir / "auto/src/b.jpg") ==
        jpegtran_crop(dir, dir / "src.jpg", 16, 16, 40, 30));
  const auto pixels = run_tessera(dir, "crop src.jpg --rois rois.csv -o pixels/ --quiet");
  REQUIRE(pixels.code == 0);
  CHECK(test::read_text(dir / "auto/src/c.jpg") == test::read_text(dir / "pixels/src/c.jpg"));
}
