// A fixed-size Bloom filter over the sample keys of a run. It keeps generated keys unique
// (identical random crops) in bounded memory. A false positive only adds a harmless suffix,
// and the same input always meets the same false positives; it must never forget a key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tessera::detail {

class KeyFilter {
 public:
  KeyFilter();

  bool contains(std::string_view key) const;
  void insert(std::string_view key);

 private:
  static constexpr std::size_t kBits = std::size_t{1} << 24;  // 2 MiB
  static constexpr std::size_t kHashes = 4;

  static std::array<std::size_t, kHashes> bits_of(std::string_view key);

  std::vector<std::uint64_t> bits_;
};

}  // namespace tessera::detail
