// The shape of a pyramid, as `vips dzsave` (libvips 8.14) lays it out: how many levels, each
// level's size, each level's tile grid and tile rectangles, and the file name of every tile.
// Pure arithmetic on sizes: nothing here touches pixels, files or threads.
#pragma once

#include <string>
#include <vector>

#include "tessera/engine/plan.hpp"
#include "tessera/engine/pyramid.hpp"

namespace tessera::detail {

struct PyramidLevel {
  int width = 0;
  int height = 0;
  int tiles_x = 0;  // tile columns
  int tiles_y = 0;  // tile rows
  int scale = 1;    // full-resolution pixels per pixel of this level: 2^index
};

// Level 0 is the full image; level k+1 halves level k, rounding odd sizes up (a 5-pixel side
// becomes 3: the last row or column is averaged with itself). DeepZoom goes down to a 1x1
// level; IIIF stops at the first level that fits in one tile.
class PyramidGeometry {
 public:
  PyramidGeometry(PyramidLayout layout, int width, int height, int tile_size, int overlap);

  PyramidLayout layout() const noexcept { return layout_; }
  int tile_size() const noexcept { return tile_size_; }
  int overlap() const noexcept { return overlap_; }
  const std::vector<PyramidLevel>& levels() const noexcept { return levels_; }
  const PyramidLevel& level(int index) const { return levels_[static_cast<std::size_t>(index)]; }
  int level_count() const noexcept { return static_cast<int>(levels_.size()); }
  std::uint64_t tile_count() const noexcept;

  // Tile (col, row) of a level: the grid step is the tile size, and the overlap is added on
  // each side, then cut to the level (so edge tiles are smaller).
  Roi tile_rect(int level, int col, int row) const;
  // Rows [first, end) of a level that tile row `row` reads.
  int tile_row_first(int level, int row) const;
  int tile_row_end(int level, int row) const;

  // The tile's path inside the pyramid, with `name` the pyramid's name:
  //   DeepZoom: NAME_files/DZLEVEL/COL_ROW.EXT, where DeepZoom numbers levels from the 1x1 one
  //             up, so the full image is level level_count() - 1.
  //   IIIF:     X,Y,W,H/TW,TH/0/default.EXT: the region in full-resolution pixels, then the
  //             tile's own size. libvips 8.14 writes the region this way for every tile, the
  //             whole image included (never "full").
  std::string tile_path(const std::string& name, int level, int col, int row,
                        const char* extension) const;

 private:
  PyramidLayout layout_;
  int tile_size_;
  int overlap_;
  std::vector<PyramidLevel> levels_;
};

// NAME.dzi, byte for byte as libvips writes it.
std::string deepzoom_descriptor(const PyramidGeometry& geometry, const char* extension);

// info.json (IIIF Image API 3.0, level 0). `id` is the image's base URI. As in libvips 8.14,
// scaleFactors lists every level but the last (smallest) one: a client asks for a level that
// fits in one tile with the region "full", a name that layout does not write.
std::string iiif_info(const PyramidGeometry& geometry, const std::string& id);

}  // namespace tessera::detail
