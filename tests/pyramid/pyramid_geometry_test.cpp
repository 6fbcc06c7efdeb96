#include <catch2/catch.hpp>

#include "pyramid_geometry.hpp"
#include "pyramid_shrink.hpp"

namespace tessera::detail {
namespace {

std::vector<std::pair<int, int>> sizes(const PyramidGeometry& geometry) {
  std::vector<std::pair<int, int>> out;
  for (const PyramidLevel& level : geometry.levels()) out.emplace_back(level.width, level.height);
  return out;
}

}  // namespace

// The level sizes below are what `vips dzsave` (libvips 8.14) wrote for these images.
TEST_CASE("pyramid: DeepZoom levels halve, rounding odd sizes up, down to 1x1") {
  using Sizes = std::vector<std::pair<int, int>>;
  CHECK(sizes(PyramidGeometry(PyramidLayout::kDeepZoom, 1, 1, 254, 1)) == Sizes{{1, 1}});
  CHECK(sizes(PyramidGeometry(PyramidLayout::kDeepZoom, 201, 75, 64, 3)) ==
        Sizes{{201, 75}, {101, 38}, {51, 19}, {26, 10}, {13, 5}, {7, 3}, {4, 2}, {2, 1}, {1, 1}});
  CHECK(PyramidGeometry(PyramidLayout::kDeepZoom, 16384, 16384, 256, 0).level_count() == 15);
  CHECK(PyramidGeometry(PyramidLayout::kDeepZoom, 16384, 16384, 256, 0).tile_count() == 5469);
}

TEST_CASE("pyramid: IIIF stops at the first level within one tile") {
  using Sizes = std::vector<std::pair<int, int>>;
  CHECK(sizes(PyramidGeometry(PyramidLayout::kIiif3, 201, 75, 64, 0)) ==
        Sizes{{201, 75}, {101, 38}, {51, 19}});
  CHECK(PyramidGeometry(PyramidLayout::kIiif3, 64, 64, 64, 0).level_count() == 1);
}

TEST_CASE("pyramid: DeepZoom tiles step by the tile size with the overlap on each side") {
  const PyramidGeometry g(PyramidLayout::kDeepZoom, 201, 75, 64, 3);
  CHECK(g.level(0).tiles_x == 4);
  CHECK(g.level(0).tiles_y == 2);
  CHECK(g.tile_rect(0, 0, 0) == Roi{0, 0, 67, 67});
  CHECK(g.tile_rect(0, 1, 0) == Roi{61, 0, 70, 67});
  CHECK(g.tile_rect(0, 3, 1) == Roi{189, 61, 12, 14});
  CHECK(g.tile_path("p", 0, 3, 1, "png") == "p_files/8/3_1.png");
  CHECK(g.tile_path("p", 8, 0, 0, "png") == "p_files/0/0_0.png");
}

TEST_CASE("pyramid: IIIF tiles are named by full-resolution region and own size") {
  const PyramidGeometry g(PyramidLayout::kIiif3, 201, 75, 64, 0);
  CHECK(g.tile_path("p", 0, 3, 1, "jpg") == "192,64,9,11/9,11/0/default.jpg");
  CHECK(g.tile_path("p", 1, 1, 0, "jpg") == "128,0,73,75/37,38/0/default.jpg");
  CHECK(g.tile_path("p", 2, 0, 0, "jpg") == "0,0,201,75/51,19/0/default.jpg");
  // As libvips 8.14: every level but the smallest is listed.
  const std::string info = iiif_info(g, "https://example.com/iiif/p");
  CHECK(info.find("\"scaleFactors\": [\n        1,\n        2\n      ]") != std::string::npos);
}

TEST_CASE("pyramid: the 2x2 mean rounds half up and pairs an odd last column with itself") {
  const std::uint8_t top[] = {0, 1, 10, 20, 255};
  const std::uint8_t bottom[] = {1, 1, 30, 40, 254};
  std::uint8_t out[3] = {};
  shrink_rows(top, bottom, 5, 1, out);
  CHECK(out[0] == 1);    // 3 / 4 = 0.75
  CHECK(out[1] == 25);   // 100 / 4
  CHECK(out[2] == 255);  // (255 + 255 + 254 + 254) / 4 = 254.5
  const std::uint8_t rgb_top[] = {10, 20, 30, 50, 60, 70};
  std::uint8_t rgb_out[3] = {};
  shrink_rows(rgb_top, rgb_top, 2, 3, rgb_out);
  CHECK(rgb_out[0] == 30);
  CHECK(rgb_out[1] == 40);
  CHECK(rgb_out[2] == 50);
}

}  // namespace tessera::detail
