// What tessera writes is the dataset asked for, or it says why not: names never collide,
// messages match what happened, and sizes from input or flags are checked before allocation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "temp_dir.hpp"
#include "tessera/codecs/encoder.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::test;

namespace {

std::vector<std::string> files_in(const fs::path& root) {
  return tessera::test::output_names(root);
}

// Member names of a tar file, listed by tar(1).
std::vector<std::string> members(const TempDir& dir, const std::string& shard) {
  const auto listed = run_shell(dir, "tar tf " + shard);
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < listed.out.size()) {
    const auto end = listed.out.find('\n', start);
    names.push_back(listed.out.substr(start, end - start));
    start = end == std::string::npos ? listed.out.size() : end + 1;
  }
  return names;
}

bool all_unique(const std::vector<std::string>& names) {
  return std::set<std::string>(names.begin(), names.end()).size() == names.size();
}

void write_scans(const TempDir& dir) {
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  for (const char* path : {"a/scan.jpg", "b/scan.jpg", "scan.jpg"}) {
    write_image(dir / path, 64, 48, EncodeOptions{});
  }
}

}  // namespace

TEST_CASE("inputs that share a stem never share an output name", "[cli]") {
  TempDir dir;
  write_scans(dir);
  auto run = run_tessera(dir, "tile a/scan.jpg b/scan.jpg --tile 32 -o out/");
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("4 crops written"));
  const auto files = files_in(dir.path() / "out");
  CHECK(files.size() == 4);
  CHECK(std::count(files.begin(), files.end(), "scan/0_0.jpg") == 1);
  CHECK(std::count(files.begin(), files.end(), "scan_j1/0_0.jpg") == 1);

  run = run_tessera(dir, "tile a/scan.jpg b/scan.jpg scan.jpg --tile 32 -o s.tar");
  CHECK(run.code == 0);
  const auto names = members(dir, "s-000000.tar");
  CHECK(names.size() == 12);
  CHECK(all_unique(names));
}

TEST_CASE("a manifest that repeats one image gives every line its own names", "[cli]") {
  TempDir dir;
  write_scans(dir);
  std::string lines;
  for (int i = 0; i < 50; ++i) lines += "{\"input\": \"scan.jpg\"}\n";
  write_text(dir.path() / "jobs.jsonl", lines);
  auto run = run_tessera(dir, "manifest jobs.jsonl --tile 16 -o m.tar");
  CHECK(run.code == 0);
  const auto names = members(dir, "m-000000.tar");
  CHECK(names.size() == 50 * 12 * 2);
  CHECK(all_unique(names));
}

TEST_CASE("repeated ROIs and random crops at one position keep their own names", "[cli]") {
  TempDir dir;
  write_scans(dir);
  write_text(dir.path() / "same.csv", "0,0,10,10\n0,0,10,10\n0,0,12,12\n");
  auto run = run_tessera(dir, "crop scan.jpg --rois same.csv -o d/");
  CHECK(run.code == 0);
  CHECK(files_in(dir.path() / "d").size() == 3);
  run = run_tessera(dir, "crop scan.jpg --rois same.csv -o t.tar");
  CHECK(members(dir, "t-000000.tar").size() == 6);
  CHECK(all_unique(members(dir, "t-000000.tar")));
  // 200 crops of 4 to 5 pixels in a 64x48 image: positions repeat.
  run = run_tessera(dir, "random scan.jpg --count 200 --size 4:5 --seed 1 -o r/");
  CHECK(run.code == 0);
  CHECK(files_in(dir.path() / "r").size() == 200);
}

TEST_CASE("ROI keys that clash are refused, naming both ROIs", "[cli]") {
  TempDir dir;
  write_scans(dir);
  write_text(dir.path() / "dup.csv", "0,0,10,10,eye\n5,5,10,10,eye\n");
  auto run = run_tessera(dir, "crop scan.jpg --rois dup.csv -o k.tar");
  CHECK(run.code != 0);
  CHECK_THAT(run.err, Catch::Contains("ROI 0 and ROI 1 would both be named \"eye\""));
  write_text(dir.path() / "gen.csv", "0,0,10,10\n5,5,10,10,scan_0_0_10_10\n");
  run = run_tessera(dir, "crop scan.jpg --rois gen.csv -o g.tar");
  CHECK(run.code != 0);
  CHECK_THAT(run.err, Catch::Contains("would both be named \"scan_0_0_10_10\""));
  CHECK_FALSE(fs::exists(dir.path() / "g-000000.tar"));
}

TEST_CASE("a name template that cannot tell crops apart is refused before writing", "[cli]") {
  TempDir dir;
  write_scans(dir);
  // No input in the name: with two inputs, refused before anything is written.
  auto run = run_tessera(dir, "tile a/scan.jpg b/scan.jpg --tile 32 -o d/ --name {x}_{y}.{ext}");
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("names no input") && Catch::Contains("{stem} or {job}"));
  CHECK(files_in(dir.path() / "d").empty());
  // ... and from a manifest, whose number of lines is not known in advance.
  write_text(dir.path() / "jobs.jsonl", "{\"input\": \"scan.jpg\"}\n");
  run = run_tessera(dir, "manifest jobs.jsonl --tile 32 -o m/ --name {x}_{y}.{ext}");
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("names no input"));
  // One input is fine.
  run = run_tessera(dir, "tile scan.jpg --tile 32 -o one/ --name {x}_{y}.{ext}");
  CHECK(run.code == 0);
  CHECK(files_in(dir.path() / "one") == std::vector<std::string>{"0_0.jpg", "32_0.jpg"});

  // No crop in the name: the image's job fails with nothing written.
  run = run_tessera(dir, "tile scan.jpg --tile 32 -o c/ --name out.{ext}");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("names no crop, so all 2 crops of this image would get one "
                                      "name; add {index}, {key} or {x} and {y}"));
  CHECK(files_in(dir.path() / "c").empty());
  // A plan of one crop may have a fixed name.
  write_text(dir.path() / "one.csv", "0,0,10,10\n");
  run = run_tessera(dir, "crop scan.jpg --rois one.csv -o f/ --name out.{ext}");
  CHECK(run.code == 0);
  CHECK(files_in(dir.path() / "f") == std::vector<std::string>{"out.jpg"});
}

TEST_CASE("SAHI slicing: shifted full-size tiles named by column and row", "[cli]") {
  TempDir dir;
  write_image(dir / "odd.jpg", 70, 50, EncodeOptions{});
  // 32 px tiles, 25% overlap (8 px, stride 24): columns at 0, 24, 38; rows at 0, 18.
  auto run = run_tessera(
      dir,
      "tile odd.jpg --tile 32 --overlap 25% --edge shift -o d/ --name {stem}/{row}_{col}.{ext}");
  CHECK(run.code == 0);
  CHECK_THAT(run.err, !Catch::Contains("warning"));
  CHECK(files_in(dir.path() / "d") == std::vector<std::string>{"odd/0_0.jpg", "odd/0_1.jpg",
                                                               "odd/0_2.jpg", "odd/1_0.jpg",
                                                               "odd/1_1.jpg", "odd/1_2.jpg"});
  run = run_tessera(dir, "tile odd.jpg --tile 32 --overlap 25% --edge shift -o s.tar");
  CHECK(run.code == 0);
  const auto names = members(dir, "s-000000.tar");
  CHECK(std::count(names.begin(), names.end(), "odd_38_18_32_32.jpg") == 1);
  // {col} and {row} belong to grids: an ROI list with them fails before writing.
  write_text(dir.path() / "two.csv", "0,0,10,10\n5,5,10,10\n");
  run =
      run_tessera(dir, "crop odd.jpg --rois two.csv -o r/ --name {stem}/{col}_{row}_{index}.{ext}");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("only grid tiles have"));
  CHECK(files_in(dir.path() / "r").empty());
  run = run_tessera(dir, "crop odd.jpg --rois two.csv --edge shift -o r/");
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("shift not in"));
}

TEST_CASE("a key given to two images stays unique in tar output", "[cli]") {
  TempDir dir;
  write_scans(dir);
  write_text(dir.path() / "keys.csv", "0,0,10,10,eye\n10,0,10,10,ear\n");
  // The same ROI file for two lines, and one key_prefix given twice.
  write_text(dir.path() / "jobs.jsonl",
             "{\"input\": \"a/scan.jpg\", \"plan\": {\"rois\": \"keys.csv\"}}\n"
             "{\"input\": \"b/scan.jpg\", \"plan\": {\"rois\": \"keys.csv\"}}\n"
             "{\"input\": \"scan.jpg\", \"key_prefix\": \"p\"}\n"
             "{\"input\": \"scan.jpg\", \"key_prefix\": \"p\"}\n");
  auto run = run_tessera(dir, "manifest jobs.jsonl --tile 32 -o k.tar");
  CHECK(run.code == 0);
  const auto names = members(dir, "k-000000.tar");
  CHECK(names.size() == (2 + 2 + 2 + 2) * 2);
  CHECK(all_unique(names));
  for (const char* name : {"eye.jpg", "eye_j1.jpg", "p_0_0_32_32.jpg", "p_0_0_32_32_j3.jpg"}) {
    CAPTURE(name);
    CHECK(std::count(names.begin(), names.end(), name) == 1);
  }
}

TEST_CASE("a plan that leaves part of the image uncovered says so", "[cli]") {
  TempDir dir;
  write_image(dir / "odd.jpg", 70, 50, EncodeOptions{});
  auto run = run_tessera(dir, "tile odd.jpg --tile 32 -o d/ --json");
  CHECK(run.code == 0);
  CHECK_THAT(run.err, Catch::Contains("odd.jpg: warning: --edge drop leaves the right 6 px and the "
                                      "bottom 18 px of the 70x50 image without a tile (2 of 6 "
                                      "tiles planned); --edge clip or --edge pad covers them"));
  CHECK(last_json_line(run.out)["warned_images"] == 1);
  run = run_tessera(dir, "tile odd.jpg --tile 32 --edge clip -o c/");
  CHECK(run.code == 0);
  CHECK_THAT(run.err, !Catch::Contains("warning"));
  // Nothing planned at all.
  run = run_tessera(dir, "tile odd.jpg --tile 64 -o n/");
  CHECK(run.code == 0);
  CHECK_THAT(run.err, Catch::Contains("the plan yields no crops: a 64x64 tile does not fit in the "
                                      "70x50 image"));
  write_text(dir.path() / "out.csv", "0,0,10,10\n65,0,10,10\n");
  run = run_tessera(dir, "crop odd.jpg --rois out.csv --edge drop -o r/");
  CHECK(run.code == 0);
  CHECK_THAT(run.err, Catch::Contains("--edge drop left out 1 of 2 ROIs, which reach past the edge "
                                      "of the 70x50 image"));
}

TEST_CASE("a failed output is reported as a failure", "[cli]") {
  TempDir dir;
  write_scans(dir);
  auto run = run_shell(dir, "tessera tile scan.jpg --tile 32 -o - >/dev/full");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("FAILED: the output failed"));
  CHECK_THAT(run.err, Catch::Contains("(0 ok)"));
  run = run_shell(dir, "tessera tile scan.jpg --tile 32 --json -o - >&-");
  CHECK(run.code == 1);
  const auto summary = last_json_line(run.err);
  CHECK(summary["status"] == "failed");
  CHECK_FALSE(summary["error"].is_null());
}

TEST_CASE("the output option refuses names it would silently turn into a directory", "[cli]") {
  TempDir dir;
  write_scans(dir);
  const std::pair<const char*, const char*> cases[] = {
      {"''", "-o is empty"},
      {"x.tar.gz", "compress the shards afterwards"},
      {"s3://bucket/key", "is a URL"},
  };
  for (const auto& [out, message] : cases) {
    auto run = run_tessera(dir, fmt::format("tile scan.jpg --tile 32 -o {}", out));
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Catch::Contains(message));
  }
  CHECK(files_in(dir.path()).size() == 3);
}

TEST_CASE("a CSV first line with a typo is data, and its error names the line", "[cli]") {
  TempDir dir;
  write_scans(dir);
  write_text(dir.path() / "typo.csv", "1O,0,10,10\n2,2,10,10\n");
  auto run = run_tessera(dir, "crop scan.jpg --rois typo.csv -o out/");
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("typo.csv:1: x must be an integer, found '1O'"));
  write_text(dir.path() / "range.csv", "1,0,10,99999999999\n2,2,10,10\n");
  run = run_tessera(dir, "crop scan.jpg --rois range.csv -o out/");
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("range.csv:1: h value"));
  CHECK_FALSE(fs::exists(dir.path() / "out"));
}

TEST_CASE("a NUL byte in a manifest path is refused, not cut", "[cli]") {
  TempDir dir;
  write_scans(dir);
  write_text(dir.path() / "jobs.jsonl", "{\"input\": \"scan.jpg\\u0000.png\"}\n");
  auto run = run_tessera(dir, "manifest jobs.jsonl --tile 32 -o out/");
  CHECK(run.code != 0);
  CHECK_THAT(run.err, Catch::Contains("\"input\" contains a NUL byte"));
  CHECK(files_in(dir.path() / "out").empty());
}

TEST_CASE("sizes from input and flags are checked before allocation", "[cli]") {
  TempDir dir;
  write_scans(dir);
  write_text(dir.path() / "huge.csv", "0,0,30000,30000\n");
  // 1 GB of address space is far below the 2.6 GB these runs used to allocate.
  const std::string limit = memory_cap_prefix(1'000'000);
  auto run = run_shell(dir, limit + "tessera crop scan.jpg --rois huge.csv --edge pad -o out/");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("ROI 0 (x=0 y=0 w=30000 h=30000) has 900000000 pixels, "
                                      "over the per-crop limit of 67108864"));
  CHECK_THAT(run.err, Catch::Contains("--max-crop-pixels"));
  run = run_shell(dir, limit + "tessera tile scan.jpg --tile 40000 --edge pad -o tiles/");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("grid tile 0 (x=0 y=0 w=40000 h=40000)"));
  run = run_shell(dir, limit + "tessera tile scan.jpg --tile 32 --crops-in-flight 1000000000");
  CHECK(run.code == 2);
  CHECK_THAT(run.err,
             Catch::Contains("--crops-in-flight: Value 1000000000 not in range 0 to 65536"));
  run = run_shell(dir, limit + "tessera tile scan.jpg --tile 32 --threads 100000");
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("not in range 0 to 1024"));
}
