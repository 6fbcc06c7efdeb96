// TIFF files for the tests, written with libtiff at test time (no TIFF is committed), and
// libtiff's own whole-image read as the reference that tessera's decoder must match.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tessera/engine/demo_image.hpp"

namespace tessera::test {

struct TiffSpec {
  int width = 1;
  int height = 1;
  int samples = 3;  // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  int bits = 8;     // 8 or 16
  bool tiled = false;
  int tile_width = 16;  // multiples of 16
  int tile_height = 16;
  int rows_per_strip = 8;
  std::uint16_t compression = 1;  // a libtiff COMPRESSION_* value; 1 is none
  int jpeg_quality = 90;
  bool ycbcr = false;  // JPEG only: store RGB as YCbCr 4:2:0, as most tiled JPEG TIFFs do
  bool bigtiff = false;
  bool big_endian = false;
};

// Fills `row` (width * samples * bits / 8 bytes, 16-bit samples in the machine's byte order)
// with image row y. Rows are asked for top to bottom, each once.
using RowSource = std::function<void(int y, std::uint8_t* row)>;

struct TiffPage {
  TiffSpec spec;
  RowSource rows;
};

// Writes every page to `path`, in order; throws when libtiff refuses.
void write_tiff(const std::string& path, const std::vector<TiffPage>& pages);
// One 8-bit page with the pixels of `image` (its format decides spec.samples).
void write_tiff(const std::string& path, const OwnedImage& image, TiffSpec spec);

// libtiff's whole-image read of page 0 (TIFFReadRGBAImageOriented, top row first): R, G, B, A
// per pixel, gray replicated into R, G and B.
std::vector<std::uint8_t> libtiff_rgba(const std::string& path);

}  // namespace tessera::test
