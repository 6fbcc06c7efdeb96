// PNG encoding through libspng, the reference and fallback PNG encoder: rows fed straight from the
// strided view, bytes written straight into the caller's span by a stream callback that refuses to
// overflow it. libspng 0.7 cannot reset an encoder context, so each image gets a new one; its
// memory (the context, zlib's deflate state, row buffers) comes from a per-encoder arena that is
// rewound after every image, so once the arena has grown to fit, a crop costs no heap allocation.
#include <spng.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <fmt/format.h>

#include "codec_factories.hpp"

namespace tessera::detail {
namespace {

// zlib's tight worst case holds only for its default window and memory level, and libspng would
// otherwise shrink both for small images; pinning them keeps spng_png_max_encoded_size() true.
constexpr int kWindowBits = 15;
constexpr int kMemLevel = 8;
// With memLevel 8 zlib ends a block after at most 16383 symbols, so incompressible data goes
// out as stored blocks of at most that many bytes, each with up to 5 bytes of framing.
constexpr std::size_t kStoredBlockBytes = 16383;
constexpr std::size_t kStoredBlockOverhead = 5;
constexpr std::size_t kZlibWrapperBytes = 2 + 4;  // header and Adler-32
// libspng cuts the zlib stream into IDAT chunks of 8192 bytes (the last one shorter).
constexpr std::size_t kIdatChunkBytes = 8192;
constexpr std::size_t kChunkFraming = 12;  // length, type, CRC
constexpr std::size_t kSignatureBytes = 8;
constexpr std::size_t kIhdrBytes = kChunkFraming + 13;
constexpr std::size_t kIendBytes = kChunkFraming;

// Bump allocator handed to libspng (and through it to zlib). libspng's allocator callbacks carry
// no user pointer, so the encoder publishes its arena in a thread-local for the duration of one
// encode. Requests that do not fit fall back to malloc and make the next rewind grow the block.
// Every function here runs inside C frames and must not throw.
class ScratchArena {
 public:
  ScratchArena() = default;
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;
  ~ScratchArena() { std::free(block_); }

  void* allocate(std::size_t size) noexcept {
    const std::size_t total = kHeader + round_up(size);
    if (total < size) return nullptr;
    high_water_ += total;
    std::byte* base = nullptr;
    if (block_ != nullptr && capacity_ - used_ >= total) {
      base = block_ + used_;
      used_ += total;
    } else {
      base = static_cast<std::byte*>(std::malloc(total));
      if (base == nullptr) return nullptr;
    }
    std::memcpy(base, &size, sizeof size);
    return base + kHeader;
  }

  void* reallocate(void* pointer, std::size_t size) noexcept {
    if (pointer == nullptr) return allocate(size);
    const std::size_t old_size = size_of(pointer);
    if (size <= old_size) return pointer;
    void* grown = allocate(size);
    if (grown == nullptr) return nullptr;
    std::memcpy(grown, pointer, old_size);
    release(pointer);
    return grown;
  }

  void release(void* pointer) noexcept {
    if (pointer != nullptr && !owns(pointer)) std::free(static_cast<std::byte*>(pointer) - kHeader);
  }

  // Called after the libspng context is freed: nothing points into the block any more.
  void rewind() noexcept {
    if (high_water_ > capacity_) {
      std::free(block_);
      capacity_ = high_water_ + high_water_ / 4;
      block_ = static_cast<std::byte*>(std::malloc(capacity_));
      if (block_ == nullptr) capacity_ = 0;
    }
    used_ = 0;
    high_water_ = 0;
  }

 private:
  static constexpr std::size_t kHeader = alignof(std::max_align_t);
  static std::size_t round_up(std::size_t size) noexcept {
    return (size + kHeader - 1) / kHeader * kHeader;
  }
  static std::size_t size_of(void* pointer) noexcept {
    std::size_t size = 0;
    std::memcpy(&size, static_cast<std::byte*>(pointer) - kHeader, sizeof size);
    return size;
  }
  bool owns(void* pointer) const noexcept {
    const auto* p = static_cast<const std::byte*>(pointer);
    return block_ != nullptr && p >= block_ && p < block_ + capacity_;
  }

  std::byte* block_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::size_t high_water_ = 0;  // bytes this image asked for, including fallbacks
};

thread_local ScratchArena* t_arena = nullptr;

void* arena_malloc(std::size_t size) {
  return t_arena->allocate(size);
}
void* arena_realloc(void* pointer, std::size_t size) {
  return t_arena->reallocate(pointer, size);
}
void* arena_calloc(std::size_t count, std::size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  void* pointer = t_arena->allocate(count * size);
  if (pointer != nullptr) std::memset(pointer, 0, count * size);
  return pointer;
}
void arena_free(void* pointer) {
  t_arena->release(pointer);
}

// Publishes the arena to the allocator callbacks and rewinds it when the image is done.
class ArenaScope {
 public:
  explicit ArenaScope(ScratchArena& arena) noexcept : arena_(arena), previous_(t_arena) {
    t_arena = &arena;
  }
  ~ArenaScope() {
    t_arena = previous_;
    arena_.rewind();
  }
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  ScratchArena& arena_;
  ScratchArena* previous_;
};

struct OutputCursor {
  std::span<std::uint8_t> out;
  std::size_t used = 0;
  bool overflowed = false;
};

int write_to_span(spng_ctx*, void* user, void* src, std::size_t length) {
  auto* cursor = static_cast<OutputCursor*>(user);
  if (length > cursor->out.size() - cursor->used) {
    cursor->overflowed = true;
    return SPNG_IO_ERROR;
  }
  std::memcpy(cursor->out.data() + cursor->used, src, length);
  cursor->used += length;
  return 0;
}

std::uint8_t color_type(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kGray8: return SPNG_COLOR_TYPE_GRAYSCALE;
    case PixelFormat::kGrayAlpha8: return SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
    case PixelFormat::kRgb8: return SPNG_COLOR_TYPE_TRUECOLOR;
    case PixelFormat::kRgba8: return SPNG_COLOR_TYPE_TRUECOLOR_ALPHA;
  }
  return SPNG_COLOR_TYPE_TRUECOLOR;
}

int zlib_strategy(ZlibStrategy strategy) noexcept {
  switch (strategy) {
    case ZlibStrategy::kDefault: return Z_DEFAULT_STRATEGY;
    case ZlibStrategy::kFiltered: return Z_FILTERED;
    case ZlibStrategy::kHuffmanOnly: return Z_HUFFMAN_ONLY;
    case ZlibStrategy::kRle: return Z_RLE;
    case ZlibStrategy::kFixed: return Z_FIXED;
  }
  return Z_DEFAULT_STRATEGY;
}

int filter_choice(PngFilter filter) noexcept {
  switch (filter) {
    case PngFilter::kNone: return SPNG_FILTER_CHOICE_NONE;
    case PngFilter::kSub: return SPNG_FILTER_CHOICE_SUB;
    case PngFilter::kUp: return SPNG_FILTER_CHOICE_UP;
    case PngFilter::kAverage: return SPNG_FILTER_CHOICE_AVG;
    case PngFilter::kPaeth: return SPNG_FILTER_CHOICE_PAETH;
    case PngFilter::kAdaptive: return SPNG_FILTER_CHOICE_ALL;
  }
  return SPNG_FILTER_CHOICE_ALL;
}

class SpngPngEncoder final : public Encoder {
 public:
  Result<std::size_t> encode(const ImageView& view, const EncodeOptions& options,
                             std::span<std::uint8_t> out) override;

 private:
  int configure(spng_ctx* ctx, const ImageView& view, const PngOptions& options,
                OutputCursor& cursor);
  static int write_rows(spng_ctx* ctx, const ImageView& view);

  ScratchArena arena_;
};

int SpngPngEncoder::configure(spng_ctx* ctx, const ImageView& view, const PngOptions& options,
                              OutputCursor& cursor) {
  spng_ihdr ihdr{};
  ihdr.width = static_cast<std::uint32_t>(view.width);
  ihdr.height = static_cast<std::uint32_t>(view.height);
  ihdr.bit_depth = 8;
  ihdr.color_type = color_type(view.format);
  const struct {
    spng_option option;
    int value;
  } settings[] = {
      {SPNG_IMG_COMPRESSION_LEVEL, options.compression_level},
      {SPNG_IMG_COMPRESSION_STRATEGY, zlib_strategy(options.strategy)},
      {SPNG_IMG_WINDOW_BITS, kWindowBits},
      {SPNG_IMG_MEM_LEVEL, kMemLevel},
      {SPNG_FILTER_CHOICE, filter_choice(options.filter)},
  };
  if (int rc = spng_set_png_stream(ctx, write_to_span, &cursor); rc != 0) return rc;
  if (int rc = spng_set_ihdr(ctx, &ihdr); rc != 0) return rc;
  for (const auto& setting : settings) {
    if (int rc = spng_set_option(ctx, setting.option, setting.value); rc != 0) return rc;
  }
  return spng_encode_image(ctx, nullptr, 0, SPNG_FMT_PNG,
                           SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
}

// Returns SPNG_EOI once the last row is in and the file is finalized, or a libspng error.
int SpngPngEncoder::write_rows(spng_ctx* ctx, const ImageView& view) {
  int rc = 0;
  for (int y = 0; y < view.height && rc == 0; ++y) {
    rc = spng_encode_row(ctx, view.row(y), view.row_bytes());
  }
  return rc;
}

Result<std::size_t> SpngPngEncoder::encode(const ImageView& view, const EncodeOptions& options,
                                           std::span<std::uint8_t> out) {
  if (Status valid = validate_png(options); !valid) return std::move(valid).error();
  if (Status valid = check_png_view(view); !valid) return std::move(valid).error();

  OutputCursor cursor{out};
  int rc = 0;
  {
    ArenaScope scope(arena_);
    spng_alloc alloc{arena_malloc, arena_realloc, arena_calloc, arena_free};
    std::unique_ptr<spng_ctx, decltype(&spng_ctx_free)> context(
        spng_ctx_new2(&alloc, SPNG_CTX_ENCODER), &spng_ctx_free);
    if (!context) throw std::bad_alloc();
    rc = configure(context.get(), view, options.png, cursor);
    if (rc == 0) rc = write_rows(context.get(), view);
  }
  if (rc == SPNG_EOI) return cursor.used;
  if (cursor.overflowed) {
    return Error{ErrorCode::kBufferTooSmall,
                 fmt::format("a {}x{} {} PNG does not fit in {} bytes; size buffers with "
                             "max_encoded_size()",
                             view.width, view.height, to_string(view.format), out.size())};
  }
  if (rc == SPNG_EMEM) throw std::bad_alloc();
  return Error{ErrorCode::kInternal,
               fmt::format("libspng failed to encode a {}x{} {} PNG: {}", view.width, view.height,
                           to_string(view.format), spng_strerror(rc))};
}

}  // namespace

std::unique_ptr<Encoder> make_spng_png_encoder() {
  return std::make_unique<SpngPngEncoder>();
}

std::size_t spng_png_max_encoded_size(int width, int height, PixelFormat format,
                                      const EncodeOptions&) {
  // Every row is one filter byte plus its samples; filtering never changes that length.
  const std::size_t filtered =
      static_cast<std::size_t>(height) *
      (1 + static_cast<std::size_t>(width) * static_cast<std::size_t>(channel_count(format)));
  // Stored blocks, plus one partial and one empty final block, plus one byte per MiB of slack
  // for any block boundary zlib places differently.
  const std::size_t blocks = filtered / kStoredBlockBytes + 2;
  const std::size_t deflated =
      filtered + blocks * kStoredBlockOverhead + (filtered >> 20) + kZlibWrapperBytes;
  const std::size_t idat_chunks = deflated / kIdatChunkBytes + 1;
  return kSignatureBytes + kIhdrBytes + deflated + idat_chunks * kChunkFraming + kIendBytes;
}

}  // namespace tessera::detail
