#include "test_images.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace tessera::test {

std::string data_path(const std::string& name) { return std::string(TESSERA_TEST_DATA) + "/" + name; }

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test file " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

OwnedImage random_image(int width, int height, PixelFormat format, std::uint64_t seed) {
  OwnedImage image{width, height, format, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(height));
  std::uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (auto& byte : image.pixels) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    byte = static_cast<std::uint8_t>(state >> 24);
  }
  return image;
}

Result<OwnedImage> decode_all(const InputBytes& input, const DecodeOptions& options, int band_rows) {
  auto decoder = open_decoder(input, options);
  if (!decoder) return std::move(decoder).error();
  const ImageHeader& header = (*decoder)->header();
  OwnedImage image{header.width, header.height, header.format, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(header.height));
  const int step = header.streamable ? band_rows : header.height;
  while ((*decoder)->rows_read() < header.height) {
    const int done = (*decoder)->rows_read();
    auto rows = (*decoder)->read_rows(image.pixels.data() + static_cast<std::size_t>(done) * image.stride(),
                                      image.stride(), std::min(step, header.height - done));
    if (!rows) return std::move(rows).error();
    if (*rows == 0) return Error{ErrorCode::kInternal, "decoder stopped before the last row"};
  }
  return image;
}

Result<std::vector<std::uint8_t>> encode_to_vector(const ImageView& view, const EncodeOptions& options) {
  std::vector<std::uint8_t> buffer(max_encoded_size(view.width, view.height, view.format, options));
  auto encoder = make_encoder(options.format);
  auto size = encoder->encode(view, options, buffer);
  if (!size) return std::move(size).error();
  buffer.resize(*size);
  return buffer;
}

double psnr(const ImageView& a, const ImageView& b) {
  if (a.width != b.width || a.height != b.height || a.format != b.format) return 0.0;
  double sum = 0;
  for (int y = 0; y < a.height; ++y) {
    const std::uint8_t* ra = a.row(y);
    const std::uint8_t* rb = b.row(y);
    for (std::size_t i = 0; i < a.row_bytes(); ++i) {
      const double d = static_cast<double>(ra[i]) - static_cast<double>(rb[i]);
      sum += d * d;
    }
  }
  const double mse = sum / (static_cast<double>(a.row_bytes()) * a.height);
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

bool same_pixels(const ImageView& a, const ImageView& b) {
  if (a.width != b.width || a.height != b.height || a.format != b.format) return false;
  for (int y = 0; y < a.height; ++y) {
    if (std::memcmp(a.row(y), b.row(y), a.row_bytes()) != 0) return false;
  }
  return true;
}

}  // namespace tessera::test
