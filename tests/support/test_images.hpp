// Helpers shared by the tests: test data paths, random images, pixel comparison.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/image_utils.hpp"

namespace tessera::test {

std::string data_path(const std::string& name);  // a file in tests/data
std::vector<std::uint8_t> read_file(const std::string& path);

// Uniformly random pixels (worst case for compressors), reproducible from the seed.
OwnedImage random_image(int width, int height, PixelFormat format, std::uint64_t seed);

// Whole-image decode, encode to a vector and PSNR are the engine's (image_utils.hpp), shared
// with tune and the benchmarks; these names let the tests keep calling them test::...
using tessera::decode_whole;
using tessera::encode_to_vector;
using tessera::psnr;

// True when the two views hold identical pixels (ignoring stride padding).
bool same_pixels(const ImageView& a, const ImageView& b);

}  // namespace tessera::test
