// tessera pyramid's promises besides the pixels: errors that say what to do, outputs that
// appear whole or not at all, the same bytes for any thread count, and memory of a few bands
// per level however tall the image.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "cli_runner.hpp"
#include "test_images.hpp"

namespace tessera::test {
namespace {

namespace fs = std::filesystem;

// Everything under dir but the input and tessera's locks.
std::vector<std::string> written(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    const std::string name = fs::relative(entry.path(), dir.path()).string();
    if (name == "in.jpg" || name.starts_with(".spawn") || tessera_bookkeeping(entry.path())) {
      continue;
    }
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("pyramid: bad options fail before anything is written, saying what to change", "[cli]") {
  TempDir dir;
  write_image(dir / "in.jpg", 300, 200, EncodeOptions{});
  CliOutcome r = run_tessera(dir, "pyramid in.jpg -o p.zip --viewer");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("cannot go into a .zip"));
  r = run_tessera(dir, "pyramid in.jpg -o p --layout iiif --overlap 2");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("IIIF tiles have no overlap"));
  r = run_tessera(dir, "pyramid in.jpg -o p --tile-size 64 --overlap 65");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("larger than the tile size"));
  r = run_shell(dir, "TESSERA_OPENSEADRAGON=/nonexistent tessera pyramid in.jpg -o p --viewer");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent is not OpenSeadragon's npm package"));
  r = run_tessera(dir, "pyramid in.jpg -o ..");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("does not name a pyramid"));
  CHECK(written(dir).empty());
}

TEST_CASE("pyramid: a damaged input leaves no output and no temporary files", "[cli]") {
  TempDir dir;
  write_image(dir / "whole.jpg", 600, 400, EncodeOptions{});
  auto bytes = read_file(dir / "whole.jpg");
  bytes.resize(bytes.size() / 2);
  write_bytes(dir / "in.jpg", bytes);
  fs::remove(dir / "whole.jpg");
  for (const char* out : {"p", "p.zip", "site/p --viewer", "i --layout iiif"}) {
    const CliOutcome r = run_tessera(dir, fmt::format("pyramid in.jpg -o {} --tile-size 64", out));
    INFO(out << ": " << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("in.jpg"));
    const auto left = written(dir);
    CHECK((left.empty() || left == std::vector<std::string>{"site"}));
  }
}

TEST_CASE("pyramid: an existing output is refused, and replaced whole with --overwrite", "[cli]") {
  TempDir dir;
  write_image(dir / "in.jpg", 300, 200, EncodeOptions{});
  REQUIRE(run_tessera(dir, "pyramid in.jpg -o p --tile-size 64").code == 0);
  const auto first = written(dir);
  CliOutcome r = run_tessera(dir, "pyramid in.jpg -o p --tile-size 128");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("already exists") && Catch::Contains("--overwrite"));
  CHECK(written(dir) == first);
  r = run_tessera(dir, "pyramid in.jpg -o p --tile-size 128 --overwrite");
  CHECK(r.code == 0);
  CHECK_THAT(read_text(dir / "p.dzi"), Catch::Contains("TileSize=\"128\""));
  CHECK_FALSE(fs::exists(dir / "p_files/9/4_0.jpg"));  // only the 64 px grid had a fifth column
  CHECK(fs::exists(dir / "p_files/9/1_1.jpg"));
}

TEST_CASE("pyramid: the same zip bytes for 1 and 4 threads, and --skip-blank drops flat tiles",
          "[cli]") {
  TempDir dir;
  write_image(dir / "in.jpg", 900, 500, EncodeOptions{});
  REQUIRE(run_tessera(dir, "pyramid in.jpg -o a/p.zip --tile-size 64 -j 1").code == 0);
  REQUIRE(
      run_tessera(dir, "pyramid in.jpg -o b/p.zip --tile-size 64 -j 4 --crops-in-flight 3").code ==
      0);
  CHECK(read_file(dir / "a/p.zip") == read_file(dir / "b/p.zip"));

  // A flat grey image: every tile is blank, so none is written; the descriptor still is.
  std::vector<std::uint8_t> grey(static_cast<std::size_t>(300 * 200 * 3), 128);
  auto jpeg = encode_to_vector(ImageView{grey.data(), 300, 200, 900, PixelFormat::kRgb8}, {});
  REQUIRE(jpeg);
  write_bytes(dir / "flat.jpg", *jpeg);
  const CliOutcome r = run_tessera(dir, "pyramid flat.jpg -o flat --skip-blank 2 --json");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto summary = last_json_line(r.out);
  CHECK(summary["tiles"] == 0);
  CHECK(summary["skipped"] == 11);  // 2 tiles at full size, one on each of the 9 smaller levels
  CHECK(fs::exists(dir / "flat.dzi"));
}

TEST_CASE("pyramid: a tall image streams with windows far smaller than the image", "[cli][slow]") {
  TempDir dir;
  constexpr int kWidth = 512, kHeight = 40000;
  write_image(dir / "in.jpg", kWidth, kHeight, EncodeOptions{});
  const CliOutcome r = run_tessera(dir, "pyramid in.jpg -o p.zip --tile-size 256 --json");
  REQUIRE(r.code == 0);
  const auto summary = last_json_line(r.out);
  const double image_mb = double(kWidth) * kHeight * 3 / 1e6;
  CHECK(summary["peak_window_mb"].get<double>() < image_mb / 20);
  CHECK(summary["peak_rss_mb"].get<double>() < image_mb / 2);
}

}  // namespace tessera::test
