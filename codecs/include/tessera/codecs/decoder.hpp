// Decoder: reads an image header without touching pixels, then decodes rows top to bottom
// into memory the caller owns, at a stride the caller chooses.
// A decoder never allocates the pixel memory it decodes into, and never throws on bad data:
// every codec failure comes back as an Error carrying the codec's own message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "tessera/codecs/image_view.hpp"
#include "tessera/codecs/input.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera {

enum class ContainerFormat : std::uint8_t { kJpeg, kPng, kTiff, kOther };

// JPEG chroma subsampling as stored in the file (kNotApplicable for other formats).
enum class ChromaSubsampling : std::uint8_t {
  k444,
  k422,
  k420,
  k440,
  k411,
  kGray,
  kOther,
  kNotApplicable
};

const char* to_string(ContainerFormat format) noexcept;
const char* to_string(ChromaSubsampling subsampling) noexcept;

// How a TIFF page stores its pixels (what `tessera info` shows); static strings only, so a
// header stays trivially copyable.
struct TiffLayout {
  bool tiled = false;
  int block_width = 0;           // tiled: the tile width; strips: the image width
  int block_height = 0;          // tiled: the tile height; strips: rows per strip
  const char* compression = "";  // "none", "lzw", "deflate", "jpeg", ...
  bool bigtiff = false;
  int page = 0;  // the page decoded, from 0
};

struct ImageHeader {
  int width = 0;
  int height = 0;
  int file_channels = 0;  // channels stored in the file (4 for CMYK JPEG)
  int bit_depth = 8;      // per channel, in the file; 16-bit samples are reduced to 8 on
                          // decode by keeping the high byte (v >> 8), as libspng does
  PixelFormat format = PixelFormat::kRgb8;  // what read_rows() writes
  ContainerFormat container = ContainerFormat::kOther;
  ChromaSubsampling subsampling = ChromaSubsampling::kNotApplicable;
  bool restart_markers = false;  // JPEG: restart interval present
  int mcu_width = 0;             // JPEG: the MCU, 8 or 16 px by sampling (lossless crop grid)
  int mcu_height = 0;
  bool progressive = false;  // JPEG progressive, or PNG interlaced
  bool streamable = true;    // rows can be decoded in bands, top to bottom
  // EXIF orientation tag (1..8, 1 = upright) as stored in a JPEG's APP1 segment or a TIFF's
  // Orientation tag, else 1.
  // Decoders never apply it: rows come out as stored; the engine maps crops on request.
  int orientation = 1;
  TiffLayout tiff;  // TIFF only (container == kTiff)
};

// Runs task(0) .. task(count - 1), perhaps several at once, and returns when all are done.
// Decoders whose rows come in independent pieces (the tiles of a TIFF) hand them to it; the
// engine passes its own thread pool, so codecs never start threads of their own.
using ParallelFor = std::function<void(int count, const std::function<void(int)>& task)>;

struct DecodeOptions {
  // Checked against the header before any pixel memory exists. 2^30 is about a gigapixel.
  std::uint64_t max_pixels = std::uint64_t{1} << 30;
  // libjpeg fills the rest of a truncated image with grey and only warns; by default that
  // is an error so no dataset silently receives grey patches.
  bool allow_truncated = false;
  // Multi-page formats (TIFF): the page to decode, from 0. Other formats refuse any other page.
  int page = 0;
  // Empty: pieces are decoded one after another on the calling thread.
  ParallelFor parallel_for;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  virtual const ImageHeader& header() const noexcept = 0;

  // Decodes up to max_rows further rows into dst (row i at dst + i * stride) and returns how
  // many it wrote; 0 means the image is complete. stride >= width * channels.
  // A decoder whose header says !streamable needs room for the whole image on its first call.
  virtual Result<int> read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) = 0;

  // Rows decoded so far.
  virtual int rows_read() const noexcept = 0;

  // Non-fatal codec warnings seen so far (for example accepted truncation), or empty.
  virtual const std::string& warnings() const noexcept = 0;
};

// Sniffs the magic bytes; the file name is never consulted, nor any byte past kSniffBytes.
inline constexpr std::size_t kSniffBytes = 16;
ContainerFormat detect_format(std::span<const std::uint8_t> bytes) noexcept;

// Reads the header and checks it against the limits. Fails with a message that names the
// input, for example "photo.jpg: JPEG header claims 65500x65500 pixels, over --max-pixels".
Result<std::unique_ptr<Decoder>> open_decoder(InputBytes input, const DecodeOptions& options = {});

// Pixels already decoded, in memory the caller keeps alive and unchanged while the decoder is
// used (a NumPy array, a video frame): the header is the view's size and format (container
// kOther, since there is no file format), and read_rows() copies rows out of the view, or
// nothing when asked for the view's own rows. `name` names the pixels in errors.
Result<std::unique_ptr<Decoder>> open_pixels(const ImageView& pixels, const std::string& name);

}  // namespace tessera
