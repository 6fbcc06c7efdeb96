// Shared body of the decoder harnesses: open the bytes as an image and read every row in
// bands, the way the engine does, into a buffer of exactly the size the header promised.
// It must never read the file system or keep state between inputs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tessera/codecs/decoder.hpp"

namespace tessera::fuzz {

// Small enough that a hostile header costs little, large enough for every seed.
inline constexpr std::uint64_t kMaxPixels = std::uint64_t{4} << 20;
inline constexpr int kBandRows = 16;

inline void decode_in_bands(std::span<const std::uint8_t> bytes, int page = 0) {
  DecodeOptions options;
  options.max_pixels = kMaxPixels;
  options.page = page;
  // Truncated input is the most common damage: follow both the strict and the lenient path.
  options.allow_truncated = !bytes.empty() && (bytes.back() & 1) != 0;
  auto decoder = open_decoder(InputBytes::borrow(bytes, "fuzz"), options);
  if (!decoder) return;
  const ImageHeader& header = (*decoder)->header();
  const std::size_t stride = static_cast<std::size_t>(header.width) *
                             static_cast<std::size_t>(channel_count(header.format));
  // Exact size, so that the address sanitizer sees any write past the last row.
  std::vector<std::uint8_t> pixels(stride * static_cast<std::size_t>(header.height));
  const int step = header.streamable ? kBandRows : header.height;
  while ((*decoder)->rows_read() < header.height) {
    const int done = (*decoder)->rows_read();
    auto rows = (*decoder)->read_rows(pixels.data() + static_cast<std::size_t>(done) * stride,
                                      stride, std::min(step, header.height - done));
    if (!rows || *rows == 0) return;
  }
  // A finished decoder must say so, not write again.
  auto after = (*decoder)->read_rows(pixels.data(), stride, 1);
  if (after && *after != 0) __builtin_trap();
}

}  // namespace tessera::fuzz
