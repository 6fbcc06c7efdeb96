#include "tessera/engine/image_utils.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera {

Result<std::vector<std::uint8_t>> encode_to_vector(const ImageView& view,
                                                   const EncodeOptions& options) {
  std::vector<std::uint8_t> buffer(max_encoded_size(view.width, view.height, view.format, options));
  auto encoder = make_encoder(options.format);
  auto size = encoder->encode(view, options, buffer);
  if (!size) return std::move(size).error();
  buffer.resize(*size);
  return buffer;
}

Result<OwnedImage> decode_whole(const InputBytes& input, const DecodeOptions& options,
                                int band_rows) {
  auto decoder = open_decoder(input, options);
  if (!decoder) return std::move(decoder).error();
  const ImageHeader& header = (*decoder)->header();
  OwnedImage image{header.width, header.height, header.format, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(header.height));
  const int step = header.streamable ? std::max(1, band_rows) : header.height;
  while ((*decoder)->rows_read() < header.height) {
    const int done = (*decoder)->rows_read();
    auto rows =
        (*decoder)->read_rows(image.pixels.data() + static_cast<std::size_t>(done) * image.stride(),
                              image.stride(), std::min(step, header.height - done));
    if (!rows) return std::move(rows).error();
    if (*rows == 0) return Error{ErrorCode::kInternal, "decoder stopped before the last row"};
  }
  return image;
}

SquaredError squared_error(const ImageView& a, const ImageView& b) {
  SquaredError error;
  for (int y = 0; y < a.height; ++y) {
    const std::uint8_t* ra = a.row(y);
    const std::uint8_t* rb = b.row(y);
    for (std::size_t i = 0; i < a.row_bytes(); ++i) {
      const double d = static_cast<double>(ra[i]) - static_cast<double>(rb[i]);
      error.sum += d * d;
    }
    error.samples += a.row_bytes();
  }
  return error;
}

double psnr(const SquaredError& error) {
  if (error.sum == 0) return std::numeric_limits<double>::infinity();
  const double mse = error.sum / static_cast<double>(error.samples);
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double psnr(const ImageView& a, const ImageView& b) {
  if (a.width != b.width || a.height != b.height || a.format != b.format) return 0.0;
  return psnr(squared_error(a, b));
}

}  // namespace tessera
