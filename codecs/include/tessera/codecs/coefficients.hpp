// Lossless JPEG crops: a JPEG's quantised DCT coefficients, read MCU row by MCU row into
// memory the caller owns, and an encoder that writes a crop of them back as a JPEG without
// decoding a pixel, so the crop has exactly the source's coefficients (no generation loss).
// The reader never allocates the rows it decodes into, and neither side throws on bad data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/input.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera {

inline constexpr int kMaxCoefficientComponents = 4;
inline constexpr int kBlockCoefficients = 64;
// A block is 64 signed 16-bit coefficients in natural (row-major) order, as libjpeg's JBLOCK.
inline constexpr std::size_t kBlockBytes = kBlockCoefficients * sizeof(std::int16_t);

// The colour model the file declares; the coefficients are copied in it, never converted.
enum class JpegColorModel : std::uint8_t { kGray, kYCbCr, kRgb, kCmyk, kYcck };

struct CoefficientComponent {
  int id = 0;  // the component identifier in the file
  int h = 1;   // sampling factors
  int v = 1;
  int quant_table = 0;      // index into CoefficientLayout::quant
  int width_in_blocks = 0;  // blocks that hold image data
  int height_in_blocks = 0;
  int blocks_per_row = 0;         // stored per block row: MCU columns x h, edge padding included
  std::size_t offset_blocks = 0;  // where the component's v block rows start in an MCU row
};

// Where each block of an MCU row lies: component c's block row r (0 <= r < v), column x, is
// block offset_blocks + r * blocks_per_row + x of the row's mcu_row_blocks.
struct CoefficientLayout {
  int width = 0;
  int height = 0;
  int components = 0;
  std::array<CoefficientComponent, kMaxCoefficientComponents> component{};
  int max_h = 1;
  int max_v = 1;
  int mcu_columns = 0;
  int mcu_rows = 0;
  std::size_t mcu_row_blocks = 0;
  JpegColorModel color = JpegColorModel::kYCbCr;
  bool progressive = false;  // read whole by libjpeg instead of streamed (see open_*)
  // Quantisation tables in natural order; a slot no component uses stays zero.
  std::array<std::array<std::uint16_t, kBlockCoefficients>, 4> quant{};

  int mcu_width() const noexcept { return 8 * max_h; }
  int mcu_height() const noexcept { return 8 * max_v; }
  std::size_t mcu_row_bytes() const noexcept { return mcu_row_blocks * kBlockBytes; }
};

// One pass over a JPEG's coefficients, top to bottom.
class CoefficientReader {
 public:
  virtual ~CoefficientReader() = default;
  CoefficientReader() = default;
  CoefficientReader(const CoefficientReader&) = delete;
  CoefficientReader& operator=(const CoefficientReader&) = delete;

  virtual const CoefficientLayout& layout() const noexcept = 0;
  // Decodes up to max_rows further MCU rows; row i's mcu_row_bytes() go to dst + i * row_stride
  // (dst 2-byte aligned, row_stride >= mcu_row_bytes()). Returns how many; 0 when complete.
  virtual Result<int> read_mcu_rows(std::uint8_t* dst, std::size_t row_stride, int max_rows) = 0;
  virtual int mcu_rows_read() const noexcept = 0;
};

// Baseline (sequential Huffman, one scan of every component) files stream: tessera's own
// entropy decoder keeps only the bytes being read. Progressive and arithmetic-coded files are
// read whole with libjpeg (jpeg_read_coefficients), when their coefficients take no more
// memory than an RGB image at the pixel limit; otherwise they fail with a message saying so.
Result<std::unique_ptr<CoefficientReader>> open_coefficient_reader(
    InputBytes input, const DecodeOptions& options = {});

// A crop of coefficients resident in caller memory, whose top-left corner lies on the MCU
// grid; its right and bottom edges may fall anywhere inside the image.
struct CoefficientCrop {
  const CoefficientLayout* layout = nullptr;
  const std::uint8_t* first_row = nullptr;  // the MCU row holding the crop's top pixel row
  std::size_t row_stride = 0;               // bytes from one MCU row to the next
  int mcu_column = 0;                       // the crop's left edge / mcu_width()
  int width = 0;                            // pixels
  int height = 0;
};

// The most bytes CoefficientEncoder::encode can write for a crop of this size.
std::size_t max_coefficient_encoded_size(const CoefficientLayout& layout, int width, int height);

// Writes crops as JPEG with the source's quantisation tables and sampling factors. Only
// JpegOptions::progressive and optimize_huffman apply: quality and subsampling are the
// source's. One per thread, reused for every crop.
class CoefficientEncoder {
 public:
  virtual ~CoefficientEncoder() = default;
  CoefficientEncoder() = default;
  CoefficientEncoder(const CoefficientEncoder&) = delete;
  CoefficientEncoder& operator=(const CoefficientEncoder&) = delete;

  virtual Result<std::size_t> encode(const CoefficientCrop& crop, const JpegOptions& options,
                                     std::span<std::uint8_t> out) = 0;
};

std::unique_ptr<CoefficientEncoder> make_coefficient_encoder();

}  // namespace tessera
