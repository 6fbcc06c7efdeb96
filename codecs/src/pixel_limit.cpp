// The pixel-limit check every decoder runs on its header before allocating anything.
#include <fmt/format.h>

#include "codec_factories.hpp"

namespace tessera::detail {

Status check_pixel_limit(const InputBytes& input, const char* format_name, int width, int height,
                         const DecodeOptions& options) {
  if (width <= 0 || height <= 0) {
    return Error{ErrorCode::kCorruptData, fmt::format("{}: {} header claims an empty image ({}x{})",
                                                      input.name(), format_name, width, height)};
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

}  // namespace tessera::detail
