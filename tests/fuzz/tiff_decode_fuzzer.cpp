// Fuzzes the TIFF decoder (libtiff through tessera's client procs and handlers; strips by
// scanline, tiles a row at a time through a pool of handles; 16-bit reduction; BigTIFF; pages)
// through open_decoder. Inputs without a TIFF signature are skipped. The last byte picks the
// page, so multi-page paths are reached too.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (tessera::detect_format(bytes) != tessera::ContainerFormat::kTiff) return 0;
  tessera::fuzz::decode_in_bands(bytes, size > 0 ? (data[size - 1] >> 6) : 0);
  return 0;
}
