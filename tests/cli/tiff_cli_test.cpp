// TIFF through the tessera binary: info shows the layout, tiles equal the source pixels from a
// file and from stdin, --page chooses a page, a bad TIFF fails alone with libtiff's reason in
// tessera's message, and a 16384x16384 tiled JPEG TIFF streams in far less memory than it
// decodes to.
#include <tiffio.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_runner.hpp"
#include "test_images.hpp"
#include "test_tiff.hpp"

namespace {

using namespace tessera;

test::TiffSpec tiled_lzw() {
  test::TiffSpec spec;
  spec.tiled = true;
  spec.tile_width = 32;
  spec.tile_height = 48;
  spec.compression = COMPRESSION_LZW;
  return spec;
}

// The crop at (x, y) of `source`, written by tessera as out/STEM/X_Y.png, equals the source.
void check_png_crop(const std::filesystem::path& file, const OwnedImage& source, int x, int y) {
  INFO(file.string());
  auto crop = test::decode_whole(*InputBytes::open_file(file.string()));
  REQUIRE(crop.ok());
  CHECK(test::same_pixels(crop->view(), source.view().crop(x, y, crop->width, crop->height)));
}

}  // namespace

TEST_CASE("tessera info shows a TIFF's layout, compression and BigTIFF", "[cli][tiff]") {
  test::TempDir dir;
  const OwnedImage image = make_demo_image(100, 60, PixelFormat::kRgb8, 4);
  test::TiffSpec jpeg;
  jpeg.tiled = true;
  jpeg.tile_width = 64;
  jpeg.tile_height = 32;
  jpeg.compression = COMPRESSION_JPEG;
  jpeg.ycbcr = true;
  jpeg.bigtiff = true;
  test::write_tiff(dir / "tiles.tif", image, jpeg);
  test::TiffSpec strips;
  strips.rows_per_strip = 8;
  strips.compression = COMPRESSION_LZW;
  test::write_tiff(dir / "strips.tif", image, strips);

  const auto text = test::run_tessera(dir, "info tiles.tif strips.tif");
  INFO(text.err);
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("tiles.tif: 100x60 tiff, 3 channels (8-bit), decodes to "
                                       "rgb8, tiles of 64x32, compression jpeg, BigTIFF yes, "
                                       "page 0"));
  CHECK_THAT(text.out, Catch::Contains("strips.tif: 100x60 tiff, 3 channels (8-bit), decodes to "
                                       "rgb8, strips of 8 rows, compression lzw, BigTIFF no"));

  const auto json = test::run_tessera(dir, "info --json tiles.tif strips.tif");
  REQUIRE(json.code == 0);
  const auto all = nlohmann::json::parse(json.out);
  REQUIRE(all.size() == 2);
  CHECK(all[0]["format"] == "tiff");
  CHECK(all[0]["tiff"] == nlohmann::json{{"layout", "tiles"},
                                         {"tile_width", 64},
                                         {"tile_height", 32},
                                         {"compression", "jpeg"},
                                         {"bigtiff", true},
                                         {"page", 0}});
  CHECK(all[1]["tiff"]["layout"] == "strips");
  CHECK(all[1]["tiff"]["rows_per_strip"] == 8);
}

TEST_CASE("a tiled TIFF is cut into crops equal to its pixels, from a file and from stdin",
          "[cli][tiff]") {
  test::TempDir dir;
  const OwnedImage image = make_demo_image(150, 110, PixelFormat::kRgb8, 9);
  test::write_tiff(dir / "scan.tif", image, tiled_lzw());

  const auto file =
      test::run_tessera(dir, "tile scan.tif --tile 64 --edge clip -f png -o out -j 2");
  INFO(file.err);
  REQUIRE(file.code == 0);
  const auto names = test::output_names(dir.path() / "out");
  CHECK(names.size() == 3 * 2);
  for (const int y : {0, 64}) {
    for (const int x : {0, 64, 128}) {
      check_png_crop(dir.path() / "out/scan" / fmt::format("{}_{}.png", x, y), image, x, y);
    }
  }

  // libtiff seeks, so stdin is read whole first (within the stream limit), then decoded.
  const auto piped = test::run_shell(
      dir, "cat scan.tif | tessera tile - --tile 64 --edge clip -f png -o piped --quiet");
  INFO(piped.err);
  REQUIRE(piped.code == 0);
  CHECK(test::output_names(dir.path() / "piped").size() == names.size());
  for (const auto& name : names) {  // scan/X_Y.png; stdin's crops are named stdin/X_Y.png
    const std::string crop = std::filesystem::path(name).filename().string();
    CHECK(test::read_file(dir / ("out/scan/" + crop)) ==
          test::read_file(dir / ("piped/stdin/" + crop)));
  }
}

TEST_CASE("a multi-page TIFF page is chosen with --page and kept in the run record",
          "[cli][tiff]") {
  test::TempDir dir;
  const OwnedImage first = make_demo_image(40, 30, PixelFormat::kGray8, 1);
  const OwnedImage second = make_demo_image(50, 20, PixelFormat::kGray8, 2);
  std::vector<test::TiffPage> pages;
  for (const OwnedImage* image : {&first, &second}) {
    test::TiffSpec spec;
    spec.width = image->width;
    spec.height = image->height;
    spec.samples = 1;
    pages.push_back({spec, [image](int y, std::uint8_t* row) {
                       std::memcpy(row, image->view().row(y), image->stride());
                     }});
  }
  test::write_tiff(dir / "pages.tif", pages);

  const auto info = test::run_tessera(dir, "info --page 1 pages.tif");
  REQUIRE(info.code == 0);
  CHECK_THAT(info.out, Catch::Contains("pages.tif: 50x20 tiff") && Catch::Contains("page 1"));

  const auto run =
      test::run_tessera(dir, "tile pages.tif --page 1 --tile 50x20 -f png -o out --quiet");
  INFO(run.err);
  REQUIRE(run.code == 0);
  check_png_crop(dir.path() / "out/pages/0_0.png", second, 0, 0);
  CHECK_THAT(test::read_text(dir.path() / "out/.tessera-run.json"), Catch::Contains("\"page\": 1"));

  const auto missing = test::run_tessera(dir, "tile pages.tif --page 2 --tile 8 --quiet");
  CHECK(missing.code == 1);
  CHECK_THAT(missing.err, Catch::Contains("pages.tif: page 2 does not exist; the TIFF has 2 "
                                          "pages"));
}

TEST_CASE("a bad TIFF fails alone, with libtiff's reason inside tessera's message", "[cli][tiff]") {
  test::TempDir dir;
  const OwnedImage image = make_demo_image(64, 64, PixelFormat::kRgb8, 3);
  test::write_tiff(dir / "good.tif", image, tiled_lzw());
  std::vector<std::uint8_t> bytes = test::read_file(dir / "good.tif");
  bytes.resize(bytes.size() / 3);
  test::write_bytes(dir.path() / "cut.tif", bytes);

  const auto run = test::run_tessera(dir, "tile cut.tif good.tif --tile 32 -o out --quiet");
  CHECK(run.code == 1);
  CHECK(test::output_names(dir.path() / "out").size() == 4);
  // Every line on stderr is tessera's: libtiff printed nothing of its own.
  std::size_t lines = 0;
  for (std::size_t start = 0; start < run.err.size();) {
    const std::size_t end = run.err.find('\n', start);
    const std::string line = run.err.substr(start, end - start);
    INFO(line);
    CHECK_THAT(line, Catch::StartsWith("tessera") || Catch::StartsWith("  "));
    ++lines;
    start = end == std::string::npos ? run.err.size() : end + 1;
  }
  CHECK(lines >= 1);
  CHECK_THAT(run.err, Catch::Contains("cut.tif: "));
}

TEST_CASE("a 16384x16384 tiled JPEG TIFF streams in far less memory than it decodes to",
          "[tiff][memory][slow]") {  // runs the binary, but belongs with the slow cases
  test::TempDir dir;
  constexpr int kSide = 16384;
  test::TiffSpec spec;
  spec.width = spec.height = kSide;
  spec.tiled = true;
  spec.tile_width = spec.tile_height = 256;
  spec.compression = COMPRESSION_JPEG;
  spec.ycbcr = true;
  spec.jpeg_quality = 80;
  // Smooth shading with a little texture: cheap to make, and a realistic JPEG size.
  test::write_tiff(dir / "big.tif", {{spec, [](int y, std::uint8_t* row) {
                                        for (int x = 0; x < kSide; ++x) {
                                          row[3 * x] = static_cast<std::uint8_t>(x >> 6);
                                          row[3 * x + 1] = static_cast<std::uint8_t>(y >> 6);
                                          row[3 * x + 2] = static_cast<std::uint8_t>((x ^ y) & 31);
                                        }
                                      }}});

  // The null sink: every tile is cut and encoded, none is kept. AddressSanitizer keeps up to
  // 256 MiB of freed blocks in quarantine, resident but not tessera's; keep that small.
#if defined(__SANITIZE_ADDRESS__)
  const std::string asan = "ASAN_OPTIONS=${ASAN_OPTIONS}:quarantine_size_mb=8 ";
#else
  const std::string asan;
#endif
  const auto run =
      test::run_shell(dir, asan + "tessera tile big.tif --tile 256 -j 2 --json --quiet");
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto summary = test::last_json_line(run.out);
  CHECK(summary["crops"] == 64 * 64);
  CHECK(summary["pixels_decoded"] == std::uint64_t{kSide} * kSide);
  // Decoded, the image is 768 MiB; tessera holds a band window of two tile rows plus a band,
  // one row of TIFF tiles and the encode buffers: well under 200 MiB, under ASan too.
  const double decoded_mib = double(kSide) * kSide * 3 / (1 << 20);
  CHECK(summary["peak_rss_mb"].get<double>() < 200.0);
  CHECK(summary["peak_rss_mb"].get<double>() < decoded_mib / 4);
}
