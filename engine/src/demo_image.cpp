#include "tessera/engine/demo_image.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace tessera {
namespace {

// splitmix64: tiny, fast and identical everywhere (std distributions are not).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint8_t clamp_byte(double v) {
  return static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
}

// A few soft "objects": discs of colour with hard edges, placed from the seed.
struct Disc {
  double cx, cy, r;
  double rgb[3];
};
constexpr int kDiscs = 12;

std::array<Disc, kDiscs> place_discs(int width, int height, std::uint64_t seed) {
  std::array<Disc, kDiscs> discs{};
  for (int i = 0; i < kDiscs; ++i) {
    const std::uint64_t h = mix(seed * 131 + static_cast<std::uint64_t>(i));
    Disc& d = discs[static_cast<std::size_t>(i)];
    d.cx = static_cast<double>(h % 1000) / 1000.0 * width;
    d.cy = static_cast<double>((h >> 10) % 1000) / 1000.0 * height;
    d.r = (0.05 + static_cast<double>((h >> 20) % 100) / 600.0) * std::min(width, height);
    for (int c = 0; c < 3; ++c) d.rgb[c] = static_cast<double>((h >> (32 + 8 * c)) & 0xff);
  }
  return discs;
}

// The smooth background at (fx, fy) in [0, 1), covered by any disc that contains (x, y).
void base_colour(int x, int y, double fx, double fy, double phase,
                 const std::array<Disc, kDiscs>& discs, double rgb[3]) {
  rgb[0] = 120 + 90 * std::sin(6.0 * fx + phase) * std::cos(4.0 * fy);
  rgb[1] = 110 + 80 * std::cos(5.0 * fy - phase + 3.0 * fx);
  rgb[2] = 100 + 70 * std::sin(7.0 * (fx + fy) + phase);
  for (const Disc& d : discs) {
    const double dx = x - d.cx, dy = y - d.cy;
    if (dx * dx + dy * dy < d.r * d.r) {
      const double shade = 0.75 + 0.25 * (dx / d.r);
      for (int c = 0; c < 3; ++c) rgb[c] = d.rgb[c] * shade;
    }
  }
}

// Writes one pixel in the image's format; `noise` also gives alpha its variation.
void store_pixel(std::uint8_t* px, PixelFormat format, std::uint8_t r, std::uint8_t g,
                 std::uint8_t b, std::uint64_t noise) {
  const auto alpha = static_cast<std::uint8_t>(255 - ((noise >> 8) & 0x3f));
  switch (format) {
    case PixelFormat::kGray8:
      px[0] = static_cast<std::uint8_t>((r * 77 + g * 150 + b * 29) >> 8);
      break;
    case PixelFormat::kGrayAlpha8:
      px[0] = static_cast<std::uint8_t>((r * 77 + g * 150 + b * 29) >> 8);
      px[1] = alpha;
      break;
    case PixelFormat::kRgb8:
      px[0] = r;
      px[1] = g;
      px[2] = b;
      break;
    case PixelFormat::kRgba8:
      px[0] = r;
      px[1] = g;
      px[2] = b;
      px[3] = alpha;
      break;
  }
}

}  // namespace

OwnedImage make_demo_image(int width, int height, PixelFormat format, std::uint64_t seed) {
  OwnedImage image{width, height, format, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(height));
  const int channels = channel_count(format);
  const double phase = static_cast<double>(mix(seed) % 1000) / 159.0;
  const std::array<Disc, kDiscs> discs = place_discs(width, height, seed);
  for (int y = 0; y < height; ++y) {
    std::uint8_t* row = image.pixels.data() + static_cast<std::size_t>(y) * image.stride();
    const double fy = static_cast<double>(y) / std::max(1, height);
    for (int x = 0; x < width; ++x) {
      const double fx = static_cast<double>(x) / std::max(1, width);
      double rgb[3];
      base_colour(x, y, fx, fy, phase, discs, rgb);
      // Fine texture: a fast ripple plus per-pixel noise, as a sensor would add.
      const std::uint64_t n =
          mix(seed ^ (static_cast<std::uint64_t>(y) << 32 | static_cast<std::uint32_t>(x)));
      const double grain =
          static_cast<double>(n & 0x1f) - 16.0 + 10.0 * std::sin(0.9 * x) * std::sin(0.7 * y);
      store_pixel(row + static_cast<std::size_t>(x) * channels, format, clamp_byte(rgb[0] + grain),
                  clamp_byte(rgb[1] + grain), clamp_byte(rgb[2] + grain), n);
    }
  }
  return image;
}

}  // namespace tessera
