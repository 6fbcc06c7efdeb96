// PNG encoding through libdeflate: the encoder filters the rows itself into per-encoder scratch,
// then compresses the whole crop in one libdeflate call straight into the caller's span, between
// the IDAT header and its CRC written around it. libdeflate compresses a buffer at a time with
// no streaming state, which is where its speed over zlib comes from; the price is the filtered
// copy of the crop, kept per encoder (per thread) and grown once.
#include <libdeflate.h>

#include <array>
#include <memory>
#include <new>
#include <vector>

#include <fmt/format.h>

#include "codec_factories.hpp"
#include "png_chunks.hpp"
#include "png_filters.hpp"

namespace tessera::detail {
namespace {

struct FreeCompressor {
  void operator()(libdeflate_compressor* compressor) const noexcept {
    libdeflate_free_compressor(compressor);
  }
};
using Compressor = std::unique_ptr<libdeflate_compressor, FreeCompressor>;

class DeflatePngEncoder final : public Encoder {
 public:
  Result<std::size_t> encode(const ImageView& view, const EncodeOptions& options,
                             std::span<std::uint8_t> out) override;

 private:
  libdeflate_compressor* compressor(int level);

  // A libdeflate compressor has one level for life, so there is one per level used, made on
  // first use.
  std::array<Compressor, kDeflatePngMaxLevel + 1> compressors_;
  png::RowFilter filter_;
  std::vector<std::uint8_t> scanlines_;  // the filtered crop, grown to the largest one
};

libdeflate_compressor* DeflatePngEncoder::compressor(int level) {
  Compressor& slot = compressors_[static_cast<std::size_t>(level)];
  if (!slot) {
    slot.reset(libdeflate_alloc_compressor(level));
    if (!slot) throw std::bad_alloc();  // the level was validated, so only memory is missing
  }
  return slot.get();
}

Result<std::size_t> DeflatePngEncoder::encode(const ImageView& view, const EncodeOptions& options,
                                              std::span<std::uint8_t> out) {
  if (Status valid = validate_png(options); !valid) return std::move(valid).error();
  if (Status valid = check_png_view(view); !valid) return std::move(valid).error();
  const auto too_small = [&] {
    return Error{ErrorCode::kBufferTooSmall,
                 fmt::format("a {}x{} {} PNG does not fit in {} bytes; size buffers with "
                             "max_encoded_size()",
                             view.width, view.height, to_string(view.format), out.size())};
  };
  const std::size_t framing = png::file_size_for_stream(0);
  if (out.size() <= framing) return too_small();

  const std::size_t filtered = png::filtered_size(view.width, view.height, view.format);
  if (scanlines_.size() < filtered) scanlines_.resize(filtered);
  filter_.filter(view, options.png.filter, {scanlines_.data(), filtered});

  // Room for the stream: everything but the framing of the one IDAT, IEND and the head;
  // libdeflate returns 0 rather than write past it.
  std::uint8_t* stream = out.data() + png::kStreamOffset;
  const std::size_t room = out.size() - framing;
  const std::size_t stream_bytes = libdeflate_zlib_compress(
      compressor(options.png.compression_level), scanlines_.data(), filtered, stream, room);
  if (stream_bytes == 0) return too_small();
  png::write_head(out, view.width, view.height, view.format);
  const std::size_t size = png::finish_file(out, stream_bytes);
  if (size == 0) return too_small();  // a stream over 2 GiB needs more IDAT chunks than fit
  return size;
}

}  // namespace

std::unique_ptr<Encoder> make_deflate_png_encoder() {
  return std::make_unique<DeflatePngEncoder>();
}

std::size_t deflate_png_max_encoded_size(int width, int height, PixelFormat format,
                                         const EncodeOptions&) {
  // libdeflate's bound holds for any compressor and level when asked without one.
  const std::size_t filtered = png::filtered_size(width, height, format);
  return png::file_size_for_stream(libdeflate_zlib_compress_bound(nullptr, filtered));
}

}  // namespace tessera::detail
