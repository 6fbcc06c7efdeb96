// Fuzzes lossless crops: tessera's own baseline Huffman decoder (and libjpeg's whole-image
// coefficient read for other JPEGs) through open_coefficient_reader, reading MCU rows in small
// steps into a buffer of exactly the promised size, then the coefficient encoder on the whole
// image and on a crop that ends inside an MCU. Inputs without the JPEG magic are skipped.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tessera/codecs/coefficients.hpp"

namespace {

constexpr std::uint64_t kMaxPixels = std::uint64_t{4} << 20;
constexpr int kStepRows = 3;

void encode_crops(const tessera::CoefficientLayout& layout, const std::uint8_t* rows,
                  std::size_t stride) {
  auto encoder = tessera::make_coefficient_encoder();
  const int w = layout.width, h = layout.height;
  for (const auto& [cw, ch] :
       {std::pair{w, h}, std::pair{std::max(1, w - 3), std::max(1, h - 5)}}) {
    std::vector<std::uint8_t> out(tessera::max_coefficient_encoded_size(layout, cw, ch));
    tessera::CoefficientCrop crop{&layout, rows, stride, 0, cw, ch};
    tessera::JpegOptions options;
    options.progressive = (w & 1) != 0;
    options.optimize_huffman = (h & 1) != 0;
    (void)encoder->encode(crop, options, out);  // bad coefficients may fail, never crash
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (tessera::detect_format(bytes) != tessera::ContainerFormat::kJpeg) return 0;
  tessera::DecodeOptions options;
  options.max_pixels = kMaxPixels;
  options.allow_truncated = (size & 1) != 0;
  auto reader =
      tessera::open_coefficient_reader(tessera::InputBytes::borrow(bytes, "fuzz"), options);
  if (!reader) return 0;
  const tessera::CoefficientLayout& layout = (*reader)->layout();
  const std::size_t stride = layout.mcu_row_bytes();
  // Exact size, so that the address sanitizer sees any write past the last row.
  std::vector<std::uint8_t> rows(stride * static_cast<std::size_t>(layout.mcu_rows));
  while ((*reader)->mcu_rows_read() < layout.mcu_rows) {
    const int done = (*reader)->mcu_rows_read();
    auto got = (*reader)->read_mcu_rows(rows.data() + static_cast<std::size_t>(done) * stride,
                                        stride, std::min(kStepRows, layout.mcu_rows - done));
    if (!got || *got == 0) return 0;
  }
  auto after = (*reader)->read_mcu_rows(rows.data(), stride, 1);
  if (after && *after != 0) __builtin_trap();  // a finished reader must say so
  encode_crops(layout, rows.data(), stride);
  return 0;
}
