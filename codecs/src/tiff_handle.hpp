// Private: a libtiff handle that reads through an InputBytes (pread on files, memory as is) and
// keeps libtiff's messages to itself. libtiff reports through handlers; the ones installed
// here belong to this handle alone, so messages land in this job's error, never on stderr,
// and two jobs on two threads never see each other's. It never decodes pixels.
#pragma once

#include <tiffio.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tessera/codecs/input.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera::detail {

// What libtiff's callbacks reach: the bytes, the read position, and what went wrong.
struct TiffIo {
  InputBytes input;  // a file or memory; a stream is read whole before it gets here
  std::uint64_t size = 0;
  std::uint64_t position = 0;
  std::optional<Error> read_failure;  // the first failed read: the cause of libtiff's error
  std::string errors;                 // libtiff's error messages, oldest first, bounded
  std::string warnings;               // and its warnings, kept only to explain an error
};

class TiffHandle {
 public:
  // Opens the first page. Fails with libtiff's reason when the bytes are not a readable TIFF.
  static Result<TiffHandle> open(InputBytes input);

  TIFF* get() const noexcept { return tiff_.get(); }
  const InputBytes& input() const noexcept { return io_->input; }

  // The error for a libtiff call that failed while `stage`: a failed read (a file changed
  // while being read) when there was one, else libtiff's own messages.
  Error error(ErrorCode code, const std::string& stage) const;

 private:
  TiffHandle(std::unique_ptr<TiffIo> io, TIFF* tiff);

  std::unique_ptr<TiffIo> io_;  // outlives tiff_, whose callbacks read it until TIFFClose
  std::unique_ptr<TIFF, void (*)(TIFF*)> tiff_;
};

}  // namespace tessera::detail
