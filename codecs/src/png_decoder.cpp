// PNG decoding through libspng: the header at open, then rows straight into caller memory.
// libspng converts every colour type and bit depth to the four tessera formats, applies tRNS
// and never gamma. Where no libspng format matches (16-bit gray, gray+alpha) rows go through
// one scratch row and a small conversion; 16-bit samples keep their high byte (v >> 8),
// which is what libspng itself does for its 8-bit formats.
#include <spng.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "codec_factories.hpp"

namespace tessera::detail {
namespace {

// Ancillary chunks are the only thing libspng buffers besides rows; cap them so a hostile file
// cannot make it hold gigabytes of text or ICC data. IDAT is streamed and is not affected.
constexpr std::size_t kMaxChunkBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxChunkCacheBytes = std::size_t{64} << 20;

// Adam7: where each pass starts and how far apart its pixels lie, in columns.
constexpr int kAdam7ColumnStart[7] = {0, 4, 0, 2, 0, 1, 0};
constexpr int kAdam7ColumnStep[7] = {8, 8, 4, 4, 2, 2, 1};

using SpngContext = std::unique_ptr<spng_ctx, decltype(&spng_ctx_free)>;

enum class RowConversion : std::uint8_t {
  kNone,            // libspng writes the tessera format itself
  kRgbToGray,       // RGB8 with R == G == B, keep one channel
  kRgbaToGrayAlpha  // RGBA8 with R == G == B, keep one channel and alpha
};

struct OutputPlan {
  int spng_format = SPNG_FMT_RGB8;
  PixelFormat format = PixelFormat::kRgb8;
  RowConversion conversion = RowConversion::kNone;
};

// libspng's G8/GA8 exist only for gray of 1..8 bits, so 16-bit gray and gray+alpha borrow
// RGB8/RGBA8 (16-bit reduced by libspng) and drop the copies of the gray channel. 8-bit
// gray+alpha is already laid out as tessera wants, so it is read untransformed.
OutputPlan plan_output(const spng_ihdr& ihdr, bool has_trns) {
  switch (ihdr.color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
      if (ihdr.bit_depth <= 8) {
        return has_trns ? OutputPlan{SPNG_FMT_GA8, PixelFormat::kGrayAlpha8, RowConversion::kNone}
                        : OutputPlan{SPNG_FMT_G8, PixelFormat::kGray8, RowConversion::kNone};
      }
      return has_trns ? OutputPlan{SPNG_FMT_RGBA8, PixelFormat::kGrayAlpha8,
                                   RowConversion::kRgbaToGrayAlpha}
                      : OutputPlan{SPNG_FMT_RGB8, PixelFormat::kGray8, RowConversion::kRgbToGray};
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
      if (ihdr.bit_depth == 8) {
        return {SPNG_FMT_PNG, PixelFormat::kGrayAlpha8, RowConversion::kNone};
      }
      return {SPNG_FMT_RGBA8, PixelFormat::kGrayAlpha8, RowConversion::kRgbaToGrayAlpha};
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
      return {SPNG_FMT_RGBA8, PixelFormat::kRgba8, RowConversion::kNone};
    default:  // truecolor and indexed
      return has_trns ? OutputPlan{SPNG_FMT_RGBA8, PixelFormat::kRgba8, RowConversion::kNone}
                      : OutputPlan{SPNG_FMT_RGB8, PixelFormat::kRgb8, RowConversion::kNone};
  }
}

int samples_per_pixel(std::uint8_t color_type) noexcept {
  switch (color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: return 2;
    case SPNG_COLOR_TYPE_TRUECOLOR: return 3;
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA: return 4;
    default: return 1;  // gray, or a palette index
  }
}

int spng_pixel_bytes(RowConversion conversion) noexcept {
  return conversion == RowConversion::kRgbToGray ? 3 : 4;
}

bool is_truncation(int spng_error) noexcept {
  return spng_error == SPNG_IO_EOF || spng_error == SPNG_EOF || spng_error == SPNG_EIDAT_TOO_SHORT;
}

Error spng_error(const InputBytes& input, int code, const std::string& stage) {
  if (is_truncation(code)) {
    return Error{ErrorCode::kTruncatedData,
                 fmt::format("{}: PNG data ends early while {} ({}); the file is truncated, "
                             "copy or download it again",
                             input.name(), stage, spng_strerror(code))};
  }
  if (code == SPNG_ECHUNK_LIMITS) {
    return Error{ErrorCode::kTooLarge,
                 fmt::format("{}: PNG metadata chunks exceed {} MiB while {} ({}); strip the "
                             "metadata or check the file's origin",
                             input.name(), kMaxChunkCacheBytes >> 20, stage, spng_strerror(code))};
  }
  return Error{ErrorCode::kCorruptData,
               fmt::format("{}: corrupt PNG data while {} ({}); re-export or re-download the file",
                           input.name(), stage, spng_strerror(code))};
}

// Writes `count` pixels of a libspng scanline to dst, `step` pixels apart (1 unless the pass is
// interlaced), keeping the first channel (and alpha when the source has four channels).
void convert_pixels(RowConversion conversion, const std::uint8_t* src, int count, std::uint8_t* dst,
                    int step) {
  if (conversion == RowConversion::kRgbToGray) {
    for (int i = 0; i < count; ++i) dst[static_cast<std::size_t>(i) * step] = src[3 * i];
    return;
  }
  for (int i = 0; i < count; ++i) {
    std::uint8_t* out = dst + static_cast<std::size_t>(i) * step * 2;
    out[0] = src[4 * i];
    out[1] = src[4 * i + 3];
  }
}

// libspng's read callback over a ByteSource: fills exactly `length` bytes or reports the end.
// It runs inside libspng's C frames, so it never throws; a failed read is kept in `failure`.
struct PngStream {
  std::unique_ptr<ByteSource> source;
  std::span<const std::uint8_t> chunk;  // what the source gave and libspng has not taken
  std::optional<Error> failure;

  static int read(spng_ctx* /*ctx*/, void* user, void* dest, std::size_t length) noexcept {
    auto& stream = *static_cast<PngStream*>(user);
    auto* out = static_cast<std::uint8_t*>(dest);
    try {
      while (length > 0) {
        if (stream.chunk.empty()) {
          auto next = stream.source->next();
          if (!next) {
            stream.failure = std::move(next).error();
            return SPNG_IO_ERROR;
          }
          if (next->empty()) return SPNG_IO_EOF;
          stream.chunk = *next;
        }
        const std::size_t n = std::min(length, stream.chunk.size());
        std::memcpy(out, stream.chunk.data(), n);
        out += n;
        length -= n;
        stream.chunk = stream.chunk.subspan(n);
      }
      return 0;
    } catch (...) {
      return SPNG_IO_ERROR;
    }
  }
};

class PngDecoder final : public Decoder {
 public:
  PngDecoder(InputBytes input, std::unique_ptr<PngStream> stream, SpngContext context,
             ImageHeader header, OutputPlan plan)
      : input_(std::move(input)),
        stream_(std::move(stream)),
        context_(std::move(context)),
        header_(header),
        plan_(plan) {}

  static Result<std::unique_ptr<Decoder>> open(InputBytes input, const DecodeOptions& options);

  const ImageHeader& header() const noexcept override { return header_; }
  int rows_read() const noexcept override { return rows_read_; }
  const std::string& warnings() const noexcept override { return warnings_; }

  Result<int> read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) override;

 private:
  std::size_t row_bytes() const noexcept {
    return static_cast<std::size_t>(header_.width) *
           static_cast<std::size_t>(channel_count(header_.format));
  }
  bool interlaced() const noexcept { return header_.progressive; }

  Status start_decoding();
  int decode_row(std::uint8_t* dst, std::size_t stride, int dst_first_row);
  Status finish_image();
  Result<int> fail(Error error);

  Error error(int code, const std::string& stage) const;

  InputBytes input_;
  std::unique_ptr<PngStream> stream_;  // before context_, which reads from it until destroyed
  SpngContext context_;
  ImageHeader header_;
  OutputPlan plan_;
  std::vector<std::uint8_t> scratch_;  // one libspng scanline, only when converting
  int rows_read_ = 0;
  std::optional<Error> failure_;
  std::string warnings_;
};

Result<std::unique_ptr<Decoder>> PngDecoder::open(InputBytes input, const DecodeOptions& options) {
  SpngContext context(spng_ctx_new(0), &spng_ctx_free);
  if (!context) throw std::bad_alloc();
  spng_ctx* ctx = context.get();
  spng_set_crc_action(ctx, SPNG_CRC_ERROR, SPNG_CRC_ERROR);
  spng_set_chunk_limits(ctx, kMaxChunkBytes, kMaxChunkCacheBytes);
  auto source = input.open_source();
  if (!source) return std::move(source).error();
  auto stream = std::make_unique<PngStream>();
  stream->source = std::move(source).value();
  if (int rc = spng_set_png_stream(ctx, PngStream::read, stream.get()); rc != 0) {
    return spng_error(input, rc, "opening the file");
  }
  // A read that failed (a file changed while being read) is the cause of libspng's error.
  const auto fail_open = [&](int rc, const char* stage) -> Error {
    return stream->failure ? *stream->failure : spng_error(input, rc, stage);
  };

  spng_ihdr ihdr{};
  if (int rc = spng_get_ihdr(ctx, &ihdr); rc != 0) return fail_open(rc, "reading the header");
  const int width = static_cast<int>(ihdr.width);
  const int height = static_cast<int>(ihdr.height);
  if (Status limit = check_pixel_limit(input, "PNG", width, height, options); !limit) {
    return std::move(limit).error();
  }

  // Reads the chunks before the first IDAT, so header CRC errors surface here too.
  spng_trns trns{};
  const int trns_rc = spng_get_trns(ctx, &trns);
  if (trns_rc != 0 && trns_rc != SPNG_ECHUNKAVAIL) {
    return fail_open(trns_rc, "reading the chunks before the image data");
  }

  const OutputPlan plan = plan_output(ihdr, trns_rc == 0);
  ImageHeader header;
  header.width = width;
  header.height = height;
  header.file_channels = samples_per_pixel(ihdr.color_type);
  header.bit_depth = ihdr.bit_depth;
  header.format = plan.format;
  header.container = ContainerFormat::kPng;
  header.progressive = ihdr.interlace_method == SPNG_INTERLACE_ADAM7;
  header.streamable = !header.progressive;

  auto decoder = std::make_unique<PngDecoder>(std::move(input), std::move(stream),
                                              std::move(context), header, plan);
  if (Status started = decoder->start_decoding(); !started) return std::move(started).error();
  return std::unique_ptr<Decoder>(std::move(decoder));
}

Status PngDecoder::start_decoding() {
  if (plan_.conversion != RowConversion::kNone) {
    scratch_.resize(static_cast<std::size_t>(header_.width) *
                    static_cast<std::size_t>(spng_pixel_bytes(plan_.conversion)));
  }
  const int rc = spng_decode_image(context_.get(), nullptr, 0, plan_.spng_format,
                                   SPNG_DECODE_TRNS | SPNG_DECODE_PROGRESSIVE);
  if (rc != 0) return error(rc, "starting to decode the image data");
  return {};
}

// Decodes the next scanline into its row of dst (image row dst_first_row at dst), whichever
// pass it belongs to. Returns 0, SPNG_EOI after the last scanline, or a libspng error.
int PngDecoder::decode_row(std::uint8_t* dst, std::size_t stride, int dst_first_row) {
  spng_row_info info{};
  if (int rc = spng_get_row_info(context_.get(), &info); rc != 0) return rc;
  const auto row_index =
      static_cast<std::size_t>(info.row_num) - static_cast<std::size_t>(dst_first_row);
  std::uint8_t* row = dst + row_index * stride;
  if (plan_.conversion == RowConversion::kNone) {
    return spng_decode_row(context_.get(), row, row_bytes());
  }
  const int rc = spng_decode_scanline(context_.get(), scratch_.data(), scratch_.size());
  if (rc != 0 && rc != SPNG_EOI) return rc;
  const int pass = interlaced() ? info.pass : 6;  // pass 6 of Adam7 covers every column
  const int start = kAdam7ColumnStart[pass];
  const int step = kAdam7ColumnStep[pass];
  const int count = (header_.width - start + step - 1) / step;
  const std::size_t out_channels = static_cast<std::size_t>(channel_count(header_.format));
  convert_pixels(plan_.conversion, scratch_.data(), count,
                 row + static_cast<std::size_t>(start) * out_channels, step);
  return rc;
}

// Reads the chunks after the image data, so a bad CRC on the last IDAT or IEND is not missed.
Status PngDecoder::finish_image() {
  const int rc = spng_decode_chunks(context_.get());
  if (rc != 0) return error(rc, "reading the chunks after the image data");
  return {};
}

Error PngDecoder::error(int code, const std::string& stage) const {
  return stream_->failure ? *stream_->failure : spng_error(input_, code, stage);
}

Result<int> PngDecoder::fail(Error error) {
  failure_ = error;
  return error;
}

Result<int> PngDecoder::read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) {
  if (failure_) return *failure_;
  if (rows_read_ >= header_.height || max_rows <= 0) return 0;
  if (dst == nullptr || stride < row_bytes()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: read_rows needs a stride of at least {} bytes, got {}",
                             input_.name(), row_bytes(), stride)};
  }
  if (interlaced() && max_rows < header_.height) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: an interlaced PNG decodes whole; read_rows needs room for all {} "
                             "rows, got {}",
                             input_.name(), header_.height, max_rows)};
  }
  // An interlaced image revisits every row in seven passes, so it is decoded in one go into
  // the caller's memory; a plain one is decoded row by row, starting at dst.
  const int first_row = interlaced() ? 0 : rows_read_;
  const int target =
      interlaced() ? header_.height : std::min(header_.height, rows_read_ + max_rows);
  int rc = 0;
  while (rc == 0 && (interlaced() || rows_read_ < target)) {
    rc = decode_row(dst, stride, first_row);
    if (rc != 0 && rc != SPNG_EOI) {
      return fail(error(rc, fmt::format("decoding row {}", rows_read_ + 1)));
    }
    if (!interlaced()) ++rows_read_;
  }
  const int written = interlaced() ? header_.height : rows_read_ - first_row;
  if (rc == SPNG_EOI) {
    rows_read_ = header_.height;
    if (Status finished = finish_image(); !finished) return fail(std::move(finished).error());
  }
  return written;
}

}  // namespace

bool sniff_png(std::span<const std::uint8_t> head) noexcept {
  static constexpr std::uint8_t kMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return head.size() >= sizeof kMagic &&
         std::equal(std::begin(kMagic), std::end(kMagic), head.begin());
}

Result<std::unique_ptr<Decoder>> open_png_decoder(InputBytes input, const DecodeOptions& options) {
  return PngDecoder::open(std::move(input), options);
}

}  // namespace tessera::detail
