// Helpers shared by the benchmarks: encode options by name and whole-image encoding to memory.
// Benchmark code only: nothing here is timed, and nothing here belongs in the library.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/image_view.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera::bench {

EncodeOptions jpeg_options(int quality, JpegSubsampling subsampling, bool fast_dct = false,
                           bool progressive = false);
EncodeOptions png_options(int level, PngFilter filter = PngFilter::kAdaptive,
                          ZlibStrategy strategy = ZlibStrategy::kDefault);

// The whole view encoded once, into a vector sized by the encoder's own bound.
Result<std::vector<std::uint8_t>> encode_whole(const ImageView& view, const EncodeOptions& options);

}  // namespace tessera::bench
