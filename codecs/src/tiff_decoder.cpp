// TIFF decoding through libtiff, streamed top to bottom like JPEG and PNG. Strips are read a
// scanline at a time straight into the caller's rows; tiles are read one row of tiles at a
// time into a buffer one tile high (tiff_tile_rows.hpp), from which rows are handed out. Classic
// TIFF and BigTIFF, every compression libtiff decodes (none, LZW, deflate, JPEG, PackBits, ...), 8-
// or 16-bit gray, gray+alpha, RGB and RGBA, chunky (interleaved) samples. 16-bit samples keep their
// high byte, as for PNG. Anything else is refused with a message naming what is not supported.
#include <fmt/format.h>
#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec_factories.hpp"
#include "tiff_handle.hpp"
#include "tiff_tile_rows.hpp"

namespace tessera::detail {
namespace {

constexpr const char* kFormatName = "TIFF";

const char* compression_name(std::uint16_t compression) noexcept {
  switch (compression) {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_LZW: return "lzw";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return "deflate";
    case COMPRESSION_JPEG: return "jpeg";
    case COMPRESSION_OJPEG: return "old-style jpeg";
    case COMPRESSION_PACKBITS: return "packbits";
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4: return "ccitt";
    case COMPRESSION_LZMA: return "lzma";
    case COMPRESSION_ZSTD: return "zstd";
    case COMPRESSION_WEBP: return "webp";
    case COMPRESSION_JBIG: return "jbig";
    case COMPRESSION_LERC: return "lerc";
    default: return "other";
  }
}

const char* photometric_name(std::uint16_t photometric) noexcept {
  switch (photometric) {
    case PHOTOMETRIC_MINISWHITE: return "min-is-white gray";
    case PHOTOMETRIC_MINISBLACK: return "gray";
    case PHOTOMETRIC_RGB: return "RGB";
    case PHOTOMETRIC_PALETTE: return "palette";
    case PHOTOMETRIC_MASK: return "transparency mask";
    case PHOTOMETRIC_SEPARATED: return "CMYK (separated)";
    case PHOTOMETRIC_YCBCR: return "YCbCr";
    case PHOTOMETRIC_CIELAB:
    case PHOTOMETRIC_ICCLAB:
    case PHOTOMETRIC_ITULAB: return "CIE L*a*b*";
    default: return "an unusual colour space";
  }
}

// What a page holds and how read_rows() lays it out, once the tags have been checked.
struct Layout {
  int width = 0;
  int height = 0;
  int samples = 0;       // per pixel, in the file and in the output
  int sample_bytes = 1;  // 1 or 2 in the file; always 1 in the output
  bool tiled = false;
  int block_width = 0;   // tile width, or the image width for strips
  int block_height = 0;  // tile height, or rows per strip
  PixelFormat format = PixelFormat::kRgb8;
  std::uint16_t compression = COMPRESSION_NONE;
  bool ycbcr_jpeg = false;  // YCbCr stored as JPEG: libjpeg converts it to RGB

  std::size_t file_pixel_bytes() const noexcept {
    return static_cast<std::size_t>(samples) * static_cast<std::size_t>(sample_bytes);
  }
  std::size_t file_row_bytes() const noexcept {
    return static_cast<std::size_t>(width) * file_pixel_bytes();
  }
  std::size_t output_row_bytes() const noexcept {
    return static_cast<std::size_t>(width) * static_cast<std::size_t>(samples);
  }
};

Error unsupported(const InputBytes& input, const std::string& what) {
  return Error{ErrorCode::kUnsupportedFormat,
               fmt::format("{}: {} is not supported; tessera reads 8- or 16-bit gray, gray+alpha, "
                           "RGB and RGBA TIFFs with interleaved samples: convert the file first "
                           "(for example: vips copy in.tif out.tif[compression=lzw])",
                           input.name(), what)};
}

template <class T>
T field_or(TIFF* tiff, ttag_t tag, T fallback) {
  T value{};
  return TIFFGetFieldDefaulted(tiff, tag, &value) == 1 ? value : fallback;
}

// The pixel format for `colour` channels (1 gray, 3 RGB) plus `extra` samples (0 or 1, alpha).
std::optional<PixelFormat> pixel_format_for(int colour, int extra) {
  if (colour == 1 && extra == 0) return PixelFormat::kGray8;
  if (colour == 1 && extra == 1) return PixelFormat::kGrayAlpha8;
  if (colour == 3 && extra == 0) return PixelFormat::kRgb8;
  if (colour == 3 && extra == 1) return PixelFormat::kRgba8;
  return std::nullopt;
}

// Reads and checks the tags of the current page. Every size is checked against the pixel
// limit here, before read_rows() allocates anything.
Result<Layout> read_layout(const TiffHandle& handle, const DecodeOptions& options) {
  TIFF* tiff = handle.get();
  const InputBytes& input = handle.input();
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  if (TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width) != 1 ||
      TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height) != 1) {
    return handle.error(ErrorCode::kCorruptData, "reading the image size");
  }
  // Compare as 64-bit first: a uint32 above INT_MAX must not turn negative on the way.
  const auto pixels = std::uint64_t{width} * height;
  if (width > static_cast<std::uint32_t>(std::numeric_limits<int>::max()) ||
      height > static_cast<std::uint32_t>(std::numeric_limits<int>::max()) ||
      pixels > options.max_pixels) {
    return Error{ErrorCode::kTooLarge,
                 fmt::format("{}: TIFF header claims {}x{} = {} pixels, over the limit of {}; "
                             "raise --max-pixels if the image is genuine",
                             input.name(), width, height, pixels, options.max_pixels)};
  }
  Layout layout;
  layout.width = static_cast<int>(width);
  layout.height = static_cast<int>(height);
  if (Status limit = check_pixel_limit(input, kFormatName, layout.width, layout.height, options);
      !limit) {
    return std::move(limit).error();
  }

  const auto samples = field_or<std::uint16_t>(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
  const auto bits = field_or<std::uint16_t>(tiff, TIFFTAG_BITSPERSAMPLE, 1);
  const auto sample_format = field_or<std::uint16_t>(tiff, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
  const auto planar = field_or<std::uint16_t>(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  layout.compression = field_or<std::uint16_t>(tiff, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  std::uint16_t photometric = 0;
  if (TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric) != 1) {
    return unsupported(input, "a TIFF without a photometric interpretation tag");
  }

  if (bits != 8 && bits != 16) {
    return unsupported(input, fmt::format("a TIFF with {} bits per sample", bits));
  }
  if (sample_format != SAMPLEFORMAT_UINT) {
    return unsupported(input, "a TIFF of signed or floating-point samples");
  }
  if (planar != PLANARCONFIG_CONTIG && samples > 1) {
    return unsupported(input, "a TIFF with one plane per channel (planar configuration 2)");
  }
  const bool jpeg = layout.compression == COMPRESSION_JPEG;
  layout.ycbcr_jpeg = photometric == PHOTOMETRIC_YCBCR && jpeg && bits == 8;
  int colour = 0;
  if (photometric == PHOTOMETRIC_MINISBLACK) {
    colour = 1;
  } else if (photometric == PHOTOMETRIC_RGB || layout.ycbcr_jpeg) {
    colour = 3;
  } else if (photometric == PHOTOMETRIC_YCBCR) {
    return unsupported(input, "a YCbCr TIFF not compressed as JPEG");
  } else {
    return unsupported(input, fmt::format("a TIFF of {} pixels", photometric_name(photometric)));
  }
  const auto format = pixel_format_for(colour, samples - colour);
  if (samples < colour || !format) {
    return unsupported(input, fmt::format("a TIFF of {} pixels with {} samples per pixel",
                                          photometric_name(photometric), samples));
  }
  if (layout.compression == COMPRESSION_OJPEG) {
    return unsupported(input, "old-style JPEG compression (compression 6)");
  }
  if (TIFFIsCODECConfigured(layout.compression) != 1) {
    return unsupported(input,
                       fmt::format("compression {} ({}), which this libtiff cannot decode,",
                                   layout.compression, compression_name(layout.compression)));
  }
  layout.samples = samples;
  layout.sample_bytes = bits / 8;
  layout.format = *format;
  // libjpeg upsamples and converts YCbCr itself; libtiff's sizes below then count RGB pixels.
  if (layout.ycbcr_jpeg && TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB) != 1) {
    return handle.error(ErrorCode::kCorruptData, "setting up JPEG colour conversion");
  }

  layout.tiled = TIFFIsTiled(tiff) != 0;
  std::uint64_t block_bytes = 0;  // what libtiff decodes per strip row or tile
  if (layout.tiled) {
    std::uint32_t tile_width = 0;
    std::uint32_t tile_height = 0;
    if (TIFFGetField(tiff, TIFFTAG_TILEWIDTH, &tile_width) != 1 ||
        TIFFGetField(tiff, TIFFTAG_TILELENGTH, &tile_height) != 1 || tile_width == 0 ||
        tile_height == 0) {
      return handle.error(ErrorCode::kCorruptData, "reading the tile size");
    }
    // The row of tiles read_rows() holds: as wide as the image, one tile high.
    const std::uint64_t tile_pixels = std::uint64_t{tile_width} * tile_height;
    const std::uint64_t band_pixels = std::uint64_t{width} * tile_height;
    if (tile_pixels > options.max_pixels || band_pixels > options.max_pixels) {
      return Error{ErrorCode::kTooLarge,
                   fmt::format("{}: TIFF tiles of {}x{} pixels need a buffer of {} pixels, over "
                               "the limit of {}; raise --max-pixels if the image is genuine",
                               input.name(), tile_width, tile_height,
                               std::max(tile_pixels, band_pixels), options.max_pixels)};
    }
    layout.block_width = static_cast<int>(tile_width);
    layout.block_height = static_cast<int>(tile_height);
    block_bytes = tile_pixels * layout.file_pixel_bytes();
    if (static_cast<std::uint64_t>(TIFFTileSize64(tiff)) != block_bytes) {
      return unsupported(input, "a TIFF whose tile size does not match its samples");
    }
  } else {
    const auto rows_per_strip = field_or<std::uint32_t>(tiff, TIFFTAG_ROWSPERSTRIP, height);
    layout.block_width = layout.width;
    layout.block_height = static_cast<int>(std::clamp<std::uint32_t>(rows_per_strip, 1, height));
    block_bytes = layout.file_row_bytes();
    if (static_cast<std::uint64_t>(TIFFScanlineSize64(tiff)) != block_bytes) {
      return unsupported(input, "a TIFF whose scanline size does not match its samples");
    }
  }
  return layout;
}

// Writes one row in the output format: 8-bit samples as they are, 16-bit ones reduced to their
// high byte (libtiff hands them over in the machine's byte order).
void convert_row(const std::uint8_t* src, std::uint8_t* dst, std::size_t samples,
                 int sample_bytes) {
  if (sample_bytes == 1) {
    std::memcpy(dst, src, samples);
    return;
  }
  for (std::size_t i = 0; i < samples; ++i) {
    std::uint16_t value = 0;
    std::memcpy(&value, src + 2 * i, sizeof value);
    dst[i] = static_cast<std::uint8_t>(value >> 8);
  }
}

class TiffDecoder final : public Decoder {
 public:
  TiffDecoder(TiffHandle handle, Layout layout, ImageHeader header,
              std::unique_ptr<TiffTileRows> tiles)
      : handle_(std::move(handle)), layout_(layout), header_(header), tiles_(std::move(tiles)) {}

  static Result<std::unique_ptr<Decoder>> open(InputBytes input, const DecodeOptions& options);

  const ImageHeader& header() const noexcept override { return header_; }
  int rows_read() const noexcept override { return rows_read_; }
  const std::string& warnings() const noexcept override { return warnings_; }
  Result<int> read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) override;

 private:
  Status read_strip_rows(std::uint8_t* dst, std::size_t stride, int rows);
  Status read_tile_rows(std::uint8_t* dst, std::size_t stride, int rows);
  Result<int> fail(Error error);

  TiffHandle handle_;  // reads the header, and strips
  Layout layout_;
  ImageHeader header_;
  std::unique_ptr<TiffTileRows> tiles_;       // tiled pages only
  std::unique_ptr<std::uint8_t[]> scanline_;  // strips of 16-bit samples: one file row
  int rows_read_ = 0;
  std::optional<Error> failure_;
  std::string warnings_;
};

// libtiff seeks, so a stream (stdin) is read whole first, within its usual size limit.
Result<InputBytes> seekable(InputBytes input) {
  if (input.size()) return input;
  std::vector<std::uint8_t> bytes;
  auto read = input.read_all(bytes, kMaxStreamBytes);
  if (!read) return std::move(read).error();
  return InputBytes::from_vector(std::move(bytes), input.name());
}

Status select_page(const TiffHandle& handle, int page) {
  if (page == 0) return {};
  if (page > 0 && TIFFSetDirectory(handle.get(), static_cast<tdir_t>(page)) == 1) return {};
  const tdir_t pages = TIFFNumberOfDirectories(handle.get());
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("{}: page {} does not exist; the TIFF has {} page{} (--page counts "
                           "from 0)",
                           handle.input().name(), page, pages, pages == 1 ? "" : "s")};
}

// Another handle on a page whose layout was checked, for decoding its tiles on other threads.
Result<TiffHandle> open_tile_handle(const InputBytes& input, int page, bool ycbcr_jpeg) {
  auto handle = TiffHandle::open(input);
  if (!handle) return std::move(handle).error();
  if (Status selected = select_page(*handle, page); !selected) return std::move(selected).error();
  if (ycbcr_jpeg && TIFFSetField(handle->get(), TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB) != 1) {
    return handle->error(ErrorCode::kCorruptData, "setting up JPEG colour conversion");
  }
  return handle;
}

std::unique_ptr<TiffTileRows> make_tile_rows(const TiffHandle& handle, const Layout& layout,
                                             const DecodeOptions& options) {
  if (!layout.tiled) return nullptr;
  const TileGeometry geometry{layout.width, layout.height, layout.block_width, layout.block_height,
                              layout.file_pixel_bytes()};
  return std::make_unique<TiffTileRows>(
      geometry,
      [input = handle.input(), page = options.page, ycbcr = layout.ycbcr_jpeg] {
        return open_tile_handle(input, page, ycbcr);
      },
      options.parallel_for);
}

Result<std::unique_ptr<Decoder>> TiffDecoder::open(InputBytes input, const DecodeOptions& options) {
  auto bytes = seekable(std::move(input));
  if (!bytes) return std::move(bytes).error();
  auto handle = TiffHandle::open(std::move(bytes).value());
  if (!handle) return std::move(handle).error();
  if (Status page = select_page(*handle, options.page); !page) return std::move(page).error();
  auto layout = read_layout(*handle, options);
  if (!layout) return std::move(layout).error();

  ImageHeader header;
  header.width = layout->width;
  header.height = layout->height;
  header.file_channels = layout->samples;
  header.bit_depth = 8 * layout->sample_bytes;
  header.format = layout->format;
  header.container = ContainerFormat::kTiff;
  header.streamable = true;
  const auto orientation = field_or<std::uint16_t>(handle->get(), TIFFTAG_ORIENTATION, 1);
  header.orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
  header.tiff.tiled = layout->tiled;
  header.tiff.block_width = layout->block_width;
  header.tiff.block_height = layout->block_height;
  header.tiff.compression = compression_name(layout->compression);
  header.tiff.bigtiff = TIFFIsBigTIFF(handle->get()) != 0;
  header.tiff.page = options.page;
  auto tiles = make_tile_rows(*handle, *layout, options);
  return std::unique_ptr<Decoder>(
      std::make_unique<TiffDecoder>(std::move(handle).value(), *layout, header, std::move(tiles)));
}

Result<int> TiffDecoder::fail(Error error) {
  failure_ = error;
  return error;
}

Result<int> TiffDecoder::read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) {
  if (failure_) return *failure_;
  if (rows_read_ >= header_.height || max_rows <= 0) return 0;
  if (dst == nullptr || stride < layout_.output_row_bytes()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: read_rows needs a stride of at least {} bytes, got {}",
                             handle_.input().name(), layout_.output_row_bytes(), stride)};
  }
  const int rows = std::min(max_rows, header_.height - rows_read_);
  const Status read =
      layout_.tiled ? read_tile_rows(dst, stride, rows) : read_strip_rows(dst, stride, rows);
  if (!read) return fail(read.error());
  rows_read_ += rows;
  if (rows_read_ == header_.height) {
    if (tiles_) tiles_->release();
    scanline_.reset();
    // libtiff jumped about the file; make sure every byte came from the version opened.
    if (Status same = handle_.input().check_unchanged(); !same) return fail(same.error());
  }
  return rows;
}

// Scanlines go straight into the caller's rows; 16-bit ones pass through one scratch row.
Status TiffDecoder::read_strip_rows(std::uint8_t* dst, std::size_t stride, int rows) {
  const bool direct = layout_.sample_bytes == 1;
  if (!direct && !scanline_) scanline_.reset(new std::uint8_t[layout_.file_row_bytes()]);
  for (int i = 0; i < rows; ++i) {
    std::uint8_t* out = dst + static_cast<std::size_t>(i) * stride;
    const auto row = static_cast<std::uint32_t>(rows_read_ + i);
    if (TIFFReadScanline(handle_.get(), direct ? out : scanline_.get(), row, 0) != 1) {
      return handle_.error(ErrorCode::kCorruptData, fmt::format("decoding row {}", row + 1));
    }
    if (!direct) {
      convert_row(scanline_.get(), out, layout_.output_row_bytes(), layout_.sample_bytes);
    }
  }
  return {};
}

Status TiffDecoder::read_tile_rows(std::uint8_t* dst, std::size_t stride, int rows) {
  for (int i = 0; i < rows; ++i) {
    const int row = rows_read_ + i;
    if (Status held = tiles_->hold(row); !held) return held;
    convert_row(tiles_->row(row), dst + static_cast<std::size_t>(i) * stride,
                layout_.output_row_bytes(), layout_.sample_bytes);
  }
  return {};
}

}  // namespace

bool sniff_tiff(std::span<const std::uint8_t> head) noexcept {
  if (head.size() < 4) return false;
  const bool little = head[0] == 'I' && head[1] == 'I' && head[3] == 0;
  const bool big = head[0] == 'M' && head[1] == 'M' && head[2] == 0;
  const std::uint8_t version = little ? head[2] : head[3];
  return (little || big) && (version == 42 || version == 43);  // classic, BigTIFF
}

Result<std::unique_ptr<Decoder>> open_tiff_decoder(InputBytes input, const DecodeOptions& options) {
  return TiffDecoder::open(std::move(input), options);
}

}  // namespace tessera::detail
