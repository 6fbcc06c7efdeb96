#include "key_filter.hpp"

namespace tessera::detail {

KeyFilter::KeyFilter() : bits_(kBits / 64, 0) {}

bool KeyFilter::contains(std::string_view key) const {
  for (std::size_t bit : bits_of(key)) {
    if ((bits_[bit / 64] >> (bit % 64) & 1u) == 0) return false;
  }
  return true;
}

void KeyFilter::insert(std::string_view key) {
  for (std::size_t bit : bits_of(key)) bits_[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

// Double hashing: one FNV-1a hash and a step derived from it give all kHashes positions.
std::array<std::size_t, KeyFilter::kHashes> KeyFilter::bits_of(std::string_view key) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  const std::uint64_t step = (hash >> 32 | hash << 32) * 0x9e3779b97f4a7c15ULL | 1u;
  std::array<std::size_t, kHashes> bits{};
  for (std::size_t i = 0; i < kHashes; ++i)
    bits[i] = static_cast<std::size_t>((hash + step * i) % kBits);
  return bits;
}

}  // namespace tessera::detail
