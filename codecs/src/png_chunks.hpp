// Private: the PNG file layout the libdeflate encoder writes by hand: signature, IHDR, the
// IDAT chunk(s) around a zlib stream already in place, IEND, each chunk with its CRC-32.
// Nothing here compresses, filters or allocates; every writer stays inside the span it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tessera/codecs/image_view.hpp"

namespace tessera::detail::png {

inline constexpr std::size_t kSignatureBytes = 8;
inline constexpr std::size_t kChunkFraming = 12;     // length, type, CRC
inline constexpr std::size_t kChunkHeaderBytes = 8;  // length, type
inline constexpr std::size_t kIhdrBytes = kChunkFraming + 13;
inline constexpr std::size_t kIendBytes = kChunkFraming;
// The PNG specification caps a chunk's length at 2^31 - 1 bytes.
inline constexpr std::size_t kMaxChunkData = 0x7fffffff;
// Where the zlib stream starts: signature, IHDR, then the first IDAT's length and type.
inline constexpr std::size_t kStreamOffset = kSignatureBytes + kIhdrBytes + kChunkHeaderBytes;

// The bytes that a scanline layout of this image takes: per row, a filter byte and the samples.
std::size_t filtered_size(int width, int height, PixelFormat format) noexcept;

// The most bytes a file holding a zlib stream of at most `stream_bytes` takes, cut into IDAT
// chunks of at most `max_chunk_data` bytes.
std::size_t file_size_for_stream(std::size_t stream_bytes,
                                 std::size_t max_chunk_data = kMaxChunkData) noexcept;

// Writes the signature and IHDR (8-bit samples, no interlace) at the start of `out`, which
// holds at least kStreamOffset bytes.
void write_head(std::span<std::uint8_t> out, int width, int height, PixelFormat format) noexcept;

// With a zlib stream of `stream_bytes` at kStreamOffset, writes the IDAT framing around it
// (moving its tail to make room when it needs several chunks) and IEND after it. Returns the
// file's size, or 0 when `out` cannot hold it (nothing is written past `out` either way).
std::size_t finish_file(std::span<std::uint8_t> out, std::size_t stream_bytes,
                        std::size_t max_chunk_data = kMaxChunkData) noexcept;

}  // namespace tessera::detail::png
