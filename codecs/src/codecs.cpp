// Format dispatch, names and option validation shared by every codec.
#include <fmt/format.h>

#include "codec_factories.hpp"

namespace tessera {

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kUnsupportedFormat: return "unsupported format";
    case ErrorCode::kCorruptData: return "corrupt data";
    case ErrorCode::kTruncatedData: return "truncated data";
    case ErrorCode::kTooLarge: return "too large";
    case ErrorCode::kBufferTooSmall: return "buffer too small";
    case ErrorCode::kOutOfBounds: return "out of bounds";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

const char* to_string(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kGray8: return "gray8";
    case PixelFormat::kGrayAlpha8: return "gray+alpha8";
    case PixelFormat::kRgb8: return "rgb8";
    case PixelFormat::kRgba8: return "rgba8";
  }
  return "unknown";
}

const char* to_string(ContainerFormat format) noexcept {
  switch (format) {
    case ContainerFormat::kJpeg: return "jpeg";
    case ContainerFormat::kPng: return "png";
    case ContainerFormat::kOther: return "other";
  }
  return "unknown";
}

const char* to_string(ChromaSubsampling subsampling) noexcept {
  switch (subsampling) {
    case ChromaSubsampling::k444: return "4:4:4";
    case ChromaSubsampling::k422: return "4:2:2";
    case ChromaSubsampling::k420: return "4:2:0";
    case ChromaSubsampling::k440: return "4:4:0";
    case ChromaSubsampling::k411: return "4:1:1";
    case ChromaSubsampling::kGray: return "gray";
    case ChromaSubsampling::kOther: return "other";
    case ChromaSubsampling::kNotApplicable: return "n/a";
  }
  return "unknown";
}

const char* to_string(OutputFormat format) noexcept {
  return format == OutputFormat::kJpeg ? "jpeg" : "png";
}

const char* to_string(JpegSubsampling subsampling) noexcept {
  switch (subsampling) {
    case JpegSubsampling::k444: return "444";
    case JpegSubsampling::k422: return "422";
    case JpegSubsampling::k420: return "420";
    case JpegSubsampling::kGray: return "gray";
  }
  return "unknown";
}

const char* to_string(PngFilter filter) noexcept {
  switch (filter) {
    case PngFilter::kNone: return "none";
    case PngFilter::kSub: return "sub";
    case PngFilter::kUp: return "up";
    case PngFilter::kAverage: return "avg";
    case PngFilter::kPaeth: return "paeth";
    case PngFilter::kAdaptive: return "all";
  }
  return "unknown";
}

const char* to_string(ZlibStrategy strategy) noexcept {
  switch (strategy) {
    case ZlibStrategy::kDefault: return "default";
    case ZlibStrategy::kFiltered: return "filtered";
    case ZlibStrategy::kHuffmanOnly: return "huffman";
    case ZlibStrategy::kRle: return "rle";
    case ZlibStrategy::kFixed: return "fixed";
  }
  return "unknown";
}

const char* file_extension(OutputFormat format) noexcept {
  return format == OutputFormat::kJpeg ? "jpg" : "png";
}

ContainerFormat detect_format(std::span<const std::uint8_t> bytes) noexcept {
  static constexpr std::uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) {
    return ContainerFormat::kJpeg;
  }
  if (bytes.size() >= 8 && std::equal(kPngMagic, kPngMagic + 8, bytes.begin())) {
    return ContainerFormat::kPng;
  }
  return ContainerFormat::kOther;
}

Result<std::unique_ptr<Decoder>> open_decoder(InputBytes input, const DecodeOptions& options) {
  if (input.bytes().empty()) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: the file is empty (0 bytes); expected a JPEG, PNG or other image",
                             input.name())};
  }
  switch (detect_format(input.bytes())) {
    case ContainerFormat::kJpeg: return detail::open_jpeg_decoder(std::move(input), options);
    case ContainerFormat::kPng: return detail::open_png_decoder(std::move(input), options);
    case ContainerFormat::kOther: return detail::open_opencv_decoder(std::move(input), options);
  }
  return Error{ErrorCode::kInternal, "unreachable format"};
}

Status validate(const EncodeOptions& options) {
  if (options.jpeg.quality < 1 || options.jpeg.quality > 100) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("JPEG quality {} is out of range; use 1..100", options.jpeg.quality)};
  }
  if (options.png.compression_level < 0 || options.png.compression_level > 9) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("PNG compression level {} is out of range; use 0..9",
                             options.png.compression_level)};
  }
  return {};
}

std::size_t max_encoded_size(int width, int height, PixelFormat format, const EncodeOptions& options) {
  return options.format == OutputFormat::kJpeg
             ? detail::jpeg_max_encoded_size(width, height, format, options.jpeg)
             : detail::png_max_encoded_size(width, height, format, options.png);
}

std::unique_ptr<Encoder> make_encoder(OutputFormat format) {
  return format == OutputFormat::kJpeg ? detail::make_jpeg_encoder() : detail::make_png_encoder();
}

namespace detail {

Status check_pixel_limit(const InputBytes& input, const char* format_name, int width, int height,
                         const DecodeOptions& options) {
  if (width <= 0 || height <= 0) {
    return Error{ErrorCode::kCorruptData,
                 fmt::format("{}: {} header claims an empty image ({}x{})", input.name(),
                             format_name, width, height)};
  }
  const auto pixels = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height);
  if (pixels > options.max_pixels) {
    return Error{ErrorCode::kTooLarge,
                 fmt::format("{}: {} header claims {}x{} = {} pixels, over the limit of {}; "
                             "raise --max-pixels if the image is genuine",
                             input.name(), format_name, width, height, pixels, options.max_pixels)};
  }
  return {};
}

}  // namespace detail
}  // namespace tessera
