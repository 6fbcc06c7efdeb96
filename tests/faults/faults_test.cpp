// Faults through the CLI: a full output disk (a file size limit in the child shell), and
// SIGINT/SIGTERM in the middle of a run followed by --resume. A sink that throws is covered by
// engine_test.cpp. Signals are sent once the first output exists, so nothing depends on timing.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "cli_runner.hpp"
#include "tessera/engine/demo_image.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::test;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

// Far beyond what any run here takes, even under a sanitizer: reaching it means a hang.
constexpr std::chrono::seconds kDeadline{240};

// Top half one flat grey (tiny PNG crops), bottom half noise (crops of at least 12 KB as PNG).
Bytes half_noise_png(int width, int height) {
  OwnedImage image = random_image(width, height, PixelFormat::kRgb8, 11);
  std::fill(image.pixels.begin(),
            image.pixels.begin() +
                static_cast<std::ptrdiff_t>(image.stride() * static_cast<std::size_t>(height / 2)),
            std::uint8_t{128});
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  return *bytes;
}

Bytes big_jpeg(int width, int height) {
  const OwnedImage image = make_demo_image(width, height, PixelFormat::kRgb8, 21);
  EncodeOptions options;
  options.jpeg.quality = 80;
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  return *bytes;
}

std::vector<fs::path> files_under(const fs::path& root) {
  return output_files(root);
}

bool hidden(const fs::path& path) {
  return path.filename().string().starts_with(".");
}

void check_all_decodable(const std::vector<fs::path>& files) {
  for (const fs::path& file : files) {
    INFO(file.string());
    CHECK_FALSE(hidden(file));
    CHECK(decode_whole(InputBytes::from_vector(read_file(file.string()))).ok());
  }
}

// The members of every final shard NAME-NNNNNN.tar in `dir`, in order; each member that is an
// image must decode. Leftover temporary shards fail the check.
std::vector<std::string> shard_members(const TempDir& space, const fs::path& dir) {
  std::vector<std::string> members;
  for (const fs::path& file : files_under(dir)) {
    INFO(file.string());
    REQUIRE_FALSE(hidden(file));
    REQUIRE(file.extension() == ".tar");
    const fs::path unpacked = space.path() / "unpacked";
    fs::remove_all(unpacked);
    fs::create_directories(unpacked);
    REQUIRE(run_shell(space, fmt::format("tar -xf '{}' -C '{}'", file.string(), unpacked.string()))
                .code == 0);
    for (const fs::path& member : files_under(unpacked)) {
      members.push_back(member.filename().string());
      if (member.extension() == ".png")
        CHECK(decode_whole(InputBytes::from_vector(read_file(member.string()))).ok());
    }
  }
  return members;
}

// Waits until `ready` holds while the child still runs; false if the child exited first.
template <class Ready>
bool wait_for_output(ChildProcess& child, Ready ready) {
  bool seen = false;
  wait_until([&] { return (seen = ready()) || !child.running(); }, kDeadline,
             "the first output of tessera");
  return seen;
}

// Files relative to root, with their bytes.
std::map<std::string, Bytes> contents(const fs::path& root) {
  std::map<std::string, Bytes> all;
  for (const fs::path& file : files_under(root))
    all[fs::relative(file, root).string()] = read_file(file.string());
  return all;
}

// 32768 tiles on one thread: seconds of work, so the signal always lands mid-run.
const std::vector<std::string> kSlowTile = {"tile", "big.jpg", "--tile", "16",     "-f",
                                            "png",  "-j",      "1",      "--quiet"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("a full disk fails a directory run with exit 1 and no partial file", "[faults][cli]") {
  TempDir space;
  write_bytes(space / "half.png", half_noise_png(256, 128));
  // A 64 KiB tmpfs fills up within the noise row. Mounting needs root; without it there is no
  // other way to fill a disk per file (a file size limit also hits the band window's memfd).
  const fs::path disk = space.path() / "disk";
  fs::create_directories(disk);
  if (run_shell(space, fmt::format("mount -t tmpfs -o size=64k tmpfs '{}'", disk.string())).code !=
      0) {
    WARN("cannot mount a tmpfs here (not root?): the full-disk directory case is not run");
    return;
  }
  const CliOutcome run =
      run_shell(space, "tessera tile half.png --tile 64 -f png -j 1 -o disk/out --quiet");
  const auto files = files_under(disk / "out");
  const std::size_t count = files.size();
  check_all_decodable(files);
  REQUIRE(run_shell(space, fmt::format("umount '{}'", disk.string())).code == 0);
  CHECK(run.code == 1);
  CHECK(run.err.find("No space left") != std::string::npos);
  CHECK(count >= 4);  // the flat top row was written before the noise filled the disk
  CHECK(count < 8);
}

TEST_CASE("a full disk fails a tar run with exit 1, keeping completed shards intact",
          "[faults][cli]") {
  TempDir space;
  // A column of 64x64 tiles: 20 flat ones, then noise. The band window stays far under the
  // 100 KiB file size limit, the shards of flat samples stay under it, a noise shard does not.
  OwnedImage image = random_image(64, 64 * 40, PixelFormat::kRgb8, 5);
  std::fill(image.pixels.begin(),
            image.pixels.begin() + static_cast<std::ptrdiff_t>(image.stride() * 64 * 20),
            std::uint8_t{90});
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  auto bytes = encode_to_vector(image.view(), png);
  REQUIRE(bytes.ok());
  write_bytes(space / "column.png", *bytes);
  // The shell ignores SIGXFSZ, so a write past the limit fails with EFBIG instead of killing.
  const CliOutcome run = run_shell(space,
                                   "trap '' XFSZ; ulimit -f 200; "
                                   "tessera tile column.png --tile 64 -f png -j 1 -o shards/s.tar "
                                   "--shard-size 10samples --quiet");
  CHECK(run.code == 1);
  CHECK(run.err.find("File too large") != std::string::npos);
  const auto members = shard_members(space, space.path() / "shards");
  CHECK(members.size() == 40);  // the two complete shards of flat tiles: 20 samples, 2 members each
}

TEST_CASE("SIGINT mid-run exits 130, leaves only complete files, and --resume completes the rest",
          "[faults][cli]") {
  TempDir space;
  write_bytes(space / "big.jpg", big_jpeg(4096, 2048));
  const fs::path out = space.path() / "out";
  ChildProcess run = ChildProcess::spawn_tessera(space.path(), with(kSlowTile, {"-o", "out"}));
  REQUIRE(wait_for_output(run, [&] {
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(out / "big", ignored)) {
      if (!hidden(entry.path())) return true;
    }
    return false;
  }));
  run.signal(SIGINT);
  CHECK(run.wait(kDeadline) == 130);
  const auto partial = files_under(out);
  INFO(partial.size() << " files before the resume");
  CHECK(partial.size() > 0);
  CHECK(partial.size() < 32768);
  check_all_decodable(partial);

  ChildProcess resumed = ChildProcess::spawn_tessera(
      space.path(), with(kSlowTile, {"-o", "out", "--resume", "--json"}));
  REQUIRE(resumed.wait(kDeadline) == 0);
  const auto summary = last_json_line(read_text(space.path() / ".spawn_out"));
  CHECK(summary["resumed"] == partial.size());
  CHECK(summary["crops"] == 32768 - partial.size());

  REQUIRE(run_shell(space, "tessera tile big.jpg --tile 16 -f png --quiet -o clean").code == 0);
  const auto expected = contents(space.path() / "clean");
  REQUIRE(expected.size() == 32768);
  CHECK(contents(out) == expected);
}

TEST_CASE("SIGTERM mid-run keeps complete shards, and --resume adds exactly the missing samples",
          "[faults][cli]") {
  TempDir space;
  write_bytes(space / "big.jpg", big_jpeg(4096, 2048));
  const fs::path shards = space.path() / "shards";
  const auto args = with(kSlowTile, {"-o", "shards/s.tar", "--shard-size", "500samples"});
  ChildProcess run = ChildProcess::spawn_tessera(space.path(), args);
  REQUIRE(wait_for_output(run, [&] { return fs::exists(shards / "s-000000.tar"); }));
  run.signal(SIGTERM);
  CHECK(run.wait(kDeadline) == 130);
  const auto before = shard_members(space, shards);
  CHECK(before.size() >= 1000);
  CHECK(before.size() % 1000 == 0);  // whole samples of whole shards only

  ChildProcess resumed =
      ChildProcess::spawn_tessera(space.path(), with(args, {"--resume", "--json"}));
  REQUIRE(resumed.wait(kDeadline) == 0);
  const auto summary = last_json_line(read_text(space.path() / ".spawn_out"));
  CHECK(summary["resumed"] == before.size() / 2);

  const auto after = shard_members(space, shards);
  const std::multiset<std::string> resumed_members(after.begin(), after.end());
  REQUIRE(run_shell(space, "tessera tile big.jpg --tile 16 -f png --quiet -o clean/c.tar").code ==
          0);
  const auto clean = shard_members(space, space.path() / "clean");
  CHECK(resumed_members == std::multiset<std::string>(clean.begin(), clean.end()));
  CHECK(std::set<std::string>(after.begin(), after.end()).size() == after.size());
}
