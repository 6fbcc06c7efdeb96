// The 2x2 mean that makes each pyramid level from the one above, one output row at a time.
// An odd last column (or row) is averaged with itself, as libvips does by repeating it; the
// mean rounds half up. Pure pixel arithmetic: no state, no allocation, no threads.
#pragma once

#include <cstdint>

namespace tessera::detail {

// Writes the (width + 1) / 2 pixels of one output row from input rows `top` and `bottom` (the
// same row when the input has an odd last row), each `width` pixels of `channels` bytes.
void shrink_rows(const std::uint8_t* top, const std::uint8_t* bottom, int width, int channels,
                 std::uint8_t* out) noexcept;

}  // namespace tessera::detail
