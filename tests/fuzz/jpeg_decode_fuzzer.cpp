// Fuzzes the JPEG decoder (libjpeg scanlines, error manager, header checks) through
// open_decoder. Inputs without the JPEG magic are skipped: other harnesses cover them.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (tessera::detect_format(bytes) != tessera::ContainerFormat::kJpeg) return 0;
  tessera::fuzz::decode_in_bands(bytes);
  return 0;
}
