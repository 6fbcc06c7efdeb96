// Decoded pixels already in memory, read through the Decoder interface so that the engine
// plans, cuts and encodes them like any image. Rows are copied from the caller's view, except
// when the destination is the view's own row (the engine's band window borrowing the caller's
// memory), where there is nothing to copy.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "tessera/codecs/decoder.hpp"

namespace tessera {
namespace {

class PixelDecoder final : public Decoder {
 public:
  explicit PixelDecoder(const ImageView& pixels) : pixels_(pixels) {
    header_.width = pixels.width;
    header_.height = pixels.height;
    header_.file_channels = pixels.channels();
    header_.format = pixels.format;
    header_.container = ContainerFormat::kOther;  // no file format: nothing to sniff or name
  }

  const ImageHeader& header() const noexcept override { return header_; }
  int rows_read() const noexcept override { return rows_read_; }
  const std::string& warnings() const noexcept override { return warnings_; }

  Result<int> read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) override {
    const int rows = std::min(max_rows, pixels_.height - rows_read_);
    if (rows <= 0) return 0;
    const std::size_t bytes = pixels_.row_bytes();
    for (int i = 0; i < rows; ++i) {
      const std::uint8_t* from = pixels_.row(rows_read_ + i);
      std::uint8_t* to = dst + static_cast<std::size_t>(i) * stride;
      if (to != from) std::memcpy(to, from, bytes);
    }
    rows_read_ += rows;
    return rows;
  }

 private:
  ImageView pixels_;
  ImageHeader header_;
  int rows_read_ = 0;
  std::string warnings_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> open_pixels(const ImageView& pixels, const std::string& name) {
  if (pixels.data == nullptr || pixels.width <= 0 || pixels.height <= 0) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: pixels of {}x{} at {}: an image needs at least one pixel", name,
                             pixels.width, pixels.height, static_cast<const void*>(pixels.data))};
  }
  if (pixels.stride < pixels.row_bytes()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: a row stride of {} bytes is shorter than a row of {} {} pixels "
                             "({} bytes)",
                             name, pixels.stride, pixels.width, to_string(pixels.format),
                             pixels.row_bytes())};
  }
  return std::unique_ptr<Decoder>(std::make_unique<PixelDecoder>(pixels));
}

}  // namespace tessera
