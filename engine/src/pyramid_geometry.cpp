#include "pyramid_geometry.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tessera::detail {
namespace {

int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

}  // namespace

PyramidGeometry::PyramidGeometry(PyramidLayout layout, int width, int height, int tile_size,
                                 int overlap)
    : layout_(layout), tile_size_(tile_size), overlap_(overlap) {
  // DeepZoom goes on until the level is one pixel; IIIF until it fits in one tile.
  const int limit = layout == PyramidLayout::kDeepZoom ? 1 : tile_size;
  int scale = 1;
  for (;;) {
    levels_.push_back(PyramidLevel{width, height, ceil_div(width, tile_size_),
                                   ceil_div(height, tile_size_), scale});
    if (width <= limit && height <= limit) break;
    width = (width + 1) / 2;
    height = (height + 1) / 2;
    scale *= 2;
  }
}

std::uint64_t PyramidGeometry::tile_count() const noexcept {
  std::uint64_t total = 0;
  for (const PyramidLevel& level : levels_) {
    total += static_cast<std::uint64_t>(level.tiles_x) * static_cast<std::uint64_t>(level.tiles_y);
  }
  return total;
}

int PyramidGeometry::tile_row_first(int /*level*/, int row) const {
  return std::max(0, row * tile_size_ - overlap_);
}

int PyramidGeometry::tile_row_end(int level, int row) const {
  return std::min(this->level(level).height, (row + 1) * tile_size_ + overlap_);
}

Roi PyramidGeometry::tile_rect(int level, int col, int row) const {
  const int x0 = std::max(0, col * tile_size_ - overlap_);
  const int x1 = std::min(this->level(level).width, (col + 1) * tile_size_ + overlap_);
  const int y0 = tile_row_first(level, row);
  const int y1 = tile_row_end(level, row);
  return Roi{x0, y0, x1 - x0, y1 - y0};
}

std::string PyramidGeometry::tile_path(const std::string& name, int level, int col, int row,
                                       const char* extension) const {
  switch (layout_) {
    case PyramidLayout::kDeepZoom:
      return fmt::format("{}_files/{}/{}_{}.{}", name, level_count() - 1 - level, col, row,
                         extension);
    case PyramidLayout::kIiif3: {
      const PyramidLevel& full = levels_.front();
      const PyramidLevel& here = this->level(level);
      const int span = tile_size_ * here.scale;  // one tile, in full-resolution pixels
      const int left = col * span;
      const int top = row * span;
      return fmt::format("{},{},{},{}/{},{}/0/default.{}", left, top,
                         std::min(span, full.width - left), std::min(span, full.height - top),
                         std::min(tile_size_, here.width - col * tile_size_),
                         std::min(tile_size_, here.height - row * tile_size_), extension);
    }
  }
  return {};
}

std::string deepzoom_descriptor(const PyramidGeometry& geometry, const char* extension) {
  const PyramidLevel& full = geometry.level(0);
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\"\n"
      "  Format=\"{}\"\n"
      "  Overlap=\"{}\"\n"
      "  TileSize=\"{}\"\n"
      "  >\n"
      "  <Size \n"
      "    Height=\"{}\"\n"
      "    Width=\"{}\"\n"
      "  />\n"
      "</Image>\n",
      extension, geometry.overlap(), geometry.tile_size(), full.height, full.width);
}

std::string iiif_info(const PyramidGeometry& geometry, const std::string& id) {
  std::string factors;
  const int listed = std::max(1, geometry.level_count() - 1);
  for (int i = 0; i < listed; ++i) {
    factors += fmt::format("        {}{}\n", geometry.level(i).scale, i + 1 < listed ? "," : "");
  }
  const PyramidLevel& full = geometry.level(0);
  return fmt::format(
      "{{\n"
      "  \"@context\": \"http://iiif.io/api/image/3/context.json\",\n"
      "  \"id\": \"{}\",\n"
      "  \"type\": \"ImageService3\",\n"
      "  \"profile\": \"level0\",\n"
      "  \"protocol\": \"http://iiif.io/api/image\",\n"
      "  \"tiles\": [\n"
      "    {{\n"
      "      \"scaleFactors\": [\n"
      "{}"
      "      ],\n"
      "      \"width\": {}\n"
      "    }}\n"
      "  ],\n"
      "  \"width\": {},\n"
      "  \"height\": {}\n"
      "}}\n",
      id, factors, geometry.tile_size(), full.width, full.height);
}

}  // namespace tessera::detail
