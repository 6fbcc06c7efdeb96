// InputBytes: the encoded bytes of one image, from a memory-mapped file or from memory.
// It is cheap to copy (shared ownership) so a decoder can keep its bytes alive.
// It never decodes anything and never knows which format the bytes hold.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera {

class InputBytes {
 public:
  InputBytes() = default;

  // Maps a file read-only. Errors name the path and the reason (missing, unreadable, a directory).
  static Result<InputBytes> open_file(const std::string& path);
  // Reads a whole stream (for example stdin) into memory.
  static Result<InputBytes> read_stream(std::FILE* stream, const std::string& name);
  // Takes ownership of bytes already in memory.
  static InputBytes from_vector(std::vector<std::uint8_t> bytes, std::string name = "<memory>");
  // Borrows caller memory; the caller keeps it alive for as long as any copy of this object.
  static InputBytes borrow(std::span<const std::uint8_t> bytes, std::string name = "<memory>");

  std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  const std::string& name() const noexcept { return name_; }

  // A streaming decoder's promise that it will not read before `position` again: the mapped
  // file pages behind it leave this process's resident memory (the page cache keeps them).
  // Does nothing for bytes in memory. Reading them again stays valid, only slower.
  void release_before(const std::uint8_t* position) noexcept;

 private:
  std::shared_ptr<const void> owner_;  // keeps the mapping or vector alive
  std::span<const std::uint8_t> bytes_;
  std::string name_;
  bool mapped_ = false;
  std::size_t released_ = 0;  // bytes from the start already given back
};

}  // namespace tessera
