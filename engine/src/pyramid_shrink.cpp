#include "pyramid_shrink.hpp"

namespace tessera::detail {
namespace {

// A fixed channel count lets the compiler unroll and vectorise the inner loop.
template <int C>
void shrink_pairs(const std::uint8_t* top, const std::uint8_t* bottom, int pairs,
                  std::uint8_t* out) noexcept {
  for (int x = 0; x < pairs; ++x) {
    const std::uint8_t* a = top + 2 * C * x;
    const std::uint8_t* b = bottom + 2 * C * x;
    for (int c = 0; c < C; ++c) {
      const unsigned sum = unsigned{a[c]} + a[c + C] + b[c] + b[c + C] + 2u;
      out[C * x + c] = static_cast<std::uint8_t>(sum >> 2);
    }
  }
}

}  // namespace

void shrink_rows(const std::uint8_t* top, const std::uint8_t* bottom, int width, int channels,
                 std::uint8_t* out) noexcept {
  const int pairs = width / 2;
  switch (channels) {
    case 1: shrink_pairs<1>(top, bottom, pairs, out); break;
    case 2: shrink_pairs<2>(top, bottom, pairs, out); break;
    case 3: shrink_pairs<3>(top, bottom, pairs, out); break;
    default: shrink_pairs<4>(top, bottom, pairs, out); break;
  }
  if (width % 2 == 1) {
    // The last column pairs with itself: the mean of its two rows.
    const int at = (width - 1) * channels;
    for (int c = 0; c < channels; ++c) {
      const unsigned sum = 2u * top[at + c] + 2u * bottom[at + c] + 2u;
      out[pairs * channels + c] = static_cast<std::uint8_t>(sum >> 2);
    }
  }
}

}  // namespace tessera::detail
