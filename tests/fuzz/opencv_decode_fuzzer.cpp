// Fuzzes the OpenCV fallback that open_decoder takes for bytes that are neither JPEG nor
// PNG (BMP, PNM, TIFF, ...): the whole-image decode and the row copy out of cv::Mat.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_decode.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // OpenCV allocates whatever a header claims up to this limit before tessera's own check
  // runs; keep it at the harness limit so one input cannot take gigabytes. Read once.
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "4194304", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (tessera::detect_format(bytes) != tessera::ContainerFormat::kOther) return 0;
  tessera::fuzz::decode_in_bands(bytes);
  return 0;
}
