// "raw": the crop's pixels themselves, rows top to bottom with no padding between them and
// channels interleaved as the decoder gives them (gray, gray+alpha, RGB or RGBA), with no
// header. For callers that want pixels rather than a file (the Python module's NumPy arrays):
// the shape is the crop's size and the image's pixel format, which travel beside the bytes.
#include <cstring>

#include <fmt/format.h>

#include "codec_factories.hpp"

namespace tessera::detail {
namespace {

std::size_t packed_size(int width, int height, PixelFormat format) {
  return static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
         static_cast<std::size_t>(channel_count(format));
}

class RawEncoder final : public Encoder {
 public:
  Result<std::size_t> encode(const ImageView& view, const EncodeOptions& /*options*/,
                             std::span<std::uint8_t> out) override {
    const std::size_t size = packed_size(view.width, view.height, view.format);
    if (out.size() < size) {
      return Error{ErrorCode::kBufferTooSmall,
                   fmt::format("raw {}x{} {} needs {} bytes, the buffer holds {}", view.width,
                               view.height, to_string(view.format), size, out.size())};
    }
    const std::size_t row = view.row_bytes();
    for (int y = 0; y < view.height; ++y) {
      std::memcpy(out.data() + static_cast<std::size_t>(y) * row, view.row(y), row);
    }
    return size;
  }
};

}  // namespace

std::unique_ptr<Encoder> make_raw_encoder() {
  return std::make_unique<RawEncoder>();
}

std::size_t raw_max_encoded_size(int width, int height, PixelFormat format,
                                 const EncodeOptions& /*options*/) {
  return packed_size(width, height, format);
}

Status validate_raw(const EncodeOptions& /*options*/) {
  return {};  // no options
}

}  // namespace tessera::detail
