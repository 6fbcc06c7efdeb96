// Output names are unique within a run: every planned crop becomes exactly one file or tar
// member, whatever the inputs' stems, the ROI keys and the name template.
#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "temp_dir.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::test;

namespace {

// Forwards to a real sink and keeps the messages of jobs that failed as a whole.
class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(Sink& inner) : inner_(inner) {}
  Status consume(const CropResult& crop) override { return inner_.consume(crop); }
  bool exists(const CropResult& crop) const override { return inner_.exists(crop); }
  Status check_plan(const JobInfo& job, std::span<const PlannedCrop> crops) const override {
    return inner_.check_plan(job, crops);
  }
  void on_failure(const CropFailure& failure) override {
    failures.push_back(failure.error->message);
    failed_jobs.insert(failure.job->index);
  }
  Status finish() override { return inner_.finish(); }
  void abort() noexcept override { inner_.abort(); }
  std::vector<std::string> failures;
  std::set<std::size_t> failed_jobs;

 private:
  Sink& inner_;
};

std::vector<std::string> files_under(const fs::path& root) {
  return tessera::test::output_names(root);
}

// The image members (not the .json ones) of every ustar shard in `dir`.
std::vector<std::string> tar_members(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".tar") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<char> header(512);
    while (in.read(header.data(), 512) && header[0] != '\0') {
      const std::string name(header.data(), ::strnlen(header.data(), 100));
      std::uint64_t size = 0;
      std::from_chars(header.data() + 124, header.data() + 135, size, 8);
      if (!name.ends_with(".json")) names.push_back(name);
      in.seekg(static_cast<std::streamoff>((size + 511) / 512 * 512), std::ios::cur);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

EngineOptions threads(int count) {
  EngineOptions options;
  options.threads = count;
  return options;
}

struct Case {
  std::vector<Job> jobs;
  std::string name_template;
  bool names_job = true;
  bool names_crop = true;
};

PlanSpec random_plan(std::mt19937_64& random) {
  switch (random() % 3) {
    case 0: {
      GridSpec grid;
      grid.tile_width = grid.tile_height = 8 + static_cast<int>(random() % 10);
      grid.stride_x = grid.tile_width - static_cast<int>(random() % 4);
      const EdgePolicy edges[] = {EdgePolicy::kClip, EdgePolicy::kDrop, EdgePolicy::kPad};
      grid.edge = edges[random() % 3];
      return grid;
    }
    case 1: {
      // A small image and few sizes, so that crops often share a position or repeat exactly.
      const int low = 4 + static_cast<int>(random() % 4);
      return RandomSpec{5 + random() % 30, low, low + static_cast<int>(random() % 3), random()};
    }
    default: {
      const char* keys[] = {"", "", "", "a", "b", "scan_0_0_4_4", "0", "1", "scan_j1"};
      RoiListSpec list;
      list.edge = EdgePolicy::kClip;
      const std::size_t count = 1 + random() % 6;
      // Consecutive keys: a list repeats a key only now and then, so that most lists pass and
      // their keys meet those of other jobs.
      const std::size_t first_key = random() % std::size(keys);
      for (std::size_t i = 0; i < count; ++i) {
        const int at = static_cast<int>(random() % 3) * 4;
        const std::size_t key = random() % 4 == 0 ? random() : first_key + i;
        list.rois.push_back(RoiEntry{Roi{at, at, 4, 4 + static_cast<int>(random() % 2)},
                                     keys[key % std::size(keys)]});
      }
      return list;
    }
  }
}

Case random_case(std::mt19937_64& random, const TempDir& dir) {
  const char* paths[] = {"a/scan.png", "b/scan.png", "scan.png", "scan_j1.png", "c/scan_j1.png"};
  // Templates that fail to name the job or the crop must have their jobs refused whenever
  // they would clash (docs/ARCHITECTURE.md, Output names).
  struct Template {
    const char* text;
    bool names_job;
    bool names_crop;
  };
  const Template templates[] = {
      {"{stem}/{x}_{y}.{ext}", true, true}, {"{stem}/{key}.{ext}", true, true},
      {"{job}/{x}_{y}.{ext}", true, true},  {"{job}_{index}.{ext}", true, true},
      {"{stem}_{index}.{ext}", true, true}, {"{stem}/{x}_{y}_{w}_{h}.{ext}", true, true},
      {"{stem}/{y}/{x}.{ext}", true, true}, {"out.{ext}", false, false},
      {"{x}_{y}.{ext}", false, true},       {"{stem}/{x}.{ext}", true, false},
      {"{key}.{ext}", false, true}};
  Case c;
  const Template& chosen = templates[random() % std::size(templates)];
  c.name_template = chosen.text;
  c.names_job = chosen.names_job;
  c.names_crop = chosen.names_crop;
  const std::size_t jobs = 1 + random() % 5;
  for (std::size_t i = 0; i < jobs; ++i) {
    Job job;
    job.path = dir / paths[random() % std::size(paths)];
    job.plan = random_plan(random);
    job.encode.format = OutputFormat::kPng;
    c.jobs.push_back(std::move(job));
  }
  return c;
}

void write_inputs(const TempDir& dir) {
  const OwnedImage image = random_image(40, 30, PixelFormat::kRgb8, 5);
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  const auto bytes = encode_to_vector(image.view(), png);
  REQUIRE(bytes);
  for (const char* path :
       {"a/scan.png", "b/scan.png", "scan.png", "scan_j1.png", "c/scan_j1.png"}) {
    fs::create_directories(fs::path(dir / path).parent_path());
    write_bytes(dir / path, *bytes);
  }
}

// Crops of the jobs that were not refused; a job is refused only for ROI keys that clash or a
// template that cannot tell its crops from each other or from another job's.
std::size_t planned_crops(const Case& c, const RecordingSink& sink, bool templated) {
  std::size_t crops = 0;
  for (std::size_t i = 0; i < c.jobs.size(); ++i) {
    const std::size_t count = make_plan(c.jobs[i].plan, 40, 30)->crops.size();
    const bool clashes = (i > 0 && !c.names_job) || (count > 1 && !c.names_crop);
    CAPTURE(i, count);
    if (templated && clashes) CHECK(sink.failed_jobs.contains(i));
    if (!sink.failed_jobs.contains(i)) crops += count;
  }
  for (const std::string& failure : sink.failures) {
    CAPTURE(failure);
    const bool template_refused = failure.find("names no input") != std::string::npos ||
                                  failure.find("names no crop") != std::string::npos;
    CHECK((failure.find("would both be named") != std::string::npos ||
           (templated && template_refused)));
  }
  return crops;
}

}  // namespace

TEST_CASE("property: every planned crop gets its own file and tar member", "[names]") {
  TempDir dir;
  write_inputs(dir);
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 random(seed);
    const Case c = random_case(random, dir);
    CAPTURE(c.name_template, c.jobs.size());
    const std::string out = dir / ("out" + std::to_string(seed));

    DirectorySinkOptions directory;
    directory.directory = out + "/dir";
    directory.name_template = c.name_template;
    auto dir_sink = make_directory_sink(directory);
    REQUIRE(dir_sink);
    RecordingSink dir_recorder(**dir_sink);
    const RunStats dir_stats = Engine(threads(2)).run(c.jobs, dir_recorder);
    REQUIRE_FALSE(dir_stats.fatal);

    TarSinkOptions tar;
    fs::create_directories(out + "/tar");
    tar.path = out + "/tar/s.tar";
    tar.max_shard_samples = 7;
    auto tar_sink = make_tar_sink(tar);
    REQUIRE(tar_sink);
    RecordingSink tar_recorder(**tar_sink);
    const RunStats tar_stats = Engine(threads(3)).run(c.jobs, tar_recorder);
    REQUIRE_FALSE(tar_stats.fatal);

    // Every planned crop of a job that was not refused is exactly one output.
    CHECK(dir_stats.crops_failed == 0);
    CHECK(tar_stats.crops_failed == 0);
    const auto files = files_under(out + "/dir");
    CHECK(files.size() == planned_crops(c, dir_recorder, true));
    CHECK(files.size() == dir_stats.crops);
    const auto members = tar_members(out + "/tar");
    CHECK(std::set<std::string>(members.begin(), members.end()).size() == members.size());
    CHECK(members.size() == planned_crops(c, tar_recorder, false));
    CHECK(members.size() == tar_stats.crops);
  }
}

TEST_CASE("engine options over their caps fail the run before anything is allocated", "[names]") {
  EngineOptions options;
  options.crops_in_flight = 1'000'000'000;
  CHECK(validate(options).error().message ==
        "crops in flight is 1000000000; it must be between 0 and 65536");
  NullSink sink;
  const std::vector<Job> none;
  const RunStats stats = Engine(options).run(none, sink);
  REQUIRE(stats.fatal);
  CHECK(stats.fatal->code == ErrorCode::kInvalidArgument);
  options = EngineOptions{};
  options.band_rows = -1;
  CHECK_FALSE(validate(options));
  options = EngineOptions{};
  options.plan_limits.max_crop_pixels = 0;
  CHECK_FALSE(validate(options));
  CHECK(validate(EngineOptions{}));
}
