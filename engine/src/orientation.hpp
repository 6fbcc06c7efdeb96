// EXIF orientation without decoding the whole image: a crop planned in the upright image is
// mapped back to the rectangle of stored pixels it reads, and its pixels are turned upright
// after cropping. Tags follow EXIF: 1 upright, 2 mirrored, 3 rotated 180, 4 flipped, 5
// transposed, 6 needs 90 degrees clockwise, 7 transversed, 8 needs 90 degrees anticlockwise.
#pragma once

#include <cstdint>

#include "tessera/codecs/image_view.hpp"
#include "tessera/engine/plan.hpp"

namespace tessera::detail {

constexpr bool swaps_axes(int tag) noexcept {
  return tag >= 5 && tag <= 8;
}

// The stored rectangle that holds the upright region `upright` of a stored_w x stored_h image.
Roi to_stored(const Roi& upright, int tag, int stored_w, int stored_h) noexcept;

// Writes `stored` (the stored rectangle of a crop) upright into out (out_stride bytes a row).
void write_upright(const ImageView& stored, int tag, std::uint8_t* out,
                   std::size_t out_stride) noexcept;

}  // namespace tessera::detail
