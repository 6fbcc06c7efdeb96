// InputBytes: the encoded bytes of one image, in a file, a stream (stdin) or memory, and the
// ByteSource through which a decoder pulls them with read(), a chunk at a time. Files are never
// memory-mapped, so a file that another program truncates fails only the job that reads it.
// It never decodes anything and never knows which format the bytes hold.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera {

// An image read from a stream (stdin) may be at most this large: a whole-image decoder must
// hold it in memory, and /dev/zero must not fill it. A file given by path has no such limit.
inline constexpr std::uint64_t kMaxStreamBytes = std::uint64_t{256} << 20;
// A text input (ROI file, manifest, profile) may be at most this large.
inline constexpr std::uint64_t kMaxTextBytes = std::uint64_t{64} << 20;
// How many first bytes InputBytes::head() keeps: enough for every format's signature.
inline constexpr std::size_t kHeadBytes = 512;

// One reader's pass over an input, from its first byte to its last.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // The next bytes, valid until the next call; empty at the end. Fails when the input cannot
  // be read, when a file changed while being read, or when a stream passes kMaxStreamBytes.
  virtual Result<std::span<const std::uint8_t>> next() = 0;
  // Bytes handed out by next() so far.
  virtual std::uint64_t position() const noexcept = 0;
};

class InputBytes {
 public:
  InputBytes() = default;

  // Opens a regular file for reading. Never blocks: a FIFO or device is refused with a
  // message. Errors name the path and the reason (missing, unreadable, a directory).
  static Result<InputBytes> open_file(const std::string& path);
  // Streams standard input, reading only its first bytes now. It can be read once.
  static Result<InputBytes> open_stdin();
  // Takes ownership of bytes already in memory.
  static InputBytes from_vector(std::vector<std::uint8_t> bytes, std::string name = "<memory>");
  // Borrows caller memory; the caller keeps it alive for as long as any copy of this object.
  static InputBytes borrow(std::span<const std::uint8_t> bytes, std::string name = "<memory>");

  const std::string& name() const noexcept { return name_; }
  // The first kHeadBytes bytes (all of them when there are fewer), to sniff the format.
  std::span<const std::uint8_t> head() const noexcept;
  bool empty() const noexcept { return head().empty(); }
  // The size when it is known in advance: files and memory, not streams.
  std::optional<std::uint64_t> size() const noexcept;
  // All the bytes of an in-memory input; empty for files and streams.
  std::span<const std::uint8_t> memory() const noexcept;

  // A new pass from the first byte. A stream has one pass only; asking again fails.
  Result<std::unique_ptr<ByteSource>> open_source() const;
  // Random access, for formats whose readers seek (TIFF): reads into `into` from `offset` and
  // returns how many bytes it read, fewer only at the end. Files use pread(); a file read short
  // of the size it had when opened fails with "changed while being read". A stream has no
  // random access and fails; read it whole with read_all() first.
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> into) const;
  // Fails when a file no longer has the size and modification time it had when opened, so a
  // reader that jumps about can tell that what it read came from one version of the file.
  Status check_unchanged() const;
  // Every byte, for decoders that need the whole image, or an error past `limit` bytes.
  // Memory inputs give their own bytes; others are read into `storage`.
  Result<std::span<const std::uint8_t>> read_all(std::vector<std::uint8_t>& storage,
                                                 std::uint64_t limit) const;

  struct Origin;  // where the bytes live: defined in input.cpp

 private:
  std::shared_ptr<Origin> origin_;
  std::string name_;
};

// Reads a whole text input (`what` names it in messages: "ROI file", "manifest"), at most
// `limit` bytes. A pipe, FIFO or device is read with the same limit, and never waited on in
// open(): a FIFO with no writer reads as empty.
Result<std::string> read_text_file(const std::string& path, std::string_view what,
                                   std::uint64_t limit = kMaxTextBytes);

}  // namespace tessera
