#include "test_images.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace tessera::test {

std::string data_path(const std::string& name) {
  return std::string(TESSERA_TEST_DATA) + "/" + name;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test file " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

OwnedImage random_image(int width, int height, PixelFormat format, std::uint64_t seed) {
  OwnedImage image{width, height, format, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(height));
  std::uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (auto& byte : image.pixels) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    byte = static_cast<std::uint8_t>(state >> 24);
  }
  return image;
}

bool same_pixels(const ImageView& a, const ImageView& b) {
  if (a.width != b.width || a.height != b.height || a.format != b.format) return false;
  for (int y = 0; y < a.height; ++y) {
    if (std::memcmp(a.row(y), b.row(y), a.row_bytes()) != 0) return false;
  }
  return true;
}

}  // namespace tessera::test
