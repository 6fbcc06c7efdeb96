// Deterministic, photo-like test pictures: smooth shading, edges and fine texture, so that
// JPEG and PNG sizes and speeds resemble those of real photographs. The same size and seed
// give the same pixels on every machine. Used by the demo, the benchmarks and the tests.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/codecs/image_view.hpp"

namespace tessera {

struct OwnedImage {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgb8;
  std::vector<std::uint8_t> pixels;  // packed rows, stride = width * channels

  std::size_t stride() const noexcept {
    return static_cast<std::size_t>(width) * static_cast<std::size_t>(channel_count(format));
  }
  ImageView view() const noexcept {
    return ImageView{pixels.data(), width, height, stride(), format};
  }
};

OwnedImage make_demo_image(int width, int height, PixelFormat format, std::uint64_t seed = 1);

}  // namespace tessera
