// Fuzzes the PNG decoder (libspng progressive rows, 16-bit reduction, interlace, palette)
// through open_decoder. Inputs without the PNG signature are skipped.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (tessera::detect_format(bytes) != tessera::ContainerFormat::kPng) return 0;
  tessera::fuzz::decode_in_bands(bytes);
  return 0;
}
