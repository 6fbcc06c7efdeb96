// `tessera plan`: the crops and output names it lists are, name for name, what a real run
// writes (directory and tar output, colliding stems, repeated keys, a manifest), and it reads
// only headers: an image whose pixel data is garbage still plans.
#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "temp_dir.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The plan's CSV as rows of fields (no field here holds a comma or quote).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : lines_of(text)) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
      const auto comma = line.find(',', start);
      fields.push_back(line.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    rows.push_back(fields);
  }
  return rows;
}

constexpr std::size_t kShard = 8;
constexpr std::size_t kOutput = 9;

// (shard file, image member) of every sample in the shards under `dir`, in the order written.
std::vector<std::pair<std::string, std::string>> tar_samples(const fs::path& dir) {
  std::vector<fs::path> shards;
  for (const auto& file : fs::directory_iterator(dir)) {
    if (file.path().extension() == ".tar") shards.push_back(file.path());
  }
  std::sort(shards.begin(), shards.end());
  std::vector<std::pair<std::string, std::string>> samples;
  for (const fs::path& shard : shards) {
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                  &archive_read_free);
    archive_read_support_format_tar(reader.get());
    REQUIRE(archive_read_open_filename(reader.get(), shard.c_str(), 65536) == ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
      const std::string name = archive_entry_pathname(entry);
      if (!name.ends_with(".json")) samples.emplace_back(shard.filename().string(), name);
    }
  }
  return samples;
}

// Two inputs named scan.png in different folders (stems scan and scan_j1, then scan_j3 for
// the same file again), one ROI file used by two lines with the same key prefix (keys that
// repeat across jobs: _j<job> in tar output), two keyless ROIs at one position (_i<index>),
// seeded random crops, a grid, and a bad line.
void write_dataset(const TempDir& tmp) {
  fs::create_directories(tmp.path() / "a");
  fs::create_directories(tmp.path() / "b");
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  write_image(tmp / "a/scan.png", 32, 32, png, 1);
  write_image(tmp / "b/scan.png", 40, 32, png, 2);
  write_image(tmp / "a/other.png", 32, 48, png, 3);
  write_text(tmp.path() / "rois.csv", "0,0,16,16,k1\n8,8,16,16,k2\n4,4,8,8\n4,4,8,8\n");
  write_text(
      tmp.path() / "jobs.jsonl",
      R"({"input": "a/scan.png", "plan": {"tile": 16}})"
      "\n"
      R"({"input": "b/scan.png", "plan": {"rois": "rois.csv"}, "key_prefix": "p"})"
      "\n"
      R"({"input": "a/other.png", "plan": {"rois": "rois.csv"}, "key_prefix": "p"})"
      "\n"
      R"({"input": "b/scan.png", "plan": {"random": {"count": 40, "size": "4:6", "seed": 1}}})"
      "\n");
}

}  // namespace

TEST_CASE("plan lists the files a directory run writes, name for name", "[cli][plan]") {
  TempDir tmp;
  write_dataset(tmp);
  const auto plan = run_tessera(tmp, "plan manifest jobs.jsonl -f png -o out");
  INFO(plan.err);
  REQUIRE(plan.code == 0);
  CHECK_FALSE(fs::exists(tmp.path() / "out"));  // nothing written, not even the directory
  const auto rows = csv_rows(plan.out);
  REQUIRE(rows.size() > 1);
  CHECK(rows[0] == std::vector<std::string>{"source", "job", "index", "x", "y", "w", "h", "key",
                                            "shard", "output"});
  std::vector<std::string> listed;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == 10);
    REQUIRE(rows[i][kOutput].starts_with("out/"));
    listed.push_back(rows[i][kOutput].substr(4));
  }
  const auto run = run_tessera(tmp, "manifest jobs.jsonl -f png -o out");
  INFO(run.err);
  REQUIRE(run.code == 0);
  const std::vector<std::string> written = output_names(tmp.path() / "out");
  std::sort(listed.begin(), listed.end());
  CHECK(listed == written);
  // The collisions the dataset was made for were named, not overwritten.
  CHECK(std::count_if(written.begin(), written.end(),
                      [](const std::string& n) { return n.starts_with("scan_j1/"); }) == 4);
  CHECK(std::count(written.begin(), written.end(), "scan_j1/4_4_i3.png") == 1);
  CHECK(std::count_if(written.begin(), written.end(),
                      [](const std::string& n) { return n.starts_with("scan_j3/"); }) == 40);
}

TEST_CASE("plan lists the tar members and shards a run writes, in its order", "[cli][plan]") {
  TempDir tmp;
  write_dataset(tmp);
  const auto plan =
      run_tessera(tmp, "plan manifest jobs.jsonl -f png -o ds.tar --shard-size 7samples");
  INFO(plan.err);
  REQUIRE(plan.code == 0);
  CHECK(output_names(tmp.path()).size() == 5);  // the inputs, ROI file and manifest only
  std::vector<std::pair<std::string, std::string>> listed;
  const auto rows = csv_rows(plan.out);
  for (std::size_t i = 1; i < rows.size(); ++i)
    listed.emplace_back(rows[i][kShard], rows[i][kOutput]);

  const auto run =
      run_tessera(tmp, "manifest jobs.jsonl -f png -o ds.tar --shard-size 7samples -j 2");
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto written = tar_samples(tmp.path());
  CHECK(listed == written);
  CHECK(written.size() == 4 + 4 + 4 + 40);
  CHECK(std::count(written.begin(), written.end(),
                   std::pair<std::string, std::string>("ds-000001.tar", "p_k1_j2.png")) == 1);

  // JSON lines carry the same names; shard sizes in bytes leave the shard unknown.
  const auto jsonl = run_tessera(tmp, "plan manifest jobs.jsonl -f png -o ds.tar --jsonl");
  REQUIRE(jsonl.code == 0);
  const auto lines = lines_of(jsonl.out);
  REQUIRE(lines.size() == written.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line = nlohmann::json::parse(lines[i]);
    CHECK(line["output"] == written[i].second);
    CHECK(line["shard"] == "ds-000000.tar");
  }
  const auto bytes =
      run_tessera(tmp, "plan manifest jobs.jsonl -o ds.tar --shard-size 1MB --jsonl");
  REQUIRE(bytes.code == 0);
  CHECK(nlohmann::json::parse(lines_of(bytes.out).at(0))["shard"].is_null());
}

TEST_CASE("plan names a task's tar members and shards as the task writes them", "[cli][plan]") {
  TempDir tmp;
  write_dataset(tmp);
  for (const std::string task : {"0/2", "1/2"}) {
    const std::string options = "-f png -o part/ds.tar --shard-size 5samples --shard " + task;
    const auto plan = run_tessera(tmp, "plan manifest jobs.jsonl " + options);
    INFO(task << ": " << plan.err);
    REQUIRE(plan.code == 0);
    std::vector<std::pair<std::string, std::string>> listed;
    const auto rows = csv_rows(plan.out);
    for (std::size_t i = 1; i < rows.size(); ++i)
      listed.emplace_back(fs::path(rows[i][kShard]).filename().string(), rows[i][kOutput]);
    const auto run = run_tessera(tmp, "manifest jobs.jsonl -j 2 " + options);
    REQUIRE(run.code == 0);
    const auto written = tar_samples(tmp.path() / "part");
    CHECK(listed == written);
    CHECK_FALSE(written.empty());
    fs::remove_all(tmp.path() / "part");
  }
}

TEST_CASE("plan reads only headers: garbage entropy data still plans, and uncovered pixels warn",
          "[cli][plan]") {
  TempDir tmp;
  EncodeOptions jpeg;
  jpeg.format = OutputFormat::kJpeg;
  write_image(tmp / "good.jpg", 70, 50, jpeg, 4);
  // Keep everything up to the scan header (what a decoder reads before any pixel); overwrite
  // the entropy-coded data after it with garbage, and cut it short, so decoding must fail.
  auto bytes = read_file(tmp / "good.jpg");
  const std::string text(bytes.begin(), bytes.end());
  const std::size_t sos = text.find("\xFF\xDA");
  REQUIRE(sos != std::string::npos);
  const std::size_t data = sos + 2 + (std::size_t{bytes[sos + 2]} << 8 | bytes[sos + 3]);
  REQUIRE(data + 2 < bytes.size());
  for (std::size_t i = data; i + 2 < bytes.size(); ++i) {
    const auto garbage = static_cast<std::uint8_t>(i * 131 + 7);
    bytes[i] = garbage == 0xFF ? 0x00 : garbage;  // no stray markers: only bad Huffman codes
  }
  bytes.resize(data + 16);
  write_bytes(tmp.path() / "garbage.jpg", bytes);

  const auto run = run_tessera(tmp, "tile garbage.jpg --tile 32 -o out");
  CHECK(run.code == 1);  // a run must decode, and fails
  const auto plan = run_tessera(tmp, "plan tile garbage.jpg --tile 32");
  INFO(plan.err);
  CHECK(plan.code == 0);
  const auto rows = csv_rows(plan.out);
  REQUIRE(rows.size() == 1 + 2);  // 70x50 holds two whole 32x32 tiles
  CHECK(rows[1] ==
        std::vector<std::string>{"garbage.jpg", "0", "0", "0", "0", "32", "32", "", "", ""});
  CHECK_THAT(plan.err, Catch::Contains("garbage.jpg: warning") && Catch::Contains("--edge"));
}

TEST_CASE("plan refuses what a run refuses, before listing", "[cli][plan]") {
  TempDir tmp;
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  write_image(tmp / "a.png", 32, 32, png, 1);
  write_image(tmp / "b.png", 32, 32, png, 2);
  const auto no_job =
      run_tessera(tmp, "plan tile a.png b.png --tile 16 -o out --name '{x}_{y}.{ext}'");
  CHECK(no_job.code == 2);
  CHECK_THAT(no_job.err, Catch::Contains("names no input"));
  const auto shuffle_dir = run_tessera(tmp, "plan tile a.png --tile 16 -o out --shuffle 1");
  CHECK(shuffle_dir.code == 2);
  // A shuffled tar run: the keys are known, its shards are not.
  const auto shuffled =
      run_tessera(tmp, "plan tile a.png b.png --tile 16 -f png -o ds.tar --shuffle 1 --jsonl");
  REQUIRE(shuffled.code == 0);
  const auto first = nlohmann::json::parse(lines_of(shuffled.out).at(0));
  CHECK(first["output"] == "a_0_0_16_16.png");
  CHECK(first["shard"].is_null());
  CHECK_FALSE(fs::exists(tmp.path() / "out"));
}

TEST_CASE("plan lists only the crops a lossless run writes, and fails as the run does",
          "[cli][plan]") {
  TempDir tmp;
  EncodeOptions jpeg;  // 4:2:0: a 16x16 MCU grid
  jpeg.format = OutputFormat::kJpeg;
  write_image(tmp / "scan.jpg", 64, 48, jpeg, 4);
  // Tiles at x 0, 24, 48 and y 0, 24: only (0, 0) and (48, 0) start on the grid.
  const std::string args =
      "tile scan.jpg --tile 24 --edge clip --lossless -o ds.tar "
      "--shard-size 2samples";
  const auto plan = run_tessera(tmp, "plan " + args);
  INFO(plan.err);
  CHECK(plan.code == 1);
  CHECK_THAT(plan.err, Catch::Contains("MCU grid"));
  std::vector<std::pair<std::string, std::string>> listed;
  const auto rows = csv_rows(plan.out);
  for (std::size_t i = 1; i < rows.size(); ++i)
    listed.emplace_back(rows[i][kShard], rows[i][kOutput]);

  const auto run = run_tessera(tmp, args);
  INFO(run.err);
  CHECK(run.code == 1);
  const auto written = tar_samples(tmp.path());
  CHECK(written.size() == 2);
  CHECK(listed == written);
}
