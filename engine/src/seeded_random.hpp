// The engine's one random generator: xoshiro256** seeded through splitmix64. Both are fully
// specified, so a seed gives the same numbers with every compiler and standard library (unlike
// std::uniform_int_distribution, whose output each library defines for itself). Random crop
// plans and the tar sink's shuffle buffer draw from it.
#pragma once

#include <cstdint>

namespace tessera::detail {

class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, span), span > 0, without modulo bias: draws below 2^64 mod span would make
  // the smallest values more likely, so they are redrawn.
  std::uint64_t below(std::uint64_t span) {
    const std::uint64_t reject_below = (0 - span) % span;
    std::uint64_t draw = next();
    while (draw < reject_below) draw = next();
    return draw % span;
  }

  // Uniform in [low, high].
  int between(int low, int high) {
    const auto span = static_cast<std::uint64_t>(std::int64_t{high} - low) + 1;
    return static_cast<int>(low + static_cast<std::int64_t>(below(span)));
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  static std::uint64_t splitmix(std::uint64_t& seed) {
    std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_[4] = {};
};

}  // namespace tessera::detail
