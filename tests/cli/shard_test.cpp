// --shard: which jobs a task takes, how its outputs are named, and the property a cluster run
// relies on: the tasks' outputs together are, byte for byte, the outputs of one run.
#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "job_sources.hpp"
#include "shard.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::cli;
using namespace tessera::test;

namespace {

Environment environment_of(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const char* name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

std::string shard_text(const std::string& text, std::map<std::string, std::string> variables) {
  auto shard = parse_shard(text, environment_of(std::move(variables)));
  return shard ? shard->text() : "error: " + shard.error().message;
}

// Every member of the tar files under `root` whose name starts with `prefix`, by member name;
// a member name met twice fails the test.
std::map<std::string, std::string> tar_members(const fs::path& root, const std::string& prefix) {
  std::map<std::string, std::string> members;
  for (const auto& file : fs::recursive_directory_iterator(root)) {
    const std::string name = file.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(".tar")) continue;
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                  &archive_read_free);
    archive_read_support_format_tar(reader.get());
    REQUIRE(archive_read_open_filename(reader.get(), file.path().c_str(), 65536) == ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
      std::string bytes(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
      if (!bytes.empty()) archive_read_data(reader.get(), bytes.data(), bytes.size());
      INFO(archive_entry_pathname(entry));
      CHECK(members.emplace(archive_entry_pathname(entry), std::move(bytes)).second);
    }
  }
  return members;
}

// Images whose stems repeat across folders, so that names depend on jobs of other shards.
void write_dataset(const TempDir& dir) {
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  std::string manifest;
  for (int i = 0; i < 7; ++i) {
    const std::string path = fmt::format("{}/img{}.png", i % 2 == 0 ? "a" : "b", i / 2);
    EncodeOptions png;
    png.format = OutputFormat::kPng;
    write_image(dir / path, 48 + 16 * (i % 3), 32 + 16 * (i % 2), png,
                static_cast<std::uint64_t>(i));
    manifest += fmt::format(R"({{"input": "{}"}})", path) + "\n";
    if (i == 2) manifest += "\n";  // no index
    if (i == 4)
      manifest += R"({"input": "a/img0.png", "plan": {"tile": "x"}})"
                  "\n";  // bad
  }
  write_text(dir.path() / "jobs.jsonl", manifest);
}

}  // namespace

TEST_CASE("the shard option reads I/N, a Slurm array task or an Indexed Job's index", "[shard]") {
  CHECK(shard_text("3/16", {}) == "3/16");
  CHECK(shard_text("0/1", {}) == "0/1");
  CHECK_THAT(shard_text("16/16", {}), Catch::Contains("numbered 0 to 15"));
  CHECK_THAT(shard_text("0/0", {}), Catch::Contains("expected I/N"));
  CHECK_THAT(shard_text("1-4", {}), Catch::Contains("expected I/N"));
  CHECK_THAT(shard_text("auto", {}), Catch::Contains("pass --shard I/N"));
  CHECK_THAT(shard_text("auto", {{"JOB_COMPLETION_INDEX", "2"}}), Catch::Contains("auto/N"));
  CHECK(shard_text("auto", {{"SLURM_ARRAY_TASK_ID", "5"},
                            {"SLURM_ARRAY_TASK_MIN", "4"},
                            {"SLURM_ARRAY_TASK_MAX", "7"},
                            {"SLURM_ARRAY_TASK_COUNT", "4"}}) == "1/4");
  CHECK_THAT(shard_text("auto", {{"SLURM_ARRAY_TASK_ID", "2"},
                                 {"SLURM_ARRAY_TASK_MIN", "0"},
                                 {"SLURM_ARRAY_TASK_MAX", "4"},
                                 {"SLURM_ARRAY_TASK_COUNT", "3"}}),
             Catch::Contains("not one range"));
  // A task submitted again alone (sbatch --array=2) keeps its share with auto/N.
  CHECK(shard_text("auto/4", {{"SLURM_ARRAY_TASK_ID", "2"},
                              {"SLURM_ARRAY_TASK_MIN", "2"},
                              {"SLURM_ARRAY_TASK_MAX", "2"}}) == "2/4");
  CHECK(shard_text("auto/4", {{"JOB_COMPLETION_INDEX", "3"}}) == "3/4");
  CHECK_THAT(shard_text("auto/4", {{"JOB_COMPLETION_INDEX", "4"}}), Catch::Contains("0 to 3"));
  CHECK_THAT(shard_text("auto/4", {{"JOB_COMPLETION_INDEX", "x"}}),
             Catch::Contains("not a whole number"));
  CHECK_THAT(shard_text("auto/4", {}), Catch::Contains("--shard I/4"));
}

TEST_CASE("every job belongs to exactly one shard, whatever the count", "[shard]") {
  for (std::size_t count = 1; count <= 9; ++count) {
    for (std::size_t job = 0; job < 50; ++job) {
      int owners = 0;
      for (std::size_t index = 0; index < count; ++index)
        owners += ShardSpec{index, count}.takes(job);
      CHECK(owners == 1);
    }
  }
}

TEST_CASE("a shard's output names carry the share", "[shard]") {
  const ShardSpec shard{3, 16};
  CHECK(shard.label() == "s0003of0016");
  CHECK(shard_output("out/data.tar", shard) == "out/data-s0003of0016.tar");
  CHECK(shard_output("tiles/", shard) == "tiles/s0003of0016");
  CHECK(shard_output("-", shard) == "-");
  CHECK(shard_output("", shard) == "");
}

TEST_CASE("a manifest shard takes its lines and passes the others over", "[shard]") {
  TempDir dir;
  write_text(dir.path() / "jobs.jsonl",
             "{\"input\": \"a.png\"}\n\n{\"input\": \"b.png\"}\nnot json\n{\"input\": "
             "\"c.png\", \"plan\": {\"tile\": \"x\"}}\n{\"input\": \"d.png\"}\n");
  JobNotes notes;
  JobDefaults defaults;
  defaults.plan = PlanSpec(GridSpec{});
  auto source = ManifestSource::open(dir / "jobs.jsonl", defaults, notes, ShardSpec{1, 2});
  REQUIRE(source);
  // Non-blank lines: 0 a, 1 b, 2 "not json", 3 c (bad plan), 4 d. Shard 1 takes 1 and 3.
  auto first = (*source)->next();
  REQUIRE(first);
  CHECK(first->dataset_index == 1);
  REQUIRE(first->passed_over.size() == 1);
  CHECK(first->passed_over[0].dataset_index == 0);
  CHECK(first->passed_over[0].source == dir / "a.png");
  CHECK_FALSE((*source)->next());  // line 3 is bad, and 4 belongs to shard 0
  CHECK((*source)->bad_lines() == 1);
}

TEST_CASE("the shards of a manifest together equal one run, byte for byte", "[cli][shard]") {
  TempDir dir;
  write_dataset(dir);
  const std::string plan = "--tile 32 --edge clip -f png --quiet";
  const auto single = run_tessera(dir, "manifest jobs.jsonl -o one/out.tar " + plan);
  CHECK(single.code == 1);  // the bad line
  for (int task = 0; task < 3; ++task) {
    const auto run = run_tessera(
        dir, fmt::format("manifest jobs.jsonl -o many/out.tar --shard {}/3 {}", task, plan));
    CHECK(run.code == (task == 2 ? 1 : 0));  // line index 5 is the bad one: 5 mod 3 = 2
    CHECK(fs::exists(dir.path() / fmt::format("many/out-s{:04}of0003-000000.tar", task)));
  }
  const auto expected = tar_members(dir.path() / "one", "out-");
  const auto actual = tar_members(dir.path() / "many", "out-s");
  CHECK(expected.size() > 20);
  CHECK(actual == expected);
  CHECK(expected.contains("img0_j1_0_0_32_32.png"));  // b/img0.png, job 1, in shard 1

  SECTION("so does a directory output, one subdirectory per task") {
    CHECK(run_tessera(dir, "manifest jobs.jsonl -o tiles/ " + plan).code == 1);
    std::vector<std::string> merged;
    for (int task = 0; task < 2; ++task) {
      run_tessera(dir, fmt::format("manifest jobs.jsonl -o parts/ --shard {}/2 {}", task, plan));
      for (const auto& name : output_names(dir.path() / fmt::format("parts/s{:04}of0002", task)))
        merged.push_back(name);
    }
    std::sort(merged.begin(), merged.end());
    CHECK(merged == output_names(dir.path() / "tiles"));
  }
}

TEST_CASE("the shards of an input list together equal one run", "[cli][shard]") {
  TempDir dir;
  write_dataset(dir);
  const std::string inputs = "a/img0.png b/img0.png a/img1.png b/img1.png a/img2.png";
  CHECK(run_tessera(dir, "tile " + inputs + " --tile 32 -o one.tar --quiet").code == 0);
  for (int task = 0; task < 2; ++task) {
    CHECK(run_tessera(
              dir, fmt::format("tile {} --tile 32 -o many.tar --shard {}/2 --quiet", inputs, task))
              .code == 0);
  }
  CHECK(tar_members(dir.path(), "many-s") == tar_members(dir.path(), "one-"));
}

TEST_CASE("a task resumes its own share and refuses another", "[cli][shard]") {
  TempDir dir;
  write_dataset(dir);
  const std::string run = "manifest jobs.jsonl -o out.tar --tile 32 --shard 1/3 --json --quiet";
  CHECK(run_tessera(dir, run).code == 0);
  const auto again = run_tessera(dir, run + " --resume");
  CHECK(again.code == 0);
  const auto summary = last_json_line(again.out);
  CHECK(summary["crops"] == 0);
  CHECK(summary["resumed"].get<int>() > 0);
  const std::string record_path = dir / "out-s0001of0003.run.json";
  std::string record = read_text(record_path);
  CHECK_THAT(record, Catch::Contains("\"shard\": \"1/3\""));
  record.replace(record.find("\"1/3\""), 5, "\"2/3\"");
  write_text(record_path, record);
  const auto refused = run_tessera(dir, run + " --resume");
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Catch::Contains("shard (\"2/3\" before, \"1/3\" now)"));
}

TEST_CASE("tessera index counts samples and its verify option finds cut and repeated ones",
          "[cli][shard]") {
  TempDir dir;
  write_dataset(dir);
  REQUIRE(run_tessera(dir,
                      "tile a/img0.png b/img1.png --tile 16 -o out.tar --shard-size "
                      "5samples --quiet")
              .code == 0);
  const auto index = run_tessera(dir, "index --verify out-000000.tar out-000001.tar");
  CHECK(index.code == 0);
  const auto json = nlohmann::json::parse(index.out);
  CHECK(json["shards"][0]["samples"] == 5);
  CHECK(json["shards"][0]["bytes"] == fs::file_size(dir.path() / "out-000000.tar"));
  CHECK(json["totals"]["samples"] == 10);

  fs::copy_file(dir.path() / "out-000000.tar", dir.path() / "again.tar");
  const auto twice = run_tessera(dir, "index --verify out-000000.tar again.tar");
  CHECK(twice.code == 1);
  CHECK_THAT(twice.err, Catch::Contains("appears 2 times"));
  CHECK(run_tessera(dir, "index out-000000.tar again.tar").code == 0);  // counts only

  fs::resize_file(dir.path() / "again.tar", fs::file_size(dir.path() / "again.tar") - 1024);
  const auto cut = run_tessera(dir, "index --verify again.tar");
  CHECK(cut.code == 1);
  CHECK_THAT(cut.err, Catch::Contains("cut short"));
  fs::resize_file(dir.path() / "again.tar", 1500);
  CHECK(run_tessera(dir, "index again.tar").code == 1);
}
