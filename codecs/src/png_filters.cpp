#include "png_filters.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace tessera::detail::png {
namespace {

// Filter type bytes (PNG specification, 9.2).
enum FilterType : std::uint8_t {
  kTypeNone = 0,
  kTypeSub = 1,
  kTypeUp = 2,
  kTypeAvg = 3,
  kTypePaeth = 4
};
constexpr FilterType kTypes[] = {kTypeNone, kTypeSub, kTypeUp, kTypeAvg, kTypePaeth};

std::uint8_t type_of(PngFilter filter) noexcept {
  switch (filter) {
    case PngFilter::kNone: return kTypeNone;
    case PngFilter::kSub: return kTypeSub;
    case PngFilter::kUp: return kTypeUp;
    case PngFilter::kAverage: return kTypeAvg;
    case PngFilter::kPaeth: return kTypePaeth;
    case PngFilter::kAdaptive: return kTypePaeth;  // never asked: adaptive picks per row
  }
  return kTypeNone;
}

inline std::uint8_t paeth(int a, int b, int c) noexcept {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  if (pa <= pb && pa <= pc) return static_cast<std::uint8_t>(a);
  return static_cast<std::uint8_t>(pb <= pc ? b : c);
}

// One row's filtered bytes (without the type byte). `above` is the previous row (zeros for
// the first), `bpp` the bytes per pixel; bytes left of the row count as zero. Written as
// separate loops per filter with no dependency between outputs, so the compiler vectorises
// the simple ones.
void filter_row(std::uint8_t type, const std::uint8_t* __restrict row,
                const std::uint8_t* __restrict above, std::size_t bytes, std::size_t bpp,
                std::uint8_t* __restrict out) noexcept {
  const std::size_t head = std::min(bpp, bytes);
  switch (type) {
    case kTypeNone: std::memcpy(out, row, bytes); return;
    case kTypeSub:
      std::memcpy(out, row, head);
      for (std::size_t i = head; i < bytes; ++i)
        out[i] = static_cast<std::uint8_t>(row[i] - row[i - bpp]);
      return;
    case kTypeUp:
      for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(row[i] - above[i]);
      return;
    case kTypeAvg:
      for (std::size_t i = 0; i < head; ++i)
        out[i] = static_cast<std::uint8_t>(row[i] - (above[i] >> 1));
      for (std::size_t i = head; i < bytes; ++i)
        out[i] = static_cast<std::uint8_t>(row[i] - ((row[i - bpp] + above[i]) >> 1));
      return;
    case kTypePaeth:
      // Left and upper-left are zero on the first pixel, so the predictor is the byte above.
      for (std::size_t i = 0; i < head; ++i) out[i] = static_cast<std::uint8_t>(row[i] - above[i]);
      for (std::size_t i = head; i < bytes; ++i) {
        out[i] = static_cast<std::uint8_t>(row[i] - paeth(row[i - bpp], above[i], above[i - bpp]));
      }
      return;
  }
}

// libpng's measure of how well a filtered row will compress: each byte as a signed difference,
// summed by magnitude.
std::uint64_t signed_magnitude_sum(const std::uint8_t* bytes, std::size_t count) noexcept {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto v = static_cast<std::int8_t>(bytes[i]);
    sum += static_cast<std::uint64_t>(v < 0 ? -v : v);
  }
  return sum;
}

}  // namespace

void RowFilter::filter(const ImageView& view, PngFilter filter, std::span<std::uint8_t> out) {
  const std::size_t bytes = view.row_bytes();
  const std::size_t bpp = static_cast<std::size_t>(view.channels());
  const std::size_t scanline = bytes + 1;
  if (zero_row_.size() < bytes) zero_row_.assign(bytes, 0);
  const bool adaptive = filter == PngFilter::kAdaptive;
  if (adaptive && candidates_.size() < std::size(kTypes) * bytes)
    candidates_.resize(std::size(kTypes) * bytes);
  for (int y = 0; y < view.height; ++y) {
    const std::uint8_t* row = view.row(y);
    const std::uint8_t* above = y == 0 ? zero_row_.data() : view.row(y - 1);
    std::uint8_t* line = out.data() + static_cast<std::size_t>(y) * scanline;
    if (!adaptive) {
      line[0] = type_of(filter);
      filter_row(line[0], row, above, bytes, bpp, line + 1);
      continue;
    }
    std::size_t best = 0;
    std::uint64_t best_sum = 0;
    for (std::size_t k = 0; k < std::size(kTypes); ++k) {
      std::uint8_t* candidate = candidates_.data() + k * bytes;
      filter_row(kTypes[k], row, above, bytes, bpp, candidate);
      const std::uint64_t sum = signed_magnitude_sum(candidate, bytes);
      if (k == 0 || sum < best_sum) {
        best = k;
        best_sum = sum;
      }
    }
    line[0] = kTypes[best];
    std::memcpy(line + 1, candidates_.data() + best * bytes, bytes);
  }
}

}  // namespace tessera::detail::png
