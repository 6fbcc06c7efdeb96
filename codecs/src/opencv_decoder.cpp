// Fallback decoder for every format that is neither JPEG nor PNG (TIFF, WebP, BMP, PNM, ...):
// the OpenCV module decodes the whole image at open, then read_rows() copies rows out in
// tessera's order (R, G, B, A; 16-bit samples keep their high byte, as for PNG). Only the
// module links OpenCV; it is loaded on the first call (opencv_module_loader.hpp).
// Memory: OpenCV offers no header-only read, so the pixel limit can only be checked on the
// decoded image. What bounds the allocation itself is OpenCV's own header check
// (OPENCV_IO_MAX_IMAGE_PIXELS, default 2^30 pixels, read once per process), which makes
// imdecode fail before allocating; tessera's max_pixels then rejects anything above it.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>

#include "codec_factories.hpp"
#include "opencv_module_loader.hpp"

namespace tessera::detail {
namespace {

std::optional<PixelFormat> pixel_format_for(int channels) {
  switch (channels) {
    case 1: return PixelFormat::kGray8;
    case 2: return PixelFormat::kGrayAlpha8;
    case 3: return PixelFormat::kRgb8;
    case 4: return PixelFormat::kRgba8;
    default: return std::nullopt;
  }
}

// OpenCV stores colour as B, G, R(, A); gray and gray+alpha keep their order.
template <class Sample, int kShift>
void copy_row(const Sample* src, int width, int channels, std::uint8_t* dst) {
  const bool swap_red_blue = channels >= 3;
  for (int x = 0; x < width; ++x) {
    const Sample* in = src + static_cast<std::size_t>(x) * channels;
    std::uint8_t* out = dst + static_cast<std::size_t>(x) * channels;
    for (int c = 0; c < channels; ++c) {
      const int from = swap_red_blue && c < 3 ? 2 - c : c;
      out[c] = static_cast<std::uint8_t>(in[from] >> kShift);
    }
  }
}

// Owns one image decoded by the module and gives it back to the module exactly once.
class ModuleImage {
 public:
  ModuleImage(const tessera_opencv_module* api, tessera_module_image image)
      : api_(api), image_(image) {}
  ModuleImage(const ModuleImage&) = delete;
  ModuleImage& operator=(const ModuleImage&) = delete;
  ~ModuleImage() { release(); }

  const tessera_module_image& operator*() const noexcept { return image_; }
  const tessera_module_image* operator->() const noexcept { return &image_; }
  const std::uint8_t* row(int y) const noexcept {
    return image_.pixels + static_cast<std::size_t>(y) * image_.stride;
  }
  void release() noexcept {
    if (image_.handle != nullptr) api_->release(&image_);
  }

 private:
  const tessera_opencv_module* api_;
  tessera_module_image image_;
};

class OpencvDecoder final : public Decoder {
 public:
  OpencvDecoder(InputBytes input, std::unique_ptr<ModuleImage> image, ImageHeader header)
      : input_(std::move(input)), image_(std::move(image)), header_(header) {}

  static Result<std::unique_ptr<Decoder>> open(InputBytes input, const DecodeOptions& options);

  const ImageHeader& header() const noexcept override { return header_; }
  int rows_read() const noexcept override { return rows_read_; }
  const std::string& warnings() const noexcept override { return warnings_; }
  Result<int> read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) override;

 private:
  InputBytes input_;
  std::unique_ptr<ModuleImage> image_;  // released once the last row is copied out
  ImageHeader header_;
  int rows_read_ = 0;
  std::string warnings_;
};

Error unreadable(const InputBytes& input, std::size_t size) {
  return Error{ErrorCode::kUnsupportedFormat,
               fmt::format("{}: not a JPEG, PNG or other image OpenCV can read ({} bytes); check "
                           "that the file is an image and is complete",
                           input.name(), size)};
}

// DICOM ("DICM" at offset 128) goes to GDCM inside OpenCV, which asserts, and so aborts the
// whole process, on malformed files; no try/catch can contain that, so it is never handed over.
bool is_dicom(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kMagicOffset = 128;
  constexpr std::uint8_t kMagic[] = {'D', 'I', 'C', 'M'};
  return bytes.size() >= kMagicOffset + sizeof kMagic &&
         std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin() + kMagicOffset);
}

Result<std::unique_ptr<ModuleImage>> decode_whole(const InputBytes& input) {
  if (is_dicom(input.head())) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: DICOM files are not supported; export the image as PNG or "
                             "JPEG first",
                             input.name())};
  }
  constexpr auto kMaxBytes = static_cast<std::uint64_t>(std::numeric_limits<int>::max());
  if (const auto size = input.size(); size && *size > kMaxBytes) {
    return Error{ErrorCode::kTooLarge,
                 fmt::format("{}: {} bytes is more than the OpenCV fallback can decode (2 GiB); "
                             "convert the image to PNG or JPEG",
                             input.name(), *size)};
  }
  const OpencvModule& module = opencv_module();
  if (module.api == nullptr) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: not a JPEG or PNG, and {}, or convert the image to PNG or JPEG",
                             input.name(), module.error)};
  }
  // OpenCV decodes from memory only: the whole file is read, up to the limit above.
  std::vector<std::uint8_t> storage;
  auto read = input.read_all(storage, kMaxBytes);
  if (!read) return std::move(read).error();
  const std::span<const std::uint8_t> bytes = *read;
  tessera_module_image image{};
  char message[512] = "";
  switch (module.api->decode(bytes.data(), bytes.size(), &image, message, sizeof message)) {
    case TESSERA_MODULE_OK: return std::make_unique<ModuleImage>(module.api, image);
    case TESSERA_MODULE_UNREADABLE: return unreadable(input, bytes.size());
    case TESSERA_MODULE_NO_MEMORY: throw std::bad_alloc();
    case TESSERA_MODULE_CORRUPT: break;
  }
  return Error{ErrorCode::kCorruptData,
               fmt::format("{}: OpenCV could not decode the image ({}); re-export it as PNG or "
                           "JPEG",
                           input.name(), message)};
}

Result<std::unique_ptr<Decoder>> OpencvDecoder::open(InputBytes input,
                                                     const DecodeOptions& options) {
  auto decoded = decode_whole(input);
  if (!decoded) return std::move(decoded).error();
  const ModuleImage& pixels = **decoded;
  const tessera_module_image& image = *pixels;
  if (Status limit = check_pixel_limit(input, "image", image.width, image.height, options);
      !limit) {
    return std::move(limit).error();
  }
  const auto format = pixel_format_for(image.channels);
  if (!format || image.bits == 0) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: OpenCV decoded {} channels of type {}; tessera reads 1 to 4 "
                             "channels of 8 or 16 bits, convert the image first",
                             input.name(), image.channels, image.type_name)};
  }
  ImageHeader header;
  header.width = image.width;
  header.height = image.height;
  header.file_channels = image.channels;
  header.bit_depth = image.bits;
  header.format = *format;
  header.container = ContainerFormat::kOther;
  header.streamable = false;
  return std::unique_ptr<Decoder>(
      std::make_unique<OpencvDecoder>(std::move(input), std::move(decoded).value(), header));
}

Result<int> OpencvDecoder::read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) {
  if (rows_read_ >= header_.height || max_rows <= 0) return 0;
  const std::size_t row_bytes =
      static_cast<std::size_t>(header_.width) * channel_count(header_.format);
  if (dst == nullptr || stride < row_bytes) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: read_rows needs a stride of at least {} bytes, got {}",
                             input_.name(), row_bytes, stride)};
  }
  const int rows = std::min(max_rows, header_.height - rows_read_);
  const int channels = (*image_)->channels;
  for (int i = 0; i < rows; ++i) {
    std::uint8_t* out = dst + static_cast<std::size_t>(i) * stride;
    const std::uint8_t* in = image_->row(rows_read_ + i);
    if (header_.bit_depth == 16) {
      copy_row<std::uint16_t, 8>(reinterpret_cast<const std::uint16_t*>(in), header_.width,
                                 channels, out);
    } else {
      copy_row<std::uint8_t, 0>(in, header_.width, channels, out);
    }
  }
  rows_read_ += rows;
  if (rows_read_ == header_.height) image_->release();
  return rows;
}

}  // namespace

Result<std::unique_ptr<Decoder>> open_opencv_decoder(InputBytes input,
                                                     const DecodeOptions& options) {
  return OpencvDecoder::open(std::move(input), options);
}

}  // namespace tessera::detail
