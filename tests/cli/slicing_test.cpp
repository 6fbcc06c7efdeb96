// SAHI-style slicing: --tile, --overlap as a percentage and --edge shift give exactly the
// slices SAHI's get_slice_bboxes gives, and every tile is full size and the image covered.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include "cli_options.hpp"
#include "tessera/engine/plan.hpp"

using namespace tessera;
using namespace tessera::cli;

namespace {

// Expected boxes from SAHI's slicing rule, get_slice_bboxes() in sahi/slicing.py: overlap in
// pixels is int(ratio * slice); slices start at 0 and step by slice - overlap while the previous
// one ends inside the image; a slice that would reach past the right or bottom edge moves back
// to end at it (to 0 when the image is smaller than the slice). Boxes are [x0, y0, x1, y1], in
// SAHI's order (rows, then columns), as SAHI returns them for these sizes.
struct SahiCase {
  int width, height, tile_width, tile_height;
  const char* overlap;  // as given to --overlap
  std::vector<std::array<int, 4>> boxes;
};

const SahiCase kSahiCases[] = {
    {100,
     100,
     60,
     60,
     "0%x0%",
     {{0, 0, 60, 60}, {40, 0, 100, 60}, {0, 40, 60, 100}, {40, 40, 100, 100}}},
    {1920,
     1080,
     512,
     512,
     "20%x20%",
     {{0, 0, 512, 512},
      {410, 0, 922, 512},
      {820, 0, 1332, 512},
      {1230, 0, 1742, 512},
      {1408, 0, 1920, 512},
      {0, 410, 512, 922},
      {410, 410, 922, 922},
      {820, 410, 1332, 922},
      {1230, 410, 1742, 922},
      {1408, 410, 1920, 922},
      {0, 568, 512, 1080},
      {410, 568, 922, 1080},
      {820, 568, 1332, 1080},
      {1230, 568, 1742, 1080},
      {1408, 568, 1920, 1080}}},
    {500,
     300,
     256,
     256,
     "25%x25%",
     {{0, 0, 256, 256},
      {192, 0, 448, 256},
      {244, 0, 500, 256},
      {0, 44, 256, 300},
      {192, 44, 448, 300},
      {244, 44, 500, 300}}},
    {70, 50, 64, 64, "20%x20%", {{0, 0, 64, 50}, {6, 0, 70, 50}}},
    {512, 513, 512, 512, "10%x10%", {{0, 0, 512, 512}, {0, 1, 512, 513}}},
    {1000,
     1000,
     256,
     320,
     "30%x15%",
     {{0, 0, 256, 320},      {180, 0, 436, 320},    {360, 0, 616, 320},    {540, 0, 796, 320},
      {720, 0, 976, 320},    {744, 0, 1000, 320},   {0, 272, 256, 592},    {180, 272, 436, 592},
      {360, 272, 616, 592},  {540, 272, 796, 592},  {720, 272, 976, 592},  {744, 272, 1000, 592},
      {0, 544, 256, 864},    {180, 544, 436, 864},  {360, 544, 616, 864},  {540, 544, 796, 864},
      {720, 544, 976, 864},  {744, 544, 1000, 864}, {0, 680, 256, 1000},   {180, 680, 436, 1000},
      {360, 680, 616, 1000}, {540, 680, 796, 1000}, {720, 680, 976, 1000}, {744, 680, 1000, 1000}}},
    {9,
     7,
     4,
     4,
     "50%x50%",
     {{0, 0, 4, 4},
      {2, 0, 6, 4},
      {4, 0, 8, 4},
      {5, 0, 9, 4},
      {0, 2, 4, 6},
      {2, 2, 6, 6},
      {4, 2, 8, 6},
      {5, 2, 9, 6},
      {0, 3, 4, 7},
      {2, 3, 6, 7},
      {4, 3, 8, 7},
      {5, 3, 9, 7}}},
    {640, 640, 640, 640, "20%x20%", {{0, 0, 640, 640}}},
};

Plan sliced(int width, int height, int tile_width, int tile_height, const std::string& overlap) {
  PlanArgs args;
  args.tile = std::to_string(tile_width) + "x" + std::to_string(tile_height);
  args.overlap = overlap;
  args.edge = "shift";
  auto grid = grid_from(args);
  REQUIRE(grid);
  auto plan = make_plan(*grid, width, height);
  REQUIRE(plan);
  return std::move(plan).value();
}

}  // namespace

TEST_CASE("edge shift with a ratio overlap gives SAHI's slices", "[plan][slicing]") {
  for (const SahiCase& c : kSahiCases) {
    CAPTURE(c.width, c.height, c.tile_width, c.tile_height, c.overlap);
    const Plan plan = sliced(c.width, c.height, c.tile_width, c.tile_height, c.overlap);
    std::vector<std::array<int, 4>> boxes;
    for (const PlannedCrop& crop : plan.crops) {
      boxes.push_back({crop.roi.x, crop.roi.y, crop.roi.right(), crop.roi.bottom()});
    }
    CHECK(boxes == c.boxes);
  }
}

TEST_CASE("property: shifted tiles are full size, cover the image and carry their cell",
          "[plan][slicing]") {
  std::mt19937 random(7);
  for (int i = 0; i < 500; ++i) {
    const int width = 1 + static_cast<int>(random() % 3000);
    const int height = 1 + static_cast<int>(random() % 3000);
    const int tile = 16 + static_cast<int>(random() % 700);
    const int percent = static_cast<int>(random() % 90);
    CAPTURE(width, height, tile, percent);
    const Plan plan = sliced(width, height, tile, tile, std::to_string(percent) + "%");
    // Coverage, row by row and column by column: the union of the tiles' spans along each axis
    // (all tiles of one row share their rows, and all of one column their columns).
    int covered_right = 0;
    int covered_bottom = 0;
    int cols = 0;
    for (const PlannedCrop& crop : plan.crops) {
      CHECK(crop.roi.w == std::min(tile, width));
      CHECK(crop.roi.h == std::min(tile, height));
      CHECK(crop.roi.x >= 0);
      CHECK(crop.roi.y >= 0);
      CHECK(crop.roi.right() <= width);
      CHECK(crop.roi.bottom() <= height);
      if (crop.row == 0) {
        CHECK(crop.roi.x <= covered_right);  // no gap before this column
        covered_right = std::max(covered_right, crop.roi.right());
        cols = crop.col + 1;
      }
      if (crop.col == 0) {
        CHECK(crop.roi.y <= covered_bottom);
        covered_bottom = std::max(covered_bottom, crop.roi.bottom());
      }
      CHECK(crop.index == static_cast<std::uint32_t>(crop.row * cols + crop.col));
    }
    CHECK(covered_right == width);
    CHECK(covered_bottom == height);
  }
}
