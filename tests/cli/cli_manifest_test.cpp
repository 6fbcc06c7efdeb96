// Manifest lines as units: each line's plan is built by the same functions as the command
// line's, so every plan option means the same in both.
#include <catch2/catch.hpp>

#include "job_sources.hpp"
#include "temp_dir.hpp"

namespace tessera::cli {
namespace {

// The first job of a one-line manifest; fails the test when the line is not a job.
Job only_job(const test::TempDir& dir, const std::string& line) {
  test::write_text(dir.path() / "jobs.jsonl", line + "\n");
  JobNotes notes;
  auto source = ManifestSource::open(dir / "jobs.jsonl", JobDefaults{}, notes);
  REQUIRE(source);
  auto job = (*source)->next();
  REQUIRE(job);
  CHECK((*source)->bad_lines() == 0);
  return std::move(*job);
}

TEST_CASE("a manifest line's ROI plan honours edge and fill", "[manifest]") {
  test::TempDir dir;
  test::write_text(dir.path() / "boxes.csv", "0,0,8,8\n");
  SECTION("fill as an array") {
    const Job job = only_job(
        dir,
        R"({"input": "a.png", "plan": {"rois": "boxes.csv", "edge": "pad", "fill": [255, 0, 0]}})");
    const auto& rois = std::get<RoiListSpec>(job.plan);
    CHECK(rois.edge == EdgePolicy::kPad);
    CHECK(rois.fill == Rgba{255, 0, 0, 255});
  }
  SECTION("fill as option text, at the top level of the line") {
    const Job job = only_job(
        dir, R"({"input": "a.png", "rois": "boxes.csv", "edge": "clip", "fill": "1,2,3,4"})");
    const auto& rois = std::get<RoiListSpec>(job.plan);
    CHECK(rois.edge == EdgePolicy::kClip);
    CHECK(rois.fill == Rgba{1, 2, 3, 4});
  }
}

TEST_CASE("a manifest line's grid and random plans", "[manifest]") {
  test::TempDir dir;
  const Job grid = only_job(
      dir, R"({"input": "a.jpg", "plan": {"tile": 64, "overlap": "16", "fill": [9, 9, 9]}})");
  const auto& spec = std::get<GridSpec>(grid.plan);
  CHECK(spec.tile_width == 64);
  CHECK(spec.stride_x == 48);
  CHECK(spec.fill == Rgba{9, 9, 9, 255});
  const Job random = only_job(
      dir, R"({"input": "a.jpg", "plan": {"random": {"count": 5, "size": "8:16", "seed": 2}}})");
  CHECK(std::get<RandomSpec>(random.plan).count == 5);
}

TEST_CASE("a manifest line with a bad fill is a bad line", "[manifest]") {
  test::TempDir dir;
  test::write_text(dir.path() / "boxes.csv", "0,0,8,8\n");
  test::write_text(dir.path() / "jobs.jsonl",
                   R"({"input": "a.png", "plan": {"rois": "boxes.csv", "fill": "red"}})"
                   "\n");
  JobNotes notes;
  auto source = ManifestSource::open(dir / "jobs.jsonl", JobDefaults{}, notes);
  REQUIRE(source);
  CHECK_FALSE((*source)->next());
  CHECK((*source)->bad_lines() == 1);
}

}  // namespace
}  // namespace tessera::cli
