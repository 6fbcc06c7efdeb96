// tessera_coefficient_decode IN.jpg [REPEATS]: reads every MCU row of a JPEG's quantised
// coefficients through open_coefficient_reader, nothing else, and prints the time per pass and
// per 8x8 block. It isolates the entropy decode that bounds `tessera tile --lossless`, and is a
// small target for valgrind --tool=callgrind (instruction counts stay stable on a busy machine).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tessera/codecs/coefficients.hpp"
#include "tessera/codecs/input.hpp"

namespace {

// One pass; the number of blocks decoded, or -1 (with the error printed).
long long decode_once(const std::string& path) {
  auto input = tessera::InputBytes::open_file(path);
  if (!input) {
    std::fprintf(stderr, "tessera_coefficient_decode: %s\n", input.error().message.c_str());
    return -1;
  }
  auto reader = tessera::open_coefficient_reader(std::move(input).value());
  if (!reader) {
    std::fprintf(stderr, "tessera_coefficient_decode: %s\n", reader.error().message.c_str());
    return -1;
  }
  const tessera::CoefficientLayout& layout = (*reader)->layout();
  constexpr int kRowsPerRead = 8;
  std::vector<std::int16_t> rows(layout.mcu_row_blocks * tessera::kBlockCoefficients *
                                 kRowsPerRead);
  long long blocks = 0;
  for (;;) {
    auto read = (*reader)->read_mcu_rows(reinterpret_cast<std::uint8_t*>(rows.data()),
                                         layout.mcu_row_bytes(), kRowsPerRead);
    if (!read) {
      std::fprintf(stderr, "tessera_coefficient_decode: %s\n", read.error().message.c_str());
      return -1;
    }
    if (*read == 0) break;
    blocks += static_cast<long long>(*read) * static_cast<long long>(layout.mcu_row_blocks);
  }
  return blocks;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: tessera_coefficient_decode IN.jpg [REPEATS]\n");
    return 2;
  }
  const int repeats = argc == 3 ? std::max(1, std::atoi(argv[2])) : 1;
  double best = 0;
  long long blocks = 0;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    blocks = decode_once(argv[1]);
    if (blocks < 0) return 1;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = i == 0 ? seconds : std::min(best, seconds);
  }
  std::printf("%lld blocks (MCU rows, padding included), best of %d: %.3f s, %.1f ns/block\n",
              blocks, repeats, best, best * 1e9 / static_cast<double>(blocks));
  return 0;
}
