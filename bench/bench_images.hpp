// Helpers shared by the benchmarks: encode options by name. Whole-image encoding to memory is
// tessera::encode_to_vector (tessera/engine/image_utils.hpp), shared with tune and the tests.
// Benchmark code only: nothing here is timed, and nothing here belongs in the library.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/image_view.hpp"
#include "tessera/codecs/result.hpp"
#include "tessera/engine/image_utils.hpp"

namespace tessera::bench {

EncodeOptions jpeg_options(int quality, JpegSubsampling subsampling, bool fast_dct = false,
                           bool progressive = false);
EncodeOptions png_options(int level, PngFilter filter = PngFilter::kAdaptive,
                          ZlibStrategy strategy = ZlibStrategy::kDefault,
                          PngEncoderLibrary encoder = PngEncoderLibrary::kLibdeflate);

}  // namespace tessera::bench
