// Encoder: one view in, encoded bytes out, into a buffer the caller owns (from a pool).
// An encoder never allocates its output buffer and never writes past the span it is given;
// an image that does not fit is an ErrorCode::kBufferTooSmall.
// An encoder object holds per-thread codec state: create one per thread and reuse it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "tessera/codecs/image_view.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera {

// kRaw is the crop's pixels with no encoding: rows packed top to bottom, channels as decoded.
enum class OutputFormat : std::uint8_t { kJpeg, kPng, kRaw };
enum class JpegSubsampling : std::uint8_t { k444, k422, k420, kGray };
enum class PngFilter : std::uint8_t { kNone, kSub, kUp, kAverage, kPaeth, kAdaptive };
// zlib's strategies. libspng's own default is kFiltered; libpng (as OpenCV drives it with an
// explicit level) uses kDefault, so tessera names the choice instead of inheriting one.
enum class ZlibStrategy : std::uint8_t { kDefault, kFiltered, kHuffmanOnly, kRle, kFixed };
// The library that writes a PNG. Both give the same pixels; they differ in speed and size.
// kLibdeflate filters rows itself and compresses the whole crop in one libdeflate call (levels
// 0..12, no strategies); kLibspng streams rows through libspng and zlib (levels 0..9, every
// strategy) and is the reference.
enum class PngEncoderLibrary : std::uint8_t { kLibdeflate, kLibspng };

const char* to_string(OutputFormat format) noexcept;
// Option values as the command line spells them: "420", "paeth", "all", "huffman", ...
const char* to_string(JpegSubsampling subsampling) noexcept;
const char* to_string(PngFilter filter) noexcept;
const char* to_string(ZlibStrategy strategy) noexcept;
const char* to_string(PngEncoderLibrary library) noexcept;
const char* file_extension(OutputFormat format) noexcept;  // "jpg", "png" or "raw"

// Defaults match libjpeg's own behaviour (accurate DCT, standard Huffman tables, baseline),
// so comparisons with OpenCV or libvips are at equal settings unless changed on purpose.
struct JpegOptions {
  int quality = 90;  // 1..100
  JpegSubsampling subsampling = JpegSubsampling::k420;
  bool fast_dct = false;
  bool progressive = false;
  bool optimize_huffman = false;
};

struct PngOptions {
  // libdeflate 0..12, libspng (zlib) 0..9. Levels 1..9 of libdeflate follow zlib's scale:
  // libdeflate's 6 is the one to compare with zlib's 6.
  int compression_level = 6;
  PngFilter filter = PngFilter::kAdaptive;
  ZlibStrategy strategy = ZlibStrategy::kDefault;  // libspng only; libdeflate has none
  PngEncoderLibrary encoder = PngEncoderLibrary::kLibdeflate;
};

struct EncodeOptions {
  OutputFormat format = OutputFormat::kJpeg;
  JpegOptions jpeg;
  PngOptions png;
};

// Checks ranges (quality 1..100, PNG level 0..12 or 0..9) and that the PNG encoder supports the
// settings; the message says which value is wrong and what to use.
Status validate(const EncodeOptions& options);

// The most bytes encode() can produce for an image of this size and format.
std::size_t max_encoded_size(int width, int height, PixelFormat format,
                             const EncodeOptions& options);

class Encoder {
 public:
  virtual ~Encoder() = default;
  Encoder() = default;
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Encodes the view into out and returns the number of bytes written.
  virtual Result<std::size_t> encode(const ImageView& view, const EncodeOptions& options,
                                     std::span<std::uint8_t> out) = 0;
};

std::unique_ptr<Encoder> make_encoder(OutputFormat format);

}  // namespace tessera
