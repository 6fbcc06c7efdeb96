// Inputs that change or never end, and resource limits, through the CLI: a real `truncate` of
// an image while a manifest run reads it, a real FIFO, /dev/zero as every kind of input, and a
// file size limit (ulimit -f) in the child shell.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "cli_runner.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/image_utils.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::test;
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kDeadline{240};
// What "fails fast" allows, even under a sanitizer on a busy machine.
constexpr std::chrono::seconds kFast{60};

void write_jpeg(const fs::path& path, int width, int height, int quality = 80) {
  const OwnedImage image = make_demo_image(width, height, PixelFormat::kRgb8, 7);
  EncodeOptions options;
  options.jpeg.quality = quality;
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  write_bytes(path, *bytes);
}

std::vector<fs::path> files_under(const fs::path& root) {
  return tessera::test::output_files(root);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `args` and waits at most `deadline`; a child still running then fails the test.
int run_within(const TempDir& space, const std::vector<std::string>& args,
               std::chrono::seconds deadline) {
  ChildProcess child = ChildProcess::spawn_tessera(space.path(), args);
  return child.wait(deadline);
}

}  // namespace

TEST_CASE("an image truncated during a manifest run fails only its own job", "[faults][cli]") {
  TempDir space;
  write_jpeg(space.path() / "a.jpg", 256, 256);
  write_jpeg(space.path() / "big.jpg", 4096, 4096, 95);
  write_jpeg(space.path() / "c.jpg", 256, 256);
  write_text(space.path() / "jobs.jsonl",
             "{\"input\": \"a.jpg\"}\n{\"input\": \"big.jpg\"}\n{\"input\": \"c.jpg\"}\n");
  // Tiny PNG tiles on one thread: the big image takes seconds, read a chunk at a time.
  ChildProcess run = ChildProcess::spawn_tessera(
      space.path(), {"manifest", "jobs.jsonl", "--tile", "16", "-f", "png", "-j", "1",
                     "--jobs-in-flight", "1", "-o", "out", "--quiet"});
  const fs::path big_out = space.path() / "out" / "big";
  wait_until([&] { return (fs::exists(big_out) && !fs::is_empty(big_out)) || !run.running(); },
             kDeadline, "the first tile of big.jpg");
  REQUIRE(::truncate((space / "big.jpg").c_str(), 4096) == 0);
  const int code = run.wait(kDeadline);
  const std::string err = read_text(space.path() / ".spawn_err");
  INFO(err);
  CHECK(code == 1);
  CHECK(contains(err, "the file changed while being read"));
  for (const char* job : {"a", "c"}) {
    INFO(job);
    CHECK(files_under(space.path() / "out" / job).size() == 256);
  }
  for (const fs::path& file : files_under(space.path() / "out")) {
    INFO(file.string());
    CHECK(file.filename().string().front() != '.');  // no temporary file left behind
    CHECK(decode_whole(InputBytes::from_vector(read_file(file.string()))).ok());
  }
}

TEST_CASE("a FIFO image is refused at once instead of hanging in open()", "[faults][cli]") {
  TempDir space;
  REQUIRE(::mkfifo((space / "pipe.jpg").c_str(), 0600) == 0);
  CHECK(run_within(space, {"info", "pipe.jpg"}, kFast) == 1);
  CHECK(contains(read_text(space.path() / ".spawn_err"), "pipe.jpg: a FIFO, not a regular file"));
  write_text(space.path() / "jobs.jsonl", "{\"input\": \"pipe.jpg\"}\n");
  CHECK(run_within(space, {"manifest", "jobs.jsonl", "--tile", "8", "-o", "out"}, kFast) == 1);
  CHECK(contains(read_text(space.path() / ".spawn_err"), "a FIFO"));
}

TEST_CASE("a FIFO ROI file streams from its writer, and reads as empty without one",
          "[faults][cli]") {
  TempDir space;
  write_jpeg(space.path() / "img.jpg", 64, 64);
  REQUIRE(::mkfifo((space / "rois.csv").c_str(), 0600) == 0);
  const CliOutcome fed = run_shell(space,
                                   "(printf 'x,y,w,h\\n0,0,8,8\\n8,8,8,8\\n' > rois.csv &); "
                                   "tessera crop img.jpg --rois rois.csv -o fed --quiet");
  INFO(fed.err);
  CHECK(fed.code == 0);
  CHECK(files_under(space.path() / "fed").size() == 2);
  // No writer: open() does not wait for one, and an empty list is an error.
  CHECK(run_within(space, {"crop", "img.jpg", "--rois", "rois.csv", "-o", "empty"}, kFast) != 0);
}

TEST_CASE("/dev/zero as an image, ROI file, manifest or profile fails fast at a size limit",
          "[faults][cli]") {
  TempDir space;
  write_jpeg(space.path() / "img.jpg", 64, 64);
  // A regression that reads /dev/zero without bound must fail on a memory cap, not swamp the
  // machine.
  const std::string cap = memory_cap_prefix(4'000'000);
  const struct {
    const char* line;
    const char* message;
  } cases[] = {
      {"tessera info - </dev/zero", "more than 256 MiB, the limit for an image read from stdin"},
      {"tessera tile - --tile 8 -o out </dev/zero", "the limit for an image read from stdin"},
      {"tessera crop img.jpg --rois /dev/zero -o out",
       "the ROI file is larger than 64 MiB, the limit for text inputs"},
      {"tessera manifest /dev/zero --tile 8 -o out",
       "the manifest is larger than 64 MiB, the limit for text inputs"},
      {"tessera tile img.jpg --tile 8 --profile /dev/zero -o out",
       "the profile is larger than 64 MiB, the limit for text inputs"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    const CliOutcome run = run_shell(space, cap + c.line);
    INFO(run.err);
    CHECK(run.code != 0);
    CHECK(contains(run.err, c.message));
  }
}

TEST_CASE("a file size limit gives an EFBIG message, never a silent SIGXFSZ death",
          "[faults][cli]") {
  TempDir space;
  write_jpeg(space.path() / "small.jpg", 256, 256);
  const struct {
    const char* output;
    const char* directory;
  } outputs[] = {{"dir", "dir"}, {"shards/s.tar", "shards"}};
  for (const auto& o : outputs) {
    INFO(o.output);
    // ulimit -f 1: the limit is under one tile, and the band window is not a file at all.
    const CliOutcome run = run_shell(
        space, fmt::format("ulimit -f 1; exec tessera tile small.jpg --tile 128 -o {}", o.output));
    INFO(run.err);
    CHECK(run.code == 1);
    CHECK(contains(run.err, "file size limit (ulimit -f) reached"));
    // Nothing half-written under a final name: what exists is whole.
    for (const fs::path& file : files_under(space.path() / o.directory)) {
      INFO(file.string());
      CHECK(file.filename().string().front() != '.');
      if (file.extension() == ".tar") {
        CHECK(run_shell(space, fmt::format("tar -tf '{}'", file.string())).code == 0);
      } else {
        CHECK(decode_whole(InputBytes::from_vector(read_file(file.string()))).ok());
      }
    }
  }
  // Nothing is written to disk, so not even a zero limit stops the run. Its stderr goes to
  // /dev/null too: the shell's capture file is a file, and under the limit as well.
  const CliOutcome quiet = run_shell(
      space, "(ulimit -f 0; exec tessera tile small.jpg --tile 64 -o - >/dev/null 2>/dev/null)");
  INFO(quiet.err);
  CHECK(quiet.code == 0);
}
