#include <catch2/catch.hpp>

#include <climits>
#include <set>
#include <string>
#include <vector>

#include "tessera/engine/plan.hpp"

namespace {

using tessera::EdgePolicy;
using tessera::ErrorCode;
using tessera::GridSpec;
using tessera::Plan;
using tessera::PlanLimits;
using tessera::RandomSpec;
using tessera::Roi;
using tessera::RoiEntry;
using tessera::RoiListSpec;

GridSpec grid(int tile, int stride, EdgePolicy edge) {
  GridSpec spec;
  spec.tile_width = tile;
  spec.tile_height = tile;
  spec.stride_x = stride;
  spec.stride_y = stride;
  spec.edge = edge;
  return spec;
}

Plan plan_ok(const tessera::PlanSpec& spec, int width, int height, const PlanLimits& limits = {}) {
  auto plan = tessera::make_plan(spec, width, height, limits);
  INFO((plan ? std::string() : plan.error().message));
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

tessera::Error plan_error(const tessera::PlanSpec& spec, int width, int height,
                          const PlanLimits& limits = {}) {
  auto plan = tessera::make_plan(spec, width, height, limits);
  REQUIRE_FALSE(plan.ok());
  return plan.error();
}

std::vector<Roi> rois_of(const Plan& plan) {
  std::vector<Roi> out;
  for (const auto& crop : plan.crops) out.push_back(crop.roi);
  return out;
}

std::set<int> distinct(const Plan& plan, int Roi::*member) {
  std::set<int> out;
  for (const auto& crop : plan.crops) out.insert(crop.roi.*member);
  return out;
}

RoiListSpec roi_list(std::vector<Roi> rois, EdgePolicy edge) {
  RoiListSpec spec;
  spec.edge = edge;
  for (std::size_t i = 0; i < rois.size(); ++i) {
    spec.rois.push_back(RoiEntry{rois[i], "k" + std::to_string(i)});
  }
  return spec;
}

}  // namespace

TEST_CASE("grid without overlap: drop keeps only full tiles", "[plan]") {
  const Plan plan = plan_ok(grid(256, 0, EdgePolicy::kDrop), 1000, 700);
  REQUIRE(plan.crops.size() == 6);
  CHECK(distinct(plan, &Roi::x) == std::set<int>{0, 256, 512});
  CHECK(distinct(plan, &Roi::y) == std::set<int>{0, 256});
  CHECK(distinct(plan, &Roi::w) == std::set<int>{256});
  CHECK(distinct(plan, &Roi::h) == std::set<int>{256});
}

TEST_CASE("grid without overlap: clip cuts the edge tiles to the image", "[plan]") {
  const Plan plan = plan_ok(grid(256, 0, EdgePolicy::kClip), 1000, 700);
  REQUIRE(plan.crops.size() == 12);
  CHECK(distinct(plan, &Roi::x) == std::set<int>{0, 256, 512, 768});
  CHECK(distinct(plan, &Roi::y) == std::set<int>{0, 256, 512});
  CHECK(distinct(plan, &Roi::w) == std::set<int>{256, 232});
  CHECK(distinct(plan, &Roi::h) == std::set<int>{256, 188});
  CHECK(plan.crops[3].roi == Roi{768, 0, 232, 256});
  CHECK(plan.crops[8].roi == Roi{0, 512, 256, 188});
  CHECK(plan.crops[11].roi == Roi{768, 512, 232, 188});
}

TEST_CASE("grid without overlap: pad keeps every tile at full size", "[plan]") {
  GridSpec spec = grid(256, 0, EdgePolicy::kPad);
  spec.fill = {1, 2, 3, 4};
  const Plan plan = plan_ok(spec, 1000, 700);
  REQUIRE(plan.crops.size() == 12);
  CHECK(distinct(plan, &Roi::w) == std::set<int>{256});
  CHECK(distinct(plan, &Roi::h) == std::set<int>{256});
  CHECK(plan.crops[11].roi == Roi{768, 512, 256, 256});
  CHECK(plan.crops[11].roi.right() == 1024);
  CHECK(plan.fill == tessera::Rgba{1, 2, 3, 4});
}

TEST_CASE("grid order is row-major and indices are plan positions", "[plan]") {
  const Plan plan = plan_ok(grid(256, 0, EdgePolicy::kClip), 1000, 700);
  for (std::size_t i = 0; i < plan.crops.size(); ++i) {
    CHECK(plan.crops[i].index == i);
    CHECK(plan.crops[i].roi.x == static_cast<int>(i % 4) * 256);
    CHECK(plan.crops[i].roi.y == static_cast<int>(i / 4) * 256);
    CHECK(plan.crops[i].key.empty());
  }
}

TEST_CASE("grid with overlapping stride", "[plan]") {
  // Starts: x in {0,200,400,600,800}, y in {0,200,400,600}. A 256 tile fits while x <= 744
  // and y <= 444, so 4 columns and 3 rows are full.
  SECTION("drop") {
    const Plan plan = plan_ok(grid(256, 200, EdgePolicy::kDrop), 1000, 700);
    REQUIRE(plan.crops.size() == 12);
    CHECK(distinct(plan, &Roi::x) == std::set<int>{0, 200, 400, 600});
    CHECK(distinct(plan, &Roi::y) == std::set<int>{0, 200, 400});
    CHECK(plan.crops[4].roi == Roi{0, 200, 256, 256});
  }
  SECTION("clip") {
    const Plan plan = plan_ok(grid(256, 200, EdgePolicy::kClip), 1000, 700);
    REQUIRE(plan.crops.size() == 20);
    CHECK(distinct(plan, &Roi::x) == std::set<int>{0, 200, 400, 600, 800});
    CHECK(distinct(plan, &Roi::y) == std::set<int>{0, 200, 400, 600});
    CHECK(plan.crops[4].roi == Roi{800, 0, 200, 256});
    CHECK(plan.crops[5].roi == Roi{0, 200, 256, 256});
    CHECK(plan.crops[19].roi == Roi{800, 600, 200, 100});
  }
  SECTION("pad") {
    const Plan plan = plan_ok(grid(256, 200, EdgePolicy::kPad), 1000, 700);
    REQUIRE(plan.crops.size() == 20);
    CHECK(plan.crops[19].roi == Roi{800, 600, 256, 256});
  }
  SECTION("a stride larger than the tile leaves gaps") {
    const Plan plan = plan_ok(grid(100, 300, EdgePolicy::kDrop), 1000, 700);
    REQUIRE(plan.crops.size() == 12);
    CHECK(distinct(plan, &Roi::x) == std::set<int>{0, 300, 600, 900});
    CHECK(distinct(plan, &Roi::y) == std::set<int>{0, 300, 600});
  }
  SECTION("separate horizontal and vertical tile and stride") {
    GridSpec spec;
    spec.tile_width = 300;
    spec.tile_height = 100;
    spec.stride_x = 250;
    spec.stride_y = 0;
    spec.edge = EdgePolicy::kClip;
    const Plan plan = plan_ok(spec, 1000, 250);
    // x in {0,250,500,750}, y in {0,100,200}
    REQUIRE(plan.crops.size() == 12);
    CHECK(plan.crops[3].roi == Roi{750, 0, 250, 100});
    CHECK(plan.crops[11].roi == Roi{750, 200, 250, 50});
  }
}

TEST_CASE("grid edge error names the first tile that does not fit", "[plan]") {
  SECTION("a tile past the right edge") {
    const auto error = plan_error(grid(256, 0, EdgePolicy::kError), 1000, 700);
    CHECK(error.code == ErrorCode::kOutOfBounds);
    CHECK(error.message.find("grid tile 3 (x=768 y=0 w=256 h=256)") != std::string::npos);
    CHECK(error.message.find("1000x700") != std::string::npos);
    CHECK(error.message.find("--edge clip") != std::string::npos);
  }
  SECTION("only the bottom row is short") {
    const auto error = plan_error(grid(256, 0, EdgePolicy::kError), 1024, 700);
    CHECK(error.message.find("grid tile 8 (x=0 y=512 w=256 h=256)") != std::string::npos);
  }
  SECTION("an exact fit is fine") {
    const Plan plan = plan_ok(grid(256, 0, EdgePolicy::kError), 1024, 512);
    CHECK(plan.crops.size() == 8);
  }
}

TEST_CASE("grid larger than the image", "[plan]") {
  CHECK(plan_ok(grid(256, 0, EdgePolicy::kDrop), 100, 100).crops.empty());
  CHECK(rois_of(plan_ok(grid(256, 0, EdgePolicy::kClip), 100, 80)) ==
        std::vector<Roi>{Roi{0, 0, 100, 80}});
  CHECK(rois_of(plan_ok(grid(256, 0, EdgePolicy::kPad), 100, 80)) ==
        std::vector<Roi>{Roi{0, 0, 256, 256}});
}

TEST_CASE("grid spec is validated", "[plan]") {
  CHECK(plan_error(grid(0, 0, EdgePolicy::kDrop), 100, 100).message.find("tile width is 0") !=
        std::string::npos);
  CHECK(plan_error(grid(16, -1, EdgePolicy::kDrop), 100, 100).message.find("stride x is -1") !=
        std::string::npos);
  CHECK(plan_error(grid((1 << 20) + 1, 0, EdgePolicy::kDrop), 100, 100).code ==
        ErrorCode::kInvalidArgument);
  GridSpec spec = grid(16, 0, EdgePolicy::kDrop);
  spec.stride_y = INT_MAX;
  CHECK(plan_error(spec, 100, 100).message.find("stride y") != std::string::npos);
  CHECK(plan_error(grid(16, 0, EdgePolicy::kDrop), 0, 100).code == ErrorCode::kInvalidArgument);
  CHECK(plan_error(grid(16, 0, EdgePolicy::kDrop), 100, -5).code == ErrorCode::kInvalidArgument);
}

TEST_CASE("grid crop limit is checked before anything is built", "[plan]") {
  PlanLimits limits;
  limits.max_crops = 11;
  const auto error = plan_error(grid(256, 0, EdgePolicy::kClip), 1000, 700, limits);
  CHECK(error.code == ErrorCode::kTooLarge);
  CHECK(error.message ==
        "plan has 12 crops, over the limit of 11; use a larger tile or stride "
        "or raise --max-crops");
  limits.max_crops = 12;
  CHECK(plan_ok(grid(256, 0, EdgePolicy::kClip), 1000, 700, limits).crops.size() == 12);
  // 2^31 x 2^31 single-pixel tiles: the count must be computed, never enumerated.
  const auto huge = plan_error(grid(1, 1, EdgePolicy::kDrop), INT_MAX, INT_MAX);
  CHECK(huge.code == ErrorCode::kTooLarge);
  CHECK(huge.message.find("plan has 4611686014132420609 crops") != std::string::npos);
}

TEST_CASE("padded grid near the coordinate limit is refused, not overflowed", "[plan]") {
  const auto error = plan_error(grid(1 << 20, 1 << 20, EdgePolicy::kPad), INT_MAX, 1);
  CHECK(error.message.find("largest supported coordinate") != std::string::npos);
  const Plan clipped = plan_ok(grid(1 << 20, 1 << 20, EdgePolicy::kClip), INT_MAX, 1);
  REQUIRE(clipped.crops.size() == 2048);
  CHECK(clipped.crops.back().roi == Roi{2047 << 20, 0, (1 << 20) - 1, 1});
}

TEST_CASE("ROI list inside the image keeps regions, keys and list positions", "[plan]") {
  RoiListSpec spec = roi_list({{0, 0, 10, 10}, {5, 6, 7, 8}, {90, 90, 10, 10}}, EdgePolicy::kError);
  spec.fill = {9, 9, 9, 9};
  const Plan plan = plan_ok(spec, 100, 100);
  REQUIRE(plan.crops.size() == 3);
  CHECK(plan.crops[1].roi == Roi{5, 6, 7, 8});
  CHECK(plan.crops[1].index == 1);
  CHECK(plan.crops[1].key == "k1");
  CHECK(plan.crops[2].roi == Roi{90, 90, 10, 10});
  CHECK(plan.fill == tessera::Rgba{9, 9, 9, 9});
}

TEST_CASE("ROI outside the image under kError gives the documented message", "[plan]") {
  std::vector<Roi> rois(18, Roi{0, 0, 512, 512});
  rois[17] = Roi{9000, 10, 512, 512};
  const auto error = plan_error(roi_list(rois, EdgePolicy::kError), 8192, 8192);
  CHECK(error.code == ErrorCode::kOutOfBounds);
  CHECK(error.message ==
        "ROI 17 (x=9000 y=10 w=512 h=512) lies outside the 8192x8192 image; "
        "use --edge clip or --edge drop");
  // One pixel past the bottom edge is already outside.
  const auto bottom = plan_error(roi_list({{0, 8000, 10, 193}}, EdgePolicy::kError), 8192, 8192);
  CHECK(bottom.message.find("ROI 0 (x=0 y=8000 w=10 h=193) lies outside") == 0);
  CHECK(plan_ok(roi_list({{0, 8000, 10, 192}}, EdgePolicy::kError), 8192, 8192).crops.size() == 1);
}

TEST_CASE("ROI with an empty size is an error naming it", "[plan]") {
  for (auto edge : {EdgePolicy::kError, EdgePolicy::kDrop, EdgePolicy::kPad, EdgePolicy::kClip}) {
    const auto error = plan_error(roi_list({{0, 0, 4, 4}, {1, 2, 0, 5}}, edge), 100, 100);
    CHECK(error.message.find("ROI 1 (x=1 y=2 w=0 h=5) has an empty size") == 0);
    const auto negative = plan_error(roi_list({{1, 2, 3, -1}}, edge), 100, 100);
    CHECK(negative.message.find("ROI 0 (x=1 y=2 w=3 h=-1) has an empty size") == 0);
  }
}

TEST_CASE("ROI edge policies on regions that cross the edge", "[plan]") {
  const std::vector<Roi> rois = {
      {10, 10, 20, 20}, {90, 80, 20, 30}, {-5, -6, 20, 20}, {40, 40, 10, 10}};
  SECTION("clip") {
    const Plan plan = plan_ok(roi_list(rois, EdgePolicy::kClip), 100, 100);
    CHECK(rois_of(plan) ==
          std::vector<Roi>{{10, 10, 20, 20}, {90, 80, 10, 20}, {0, 0, 15, 14}, {40, 40, 10, 10}});
  }
  SECTION("pad keeps the regions as given") {
    const Plan plan = plan_ok(roi_list(rois, EdgePolicy::kPad), 100, 100);
    CHECK(rois_of(plan) == rois);
  }
  SECTION("drop leaves gaps in the indices") {
    const Plan plan = plan_ok(roi_list(rois, EdgePolicy::kDrop), 100, 100);
    REQUIRE(plan.crops.size() == 2);
    CHECK(plan.crops[0].index == 0);
    CHECK(plan.crops[0].key == "k0");
    CHECK(plan.crops[1].index == 3);
    CHECK(plan.crops[1].key == "k3");
    CHECK(plan.crops[1].roi == Roi{40, 40, 10, 10});
  }
}

TEST_CASE("ROI entirely outside the image", "[plan]") {
  const std::vector<Roi> rois = {{0, 0, 5, 5}, {100, 0, 5, 5}};
  for (auto edge : {EdgePolicy::kPad, EdgePolicy::kClip}) {
    const auto error = plan_error(roi_list(rois, edge), 100, 100);
    CHECK(error.code == ErrorCode::kOutOfBounds);
    CHECK(error.message.find("ROI 1 (x=100 y=0 w=5 h=5) lies entirely outside the 100x100 "
                             "image") == 0);
  }
  // Touching the edge from outside is not overlapping.
  CHECK_FALSE(tessera::make_plan(roi_list({{-5, 0, 5, 5}}, EdgePolicy::kClip), 100, 100).ok());
  const Plan dropped = plan_ok(roi_list(rois, EdgePolicy::kDrop), 100, 100);
  REQUIRE(dropped.crops.size() == 1);
  CHECK(dropped.crops[0].index == 0);
}

TEST_CASE("ROI coordinates that would overflow int are handled in 64 bits", "[plan]") {
  const Roi far{INT_MAX - 100, 0, 1000, 1};
  CHECK(plan_error(roi_list({far}, EdgePolicy::kError), 8192, 8192).code ==
        ErrorCode::kOutOfBounds);
  CHECK(plan_ok(roi_list({far}, EdgePolicy::kDrop), 8192, 8192).crops.empty());
  const int width = INT_MAX - 10;
  CHECK(rois_of(plan_ok(roi_list({far}, EdgePolicy::kClip), width, 1)) ==
        std::vector<Roi>{{INT_MAX - 100, 0, 90, 1}});
  const auto padded = plan_error(roi_list({far}, EdgePolicy::kPad), width, 1);
  CHECK(padded.message.find("largest supported coordinate") != std::string::npos);
  const Roi wide{INT_MIN, INT_MIN, INT_MAX, INT_MAX};
  CHECK(plan_error(roi_list({wide}, EdgePolicy::kClip), 100, 100).message.find("entirely") !=
        std::string::npos);
}

TEST_CASE("ROI list limits and emptiness", "[plan]") {
  PlanLimits limits;
  limits.max_crops = 2;
  const auto error = plan_error(
      roi_list({{0, 0, 1, 1}, {0, 0, 1, 1}, {0, 0, 1, 1}}, EdgePolicy::kError), 10, 10, limits);
  CHECK(error.code == ErrorCode::kTooLarge);
  CHECK(error.message.find("plan has 3 crops, over the limit of 2") == 0);
  CHECK(plan_error(RoiListSpec{}, 10, 10).message.find("empty") != std::string::npos);
}

TEST_CASE("random crops are square, inside the image and in range", "[plan]") {
  RandomSpec spec{500, 64, 256, 7};
  const Plan plan = plan_ok(spec, 1000, 700);
  REQUIRE(plan.crops.size() == 500);
  for (std::size_t i = 0; i < plan.crops.size(); ++i) {
    const Roi& roi = plan.crops[i].roi;
    CHECK(plan.crops[i].index == i);
    CHECK(roi.w == roi.h);
    CHECK(roi.w >= 64);
    CHECK(roi.w <= 256);
    CHECK(roi.x >= 0);
    CHECK(roi.y >= 0);
    CHECK(roi.right() <= 1000);
    CHECK(roi.bottom() <= 700);
  }
}

TEST_CASE("random crops are reproducible and pinned for one seed", "[plan]") {
  const RandomSpec spec{5, 64, 256, 7};
  const Plan first = plan_ok(spec, 1000, 700);
  CHECK(rois_of(first) == rois_of(plan_ok(spec, 1000, 700)));
  CHECK(rois_of(first) != rois_of(plan_ok(RandomSpec{5, 64, 256, 8}, 1000, 700)));
  // Literal values: a change to the generator or the draw order must fail here.
  CHECK(rois_of(first) == std::vector<Roi>{
                              {6, 208, 195, 195},
                              {616, 397, 193, 193},
                              {716, 313, 216, 216},
                              {785, 148, 212, 212},
                              {63, 412, 72, 72},
                          });
}

TEST_CASE("random draws cover their whole range", "[plan]") {
  // On a 3x3 image with sides 1..2 every position and both sizes must show up.
  const Plan plan = plan_ok(RandomSpec{2000, 1, 2, 99}, 3, 3);
  CHECK(distinct(plan, &Roi::w) == std::set<int>{1, 2});
  CHECK(distinct(plan, &Roi::x) == std::set<int>{0, 1, 2});
  CHECK(distinct(plan, &Roi::y) == std::set<int>{0, 1, 2});
  for (const auto& crop : plan.crops) CHECK(crop.roi.right() <= 3);
  CHECK(distinct(plan_ok(RandomSpec{50, 3, 3, 1}, 3, 3), &Roi::x) == std::set<int>{0});
}

TEST_CASE("random spec is validated", "[plan]") {
  CHECK(plan_error(RandomSpec{0, 1, 2, 0}, 100, 100).message.find("count of 0") !=
        std::string::npos);
  CHECK(plan_error(RandomSpec{1, 0, 2, 0}, 100, 100).message.find("min size is 0") !=
        std::string::npos);
  CHECK(plan_error(RandomSpec{1, 20, 10, 0}, 100, 100).message.find("larger than max size") !=
        std::string::npos);
  const auto too_big = plan_error(RandomSpec{1, 10, 81, 0}, 100, 80);
  CHECK(too_big.message.find("max size 81 does not fit in the 100x80 image") != std::string::npos);
  CHECK(plan_ok(RandomSpec{1, 10, 80, 0}, 100, 80).crops.size() == 1);
}

TEST_CASE("random crop count is limited before allocation", "[plan]") {
  PlanLimits limits;
  limits.max_crops = 10;
  CHECK(plan_error(RandomSpec{11, 1, 2, 0}, 100, 100, limits).code == ErrorCode::kTooLarge);
  CHECK(plan_ok(RandomSpec{10, 1, 2, 0}, 100, 100, limits).crops.size() == 10);
  const auto huge = plan_error(RandomSpec{std::size_t{1} << 40, 1, 2, 0}, 100, 100);
  CHECK(huge.message.find("plan has 1099511627776 crops") == 0);
}

TEST_CASE("plans describe themselves in one line", "[plan]") {
  CHECK(tessera::describe(grid(256, 0, EdgePolicy::kDrop)) ==
        "grid 256x256 stride 256x256 edge drop");
  GridSpec spec = grid(512, 0, EdgePolicy::kPad);
  spec.tile_height = 128;
  spec.stride_x = 400;
  CHECK(tessera::describe(spec) == "grid 512x128 stride 400x128 edge pad");
  CHECK(tessera::describe(RoiListSpec{std::vector<RoiEntry>(1200), EdgePolicy::kError, {}}) ==
        "rois 1200 edge error");
  CHECK(tessera::describe(RandomSpec{500, 64, 256, 7}) == "random 500 size 64..256 seed 7");
  CHECK(std::string(tessera::to_string(EdgePolicy::kClip)) == "clip");
  CHECK(std::string(tessera::to_string(EdgePolicy::kDrop)) == "drop");
  CHECK(std::string(tessera::to_string(EdgePolicy::kPad)) == "pad");
  CHECK(std::string(tessera::to_string(EdgePolicy::kError)) == "error");
}

TEST_CASE("a crop over the pixel limit fails at plan time, naming the ROI and the flag", "[plan]") {
  tessera::RoiListSpec list;
  list.edge = EdgePolicy::kPad;
  list.rois = {{{0, 0, 8, 8}, ""}, {{0, 0, 30000, 30000}, ""}};
  auto plan = make_plan(list, 100, 100);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().code == ErrorCode::kTooLarge);
  CHECK(plan.error().message ==
        "ROI 1 (x=0 y=0 w=30000 h=30000) has 900000000 pixels, over the per-crop limit of "
        "67108864; use a smaller region or --edge clip, or raise --max-crop-pixels");
  GridSpec grid;
  grid.tile_width = grid.tile_height = 40000;
  grid.edge = EdgePolicy::kPad;
  CHECK_FALSE(make_plan(grid, 100, 100));
  PlanLimits small;
  small.max_crop_pixels = 63;
  CHECK_FALSE(make_plan(RandomSpec{3, 8, 8, 1}, 100, 100, small));
  small.max_crop_pixels = 64;
  CHECK(make_plan(RandomSpec{3, 8, 8, 1}, 100, 100, small));
}
