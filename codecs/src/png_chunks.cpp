#include "png_chunks.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>

namespace tessera::detail::png {
namespace {

constexpr std::uint8_t kSignature[kSignatureBytes] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

void put_u32(std::uint8_t* at, std::uint32_t value) noexcept {
  at[0] = static_cast<std::uint8_t>(value >> 24);
  at[1] = static_cast<std::uint8_t>(value >> 16);
  at[2] = static_cast<std::uint8_t>(value >> 8);
  at[3] = static_cast<std::uint8_t>(value);
}

// PNG colour types (PNG specification, 11.2.2).
std::uint8_t color_type(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kGray8: return 0;
    case PixelFormat::kGrayAlpha8: return 4;
    case PixelFormat::kRgb8: return 2;
    case PixelFormat::kRgba8: return 6;
  }
  return 2;
}

// The chunk's length and type at `at`, its data after them; appends the CRC of type and data.
void frame_chunk(std::uint8_t* at, const char (&type)[5], std::size_t data_bytes) noexcept {
  put_u32(at, static_cast<std::uint32_t>(data_bytes));
  std::memcpy(at + 4, type, 4);
  const std::uint32_t crc = libdeflate_crc32(0, at + 4, 4 + data_bytes);
  put_u32(at + kChunkHeaderBytes + data_bytes, crc);
}

std::size_t chunks_for(std::size_t stream_bytes, std::size_t max_chunk_data) noexcept {
  return stream_bytes == 0 ? 1 : (stream_bytes + max_chunk_data - 1) / max_chunk_data;
}

}  // namespace

std::size_t filtered_size(int width, int height, PixelFormat format) noexcept {
  return static_cast<std::size_t>(height) *
         (1 + static_cast<std::size_t>(width) * static_cast<std::size_t>(channel_count(format)));
}

std::size_t file_size_for_stream(std::size_t stream_bytes, std::size_t max_chunk_data) noexcept {
  return kSignatureBytes + kIhdrBytes + stream_bytes +
         chunks_for(stream_bytes, max_chunk_data) * kChunkFraming + kIendBytes;
}

void write_head(std::span<std::uint8_t> out, int width, int height, PixelFormat format) noexcept {
  std::uint8_t* p = out.data();
  std::memcpy(p, kSignature, kSignatureBytes);
  std::uint8_t* ihdr = p + kSignatureBytes;
  std::uint8_t* data = ihdr + kChunkHeaderBytes;
  put_u32(data, static_cast<std::uint32_t>(width));
  put_u32(data + 4, static_cast<std::uint32_t>(height));
  data[8] = 8;  // bit depth
  data[9] = color_type(format);
  data[10] = 0;  // deflate
  data[11] = 0;  // adaptive filtering, one filter byte per row
  data[12] = 0;  // no interlace
  frame_chunk(ihdr, "IHDR", 13);
}

std::size_t finish_file(std::span<std::uint8_t> out, std::size_t stream_bytes,
                        std::size_t max_chunk_data) noexcept {
  const std::size_t total = file_size_for_stream(stream_bytes, max_chunk_data);
  if (total > out.size()) return 0;
  std::uint8_t* first = out.data() + kStreamOffset - kChunkHeaderBytes;
  // Chunk i's data starts i chunks further, each chunk being its data plus its framing; the
  // tails move last to first, so nothing is overwritten before it has moved.
  const std::size_t chunks = chunks_for(stream_bytes, max_chunk_data);
  for (std::size_t i = chunks; i-- > 0;) {
    const std::size_t from = i * max_chunk_data;
    const std::size_t bytes = std::min(max_chunk_data, stream_bytes - from);
    std::uint8_t* chunk = first + i * (max_chunk_data + kChunkFraming);
    if (i > 0) std::memmove(chunk + kChunkHeaderBytes, first + kChunkHeaderBytes + from, bytes);
    frame_chunk(chunk, "IDAT", bytes);
  }
  frame_chunk(out.data() + total - kIendBytes, "IEND", 0);
  return total;
}

}  // namespace tessera::detail::png
