#include "test_tiff.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace tessera::test {
namespace {

using Tiff = std::unique_ptr<TIFF, void (*)(TIFF*)>;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("libtiff could not " + what);
}

std::size_t row_bytes(const TiffSpec& spec) {
  return static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.samples) *
         static_cast<std::size_t>(spec.bits / 8);
}

void set_tags(TIFF* tiff, const TiffSpec& spec) {
  const auto u32 = [](int v) { return static_cast<std::uint32_t>(v); };
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, u32(spec.width));
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, u32(spec.height));
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, spec.samples);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, spec.bits);
  TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tiff, TIFFTAG_COMPRESSION, spec.compression);
  const bool colour = spec.samples >= 3;
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC,
               !colour      ? PHOTOMETRIC_MINISBLACK
               : spec.ycbcr ? PHOTOMETRIC_YCBCR
                            : PHOTOMETRIC_RGB);
  if (spec.samples == 2 || spec.samples == 4) {
    const std::uint16_t alpha[] = {EXTRASAMPLE_UNASSALPHA};
    TIFFSetField(tiff, TIFFTAG_EXTRASAMPLES, 1, alpha);
  }
  if (spec.compression == COMPRESSION_JPEG) {
    TIFFSetField(tiff, TIFFTAG_JPEGQUALITY, spec.jpeg_quality);
    if (spec.ycbcr) {
      TIFFSetField(tiff, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
      TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);  // we hand over RGB
    }
  }
  if (spec.tiled) {
    TIFFSetField(tiff, TIFFTAG_TILEWIDTH, u32(spec.tile_width));
    TIFFSetField(tiff, TIFFTAG_TILELENGTH, u32(spec.tile_height));
  } else {
    TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, u32(spec.rows_per_strip));
  }
}

// Rows one tile high are asked for, then cut into tiles; the part past the image stays zero.
void write_tiles(TIFF* tiff, const TiffSpec& spec, const RowSource& rows) {
  const std::size_t pixel = static_cast<std::size_t>(spec.samples * spec.bits / 8);
  const std::size_t stride = row_bytes(spec);
  const std::size_t tile_row = static_cast<std::size_t>(spec.tile_width) * pixel;
  std::vector<std::uint8_t> band(stride * static_cast<std::size_t>(spec.tile_height));
  std::vector<std::uint8_t> tile(tile_row * static_cast<std::size_t>(spec.tile_height));
  for (int y0 = 0; y0 < spec.height; y0 += spec.tile_height) {
    const int band_rows = std::min(spec.tile_height, spec.height - y0);
    for (int r = 0; r < band_rows; ++r) rows(y0 + r, band.data() + r * stride);
    for (int x0 = 0; x0 < spec.width; x0 += spec.tile_width) {
      std::fill(tile.begin(), tile.end(), 0);
      const std::size_t bytes =
          static_cast<std::size_t>(std::min(spec.tile_width, spec.width - x0)) * pixel;
      for (int r = 0; r < band_rows; ++r) {
        std::memcpy(tile.data() + r * tile_row, band.data() + r * stride + x0 * pixel, bytes);
      }
      require(TIFFWriteTile(tiff, tile.data(), static_cast<std::uint32_t>(x0),
                            static_cast<std::uint32_t>(y0), 0, 0) > 0,
              "write a tile");
    }
  }
}

void write_strips(TIFF* tiff, const TiffSpec& spec, const RowSource& rows) {
  std::vector<std::uint8_t> row(row_bytes(spec));
  for (int y = 0; y < spec.height; ++y) {
    rows(y, row.data());
    require(TIFFWriteScanline(tiff, row.data(), static_cast<std::uint32_t>(y), 0) == 1,
            "write a scanline");
  }
}

}  // namespace

void write_tiff(const std::string& path, const std::vector<TiffPage>& pages) {
  require(!pages.empty(), "write a TIFF without pages");
  const TiffSpec& first = pages.front().spec;
  std::string mode = "w";
  if (first.bigtiff) mode += "8";
  mode += first.big_endian ? "b" : "l";
  Tiff tiff(TIFFOpen(path.c_str(), mode.c_str()), [](TIFF* t) { TIFFClose(t); });
  require(tiff != nullptr, "create " + path);
  for (const TiffPage& page : pages) {
    set_tags(tiff.get(), page.spec);
    if (page.spec.tiled) {
      write_tiles(tiff.get(), page.spec, page.rows);
    } else {
      write_strips(tiff.get(), page.spec, page.rows);
    }
    require(TIFFWriteDirectory(tiff.get()) == 1, "write a directory");
  }
}

void write_tiff(const std::string& path, const OwnedImage& image, TiffSpec spec) {
  spec.width = image.width;
  spec.height = image.height;
  spec.samples = channel_count(image.format);
  spec.bits = 8;
  const ImageView view = image.view();
  write_tiff(
      path,
      {{spec, [&](int y, std::uint8_t* row) { std::memcpy(row, view.row(y), view.row_bytes()); }}});
}

std::vector<std::uint8_t> libtiff_rgba(const std::string& path) {
  Tiff tiff(TIFFOpen(path.c_str(), "r"), [](TIFF* t) { TIFFClose(t); });
  require(tiff != nullptr, "open " + path);
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &height);
  std::vector<std::uint32_t> raster(static_cast<std::size_t>(width) * height);
  require(TIFFReadRGBAImageOriented(tiff.get(), width, height, raster.data(), ORIENTATION_TOPLEFT,
                                    1) == 1,
          "read " + path + " whole");
  std::vector<std::uint8_t> rgba(raster.size() * 4);
  for (std::size_t i = 0; i < raster.size(); ++i) {
    rgba[4 * i] = static_cast<std::uint8_t>(TIFFGetR(raster[i]));
    rgba[4 * i + 1] = static_cast<std::uint8_t>(TIFFGetG(raster[i]));
    rgba[4 * i + 2] = static_cast<std::uint8_t>(TIFFGetB(raster[i]));
    rgba[4 * i + 3] = static_cast<std::uint8_t>(TIFFGetA(raster[i]));
  }
  return rgba;
}

}  // namespace tessera::test
