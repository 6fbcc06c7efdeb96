// Outputs that another process, an earlier run or a hostile user already occupies: symlinks
// planted at temporary names, two tessera processes on one output at once, a second run that
// would mix two datasets, --resume over changed settings and over damaged outputs. All through
// the real binary, with real symlinks, real concurrent processes and real truncation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_runner.hpp"
#include "temp_dir.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::test;
namespace fs = std::filesystem;

namespace {

// A 64x64 image: --tile 16 gives 16 crops, --tile 32 gives 4.
void write_input(const TempDir& space, const std::string& name = "in.jpg", std::uint64_t seed = 3) {
  write_image(space / name, 64, 64, EncodeOptions{}, seed);
}

// The final shards "STEM-NNNNNN.tar" in `dir`, sorted.
std::vector<std::string> shards(const fs::path& dir, const std::string& stem) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(stem + "-") && name.ends_with(".tar")) found.push_back(name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Every member of every shard, listed by GNU tar, which fails on anything but valid tar.
std::vector<std::string> tar_members(const TempDir& space, const fs::path& dir,
                                     const std::string& stem) {
  std::vector<std::string> members;
  for (const std::string& shard : shards(dir, stem)) {
    const CliOutcome listed = run_shell(space, fmt::format("tar -tf '{}'", (dir / shard).string()));
    INFO(shard << ": " << listed.err);
    REQUIRE(listed.code == 0);
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) members.push_back(line);
  }
  return members;
}

// Regular files under `dir` whose names tessera gives outputs (not hidden), relative.
std::set<std::string> visible_files(const fs::path& dir) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string relative = fs::relative(entry.path(), dir).string();
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with("."))
      files.insert(relative);
  }
  return files;
}

// Runs `first` with its input on a pipe that stays open until `second` has run, so both are
// alive at once whatever the machine's speed: the first holds the output while it waits for
// its image. The shell waits (at most 10 s) for the first to create `lock` before starting
// the second. Exit codes go to first.code and second.code.
CliOutcome run_overlapping(const TempDir& space, const std::string& first, const std::string& lock,
                           const std::string& second) {
  return run_shell(
      space,
      fmt::format("mkfifo gate; (cat gate >/dev/null; cat in.jpg) | {} 2>first.err & first=$!; "
                  "i=0; while [ ! -e '{}' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
                  "sleep 0.2; {} 2>second.err; echo $? >second.code; echo go >gate; "
                  "wait $first; echo $? >first.code",
                  first, lock, second));
}

int code_in(const TempDir& space, const std::string& name) {
  return std::stoi(read_text(space.path() / name));
}

}  // namespace

TEST_CASE("a symlink planted at a temporary or lock name never redirects a write",
          "[faults][cli][outputs]") {
  TempDir space;
  write_input(space);
  fs::create_directories(space.path() / "out");
  const fs::path victim = space.path() / "victim.txt";
  write_text(victim, "precious");

  SECTION("every temporary shard name of the old, predictable scheme") {
    for (int i = 0; i < 20; ++i) {
      fs::create_symlink(victim, space.path() / "out" / fmt::format(".ds-{:06}.tar.tmp", i));
    }
    const CliOutcome run =
        run_shell(space, "tessera tile in.jpg --tile 16 --shard-size 2samples -o out/ds.tar");
    INFO(run.err);
    CHECK(run.code == 0);
    CHECK(shards(space.path() / "out", "ds").size() == 8);
    CHECK(tar_members(space, space.path() / "out", "ds").size() == 32);
  }
  SECTION("the temporary name of a tuned profile") {
    fs::create_symlink(victim, space.path() / "out" / "profile.json.tmp");
    const CliOutcome run =
        run_shell(space, "tessera tune in.jpg --tile 32 --time 1s -o out/profile.json");
    INFO(run.err);
    CHECK(run.code == 0);
    CHECK_FALSE(read_text(space.path() / "out" / "profile.json").empty());
  }
  SECTION("the lock file of a tar output") {
    fs::create_symlink(victim, space.path() / "out" / ".ds.tar.lock");
    const CliOutcome run = run_shell(space, "tessera tile in.jpg --tile 16 -o out/ds.tar");
    CHECK(run.code != 0);
    CHECK_THAT(run.err, Catch::Contains(".ds.tar.lock"));
  }
  SECTION("the lock file of a directory output") {
    fs::create_symlink(victim, space.path() / "out" / ".tessera.lock");
    const CliOutcome run = run_shell(space, "tessera tile in.jpg --tile 16 -o out");
    CHECK(run.code != 0);
    CHECK_THAT(run.err, Catch::Contains(".tessera.lock"));
  }
  CHECK(read_text(victim) == "precious");
}

TEST_CASE("a second tessera on an output being written is refused, and the first completes",
          "[faults][cli][outputs]") {
  TempDir space;
  write_input(space);
  SECTION("tar shards") {
    run_overlapping(space, "tessera tile - --tile 16 --shard-size 4samples -o out/ds.tar",
                    "out/.ds.tar.lock", "tessera tile in.jpg --tile 16 -o out/ds.tar");
    CHECK(code_in(space, "second.code") != 0);
    CHECK_THAT(read_text(space.path() / "second.err"),
               Catch::Contains("being written by another tessera process"));
    INFO(read_text(space.path() / "first.err"));
    CHECK(code_in(space, "first.code") == 0);
    CHECK(shards(space.path() / "out", "ds").size() == 4);
    const auto members = tar_members(space, space.path() / "out", "ds");
    CHECK(members.size() == 32);
    CHECK(std::set<std::string>(members.begin(), members.end()).size() == 32);
  }
  SECTION("a directory") {
    run_overlapping(space, "tessera tile - --tile 16 -o out", "out/.tessera.lock",
                    "tessera tile in.jpg --tile 16 -o out");
    CHECK(code_in(space, "second.code") != 0);
    CHECK_THAT(read_text(space.path() / "second.err"),
               Catch::Contains("being written by another tessera process"));
    INFO(read_text(space.path() / "first.err"));
    CHECK(code_in(space, "first.code") == 0);
    CHECK(visible_files(space.path() / "out").size() == 16);
  }
}

TEST_CASE(
    "a different run into an output is refused, and --overwrite removes only the old run's files",
    "[faults][cli][outputs]") {
  TempDir space;
  write_input(space);
  SECTION("tar shards: fewer shards leave none of the old ones behind") {
    fs::create_directories(space.path() / "out");
    write_text(space.path() / "out" / "ds-notes.txt", "mine");
    write_text(space.path() / "out" / "other-000000.tar", "another dataset");
    REQUIRE(run_shell(space, "tessera tile in.jpg --tile 16 --shard-size 1samples -o out/ds.tar")
                .code == 0);
    REQUIRE(shards(space.path() / "out", "ds").size() == 16);
    const CliOutcome refused = run_shell(space, "tessera tile in.jpg --tile 32 -o out/ds.tar");
    CHECK(refused.code != 0);
    CHECK_THAT(refused.err, Catch::Contains("holds a different run") && Catch::Contains("plan") &&
                                Catch::Contains("--overwrite"));
    CHECK(shards(space.path() / "out", "ds").size() == 16);

    const CliOutcome replaced =
        run_shell(space, "tessera tile in.jpg --tile 32 --overwrite -o out/ds.tar");
    INFO(replaced.err);
    CHECK(replaced.code == 0);
    CHECK(shards(space.path() / "out", "ds") == std::vector<std::string>{"ds-000000.tar"});
    CHECK(tar_members(space, space.path() / "out", "ds").size() == 8);
    CHECK(read_text(space.path() / "out" / "ds-notes.txt") == "mine");
    CHECK(read_text(space.path() / "out" / "other-000000.tar") == "another dataset");
  }
  SECTION("a directory: the old run's files go, the user's stay") {
    fs::create_directories(space.path() / "out");
    write_text(space.path() / "out" / "notes.txt", "mine");
    REQUIRE(
        run_shell(space, "tessera tile in.jpg --tile 16 -o out --name 'a/{x}_{y}.{ext}'").code ==
        0);
    REQUIRE(visible_files(space.path() / "out").size() == 17);
    const CliOutcome refused = run_shell(space, "tessera tile in.jpg --tile 32 -o out");
    CHECK(refused.code != 0);
    CHECK_THAT(refused.err, Catch::Contains("holds a different run"));
    const CliOutcome replaced =
        run_shell(space, "tessera tile in.jpg --tile 32 --overwrite -o out");
    INFO(replaced.err);
    CHECK(replaced.code == 0);
    const auto files = visible_files(space.path() / "out");
    CHECK(files.size() == 5);
    CHECK(files.contains("notes.txt"));
    CHECK_FALSE(fs::exists(space.path() / "out" / "a"));
  }
}

TEST_CASE("resuming is refused when the plan, codec settings or inputs changed",
          "[faults][cli][outputs]") {
  TempDir space;
  write_input(space);
  REQUIRE(run_shell(space, "tessera tile in.jpg --tile 16 -q 90 -o out/ds.tar").code == 0);
  std::string change;
  std::string differs;
  SECTION("the tile size") {
    change = "--tile 32 -q 90";
    differs = "plan";
  }
  SECTION("the quality") {
    change = "--tile 16 -q 80";
    differs = "encode";
  }
  SECTION("the input's content") {
    write_input(space, "in.jpg", 4);
    change = "--tile 16 -q 90";
    differs = "inputs";
  }
  const auto before = tar_members(space, space.path() / "out", "ds");
  const CliOutcome resumed =
      run_shell(space, fmt::format("tessera tile in.jpg {} --resume -o out/ds.tar", change));
  CHECK(resumed.code != 0);
  CHECK_THAT(resumed.err, Catch::Contains("differs in " + differs));
  CHECK(tar_members(space, space.path() / "out", "ds") == before);
}

TEST_CASE("resuming is refused when an image or ROI file named by the command changed",
          "[faults][cli][outputs]") {
  struct Case {
    const char* command;
    const char* differs;  // the run record field that names the change
  };
  for (const Case c : {Case{"tessera crop in.jpg --rois rois.csv -o out/ds.tar", "roi_file"},
                       Case{"tessera manifest jobs.jsonl -o out/ds.tar", "manifest_inputs"}}) {
    CAPTURE(c.command);
    TempDir space;
    write_input(space);
    write_text(space.path() / "rois.csv", "0,0,8,8\n8,8,8,8\n");
    write_text(space.path() / "jobs.jsonl",
               "{\"input\": \"in.jpg\", \"plan\": {\"rois\": \"rois.csv\"}}\n");
    REQUIRE(run_shell(space, c.command).code == 0);
    const auto before = tar_members(space, space.path() / "out", "ds");
    // Unchanged, the same run resumes.
    CHECK(run_shell(space, std::string(c.command) + " --resume").code == 0);
    if (std::string_view(c.differs) == "roi_file") {
      write_text(space.path() / "rois.csv", "0,0,8,8\n8,8,8,9\n");
    } else {
      write_input(space, "in.jpg", 4);
    }
    const CliOutcome resumed = run_shell(space, std::string(c.command) + " --resume");
    CHECK(resumed.code != 0);
    CHECK_THAT(resumed.err, Catch::Contains(std::string("differs in ") + c.differs));
    CHECK(tar_members(space, space.path() / "out", "ds") == before);
  }
}

TEST_CASE("resuming redoes empty, cut and undecodable outputs instead of trusting them",
          "[faults][cli][outputs]") {
  TempDir space;
  write_input(space);
  SECTION("directory files") {
    REQUIRE(run_shell(space, "tessera tile in.jpg --tile 16 -o out --name '{x}_{y}.{ext}'").code ==
            0);
    REQUIRE(run_shell(space, "truncate -s 0 out/0_0.jpg && truncate -s 100 out/16_0.jpg").code ==
            0);
    write_text(space.path() / "out" / "32_0.jpg", "not an image");
    const CliOutcome resumed = run_shell(
        space, "tessera tile in.jpg --tile 16 --resume --json -o out --name '{x}_{y}.{ext}'");
    INFO(resumed.err);
    CHECK(resumed.code == 0);
    CHECK(last_json_line(resumed.out)["resumed"] == 13);
    for (const std::string name : {"0_0.jpg", "16_0.jpg", "32_0.jpg"}) {
      CHECK(decode_whole(InputBytes::from_vector(read_file(space / ("out/" + name)))).ok());
    }
  }
  SECTION("tar shards") {
    REQUIRE(run_shell(space, "tessera tile in.jpg --tile 16 --shard-size 4samples -o out/ds.tar")
                .code == 0);
    REQUIRE(
        run_shell(space, "truncate -s 0 out/ds-000001.tar && truncate -s 3000 out/ds-000002.tar")
            .code == 0);
    const CliOutcome resumed =
        run_shell(space,
                  "tessera tile in.jpg --tile 16 --shard-size 4samples --resume --json -o "
                  "out/ds.tar");
    INFO(resumed.err);
    CHECK(resumed.code == 0);
    CHECK(last_json_line(resumed.out)["resumed"] == 8);
    const auto members = tar_members(space, space.path() / "out", "ds");
    CHECK(members.size() == 32);
    CHECK(std::set<std::string>(members.begin(), members.end()).size() == 32);
  }
}
