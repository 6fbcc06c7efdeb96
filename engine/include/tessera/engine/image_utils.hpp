// Whole-image helpers for the callers that measure or check crops outside the flow graph:
// tune's quality probe, the benchmarks and the tests. They sit in the engine, next to
// OwnedImage, because codecs/ must never depend on engine/. Never used on the hot path.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"

namespace tessera {

// Encodes a view into a buffer of max_encoded_size bytes and returns exactly the bytes written.
Result<std::vector<std::uint8_t>> encode_to_vector(const ImageView& view,
                                                   const EncodeOptions& options);

// Decodes every row through the public Decoder interface, `band_rows` rows per call (a decoder
// that cannot stream delivers the whole image in one call); fails if the decoder stops early.
Result<OwnedImage> decode_whole(const InputBytes& input, const DecodeOptions& options = {},
                                int band_rows = 16);

// Sum of squared differences over every channel of two views of equal size and format.
struct SquaredError {
  double sum = 0;
  std::uint64_t samples = 0;
};
SquaredError squared_error(const ImageView& a, const ImageView& b);

// Peak signal-to-noise ratio in dB from an accumulated error; infinity when identical.
double psnr(const SquaredError& error);
// Over two views of equal size and format; 0 when they differ in size or format.
double psnr(const ImageView& a, const ImageView& b);

}  // namespace tessera
