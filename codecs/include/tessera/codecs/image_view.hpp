// Pixel formats and the non-owning ImageView (pointer + stride) that every crop is.
// A view never owns or copies pixels; whoever made it keeps the memory alive.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tessera {

// Channel order is always R, G, B(, A). Code that receives BGR (OpenCV) converts first.
enum class PixelFormat : std::uint8_t { kGray8, kGrayAlpha8, kRgb8, kRgba8 };

constexpr int channel_count(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kGray8: return 1;
    case PixelFormat::kGrayAlpha8: return 2;
    case PixelFormat::kRgb8: return 3;
    case PixelFormat::kRgba8: return 4;
  }
  return 0;
}

const char* to_string(PixelFormat format) noexcept;

struct ImageView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t stride = 0;  // bytes from one row to the next; >= width * channels
  PixelFormat format = PixelFormat::kRgb8;

  int channels() const noexcept { return channel_count(format); }
  std::size_t row_bytes() const noexcept {
    return static_cast<std::size_t>(width) * static_cast<std::size_t>(channels());
  }
  const std::uint8_t* row(int y) const noexcept {
    return data + static_cast<std::size_t>(y) * stride;
  }
  // A sub-rectangle sharing the same memory; the caller guarantees it lies inside.
  ImageView crop(int x, int y, int w, int h) const noexcept {
    return ImageView{row(y) + static_cast<std::size_t>(x) * static_cast<std::size_t>(channels()), w,
                     h, stride, format};
  }
};

}  // namespace tessera
