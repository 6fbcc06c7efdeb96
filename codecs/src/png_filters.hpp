// Private: PNG row filtering (PNG specification, section 9) for the encoders that filter rows
// themselves. Turns a strided view into the scanline layout zlib compresses: per row, the
// filter type byte, then the filtered bytes. Owns only its scratch rows, grown once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/image_view.hpp"

namespace tessera::detail::png {

class RowFilter {
 public:
  // Writes the scanlines of `view` into `out`, which holds filtered_size() bytes.
  // kAdaptive chooses, row by row, the filter whose output has the smallest sum of absolute
  // values, each byte read as a signed difference (libpng's heuristic): small differences
  // compress well, and the sum is cheap next to compressing every candidate.
  void filter(const ImageView& view, PngFilter filter, std::span<std::uint8_t> out);

 private:
  // Grown once to the widest row seen: the zero row above the first, and one candidate
  // row per filter for kAdaptive.
  std::vector<std::uint8_t> zero_row_;
  std::vector<std::uint8_t> candidates_;
};

}  // namespace tessera::detail::png
