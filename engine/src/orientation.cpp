#include "orientation.hpp"

#include <algorithm>
#include <cstring>

namespace tessera::detail {
namespace {

struct Point {
  int x;
  int y;
};

// Where upright pixel (x, y) sits in a stored image of w x h.
Point stored_point(int tag, int w, int h, int x, int y) noexcept {
  switch (tag) {
    case 2: return {w - 1 - x, y};
    case 3: return {w - 1 - x, h - 1 - y};
    case 4: return {x, h - 1 - y};
    case 5: return {y, x};
    case 6: return {y, h - 1 - x};
    case 7: return {w - 1 - y, h - 1 - x};
    case 8: return {w - 1 - y, x};
    default: return {x, y};
  }
}

}  // namespace

Roi to_stored(const Roi& upright, int tag, int stored_w, int stored_h) noexcept {
  const Point a = stored_point(tag, stored_w, stored_h, upright.x, upright.y);
  const Point b = stored_point(tag, stored_w, stored_h, upright.right() - 1, upright.bottom() - 1);
  const int x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  return Roi{x0, y0, std::max(a.x, b.x) - x0 + 1, std::max(a.y, b.y) - y0 + 1};
}

void write_upright(const ImageView& stored, int tag, std::uint8_t* out,
                   std::size_t out_stride) noexcept {
  const int width = swaps_axes(tag) ? stored.height : stored.width;
  const int height = swaps_axes(tag) ? stored.width : stored.height;
  const auto channels = static_cast<std::size_t>(stored.channels());
  for (int y = 0; y < height; ++y) {
    std::uint8_t* row = out + static_cast<std::size_t>(y) * out_stride;
    for (int x = 0; x < width; ++x) {
      const Point p = stored_point(tag, stored.width, stored.height, x, y);
      std::memcpy(row + static_cast<std::size_t>(x) * channels,
                  stored.row(p.y) + static_cast<std::size_t>(p.x) * channels, channels);
    }
  }
}

}  // namespace tessera::detail
