// Helpers shared by the tests: test data paths, whole-image decode, random images, PSNR.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"

namespace tessera::test {

std::string data_path(const std::string& name);  // a file in tests/data
std::vector<std::uint8_t> read_file(const std::string& path);

// Uniformly random pixels (worst case for compressors), reproducible from the seed.
OwnedImage random_image(int width, int height, PixelFormat format, std::uint64_t seed);

// Decodes every row through the public Decoder interface, in bands of band_rows.
Result<OwnedImage> decode_all(const InputBytes& input, const DecodeOptions& options = {},
                              int band_rows = 16);

// Encodes a view into a buffer of max_encoded_size bytes and returns exactly the bytes written.
Result<std::vector<std::uint8_t>> encode_to_vector(const ImageView& view, const EncodeOptions& options);

// Peak signal-to-noise ratio over all channels of two views of equal size and format.
double psnr(const ImageView& a, const ImageView& b);

// True when the two views hold identical pixels (ignoring stride padding).
bool same_pixels(const ImageView& a, const ImageView& b);

}  // namespace tessera::test
