// libtiff over InputBytes: client procs that read with InputBytes::read_at, and per-handle
// error and warning handlers (libtiff >= 4.5) that collect the messages instead of printing.
#include "tiff_handle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <span>

namespace tessera::detail {
namespace {

// libtiff's own allocations (tag arrays, a strip's compressed bytes) may not exceed this or
// the file's size, whichever is larger, so a header cannot make it allocate what the file
// does not hold. Decoded pixels never come from libtiff's allocator.
constexpr tmsize_t kMinSingleAlloc = tmsize_t{64} << 20;
// A flood of warnings (one per unknown tag) must not grow without bound.
constexpr std::size_t kMaxMessageBytes = 4096;

TiffIo& io_of(thandle_t handle) {
  return *static_cast<TiffIo*>(handle);
}

// A failed read reports 0 bytes, never -1: libtiff 4.5's TIFFReadAndRealloc adds the count to
// what it has read and clears the rest of its buffer, so -1 would make it write one byte past
// the end. The failure itself is kept in `read_failure` and becomes the job's error.
tmsize_t read_proc(thandle_t handle, void* buffer, tmsize_t size) noexcept {
  TiffIo& io = io_of(handle);
  if (size <= 0) return 0;
  try {
    auto got =
        io.input.read_at(io.position, std::span<std::uint8_t>(static_cast<std::uint8_t*>(buffer),
                                                              static_cast<std::size_t>(size)));
    if (!got) {
      if (!io.read_failure) io.read_failure = std::move(got).error();
      return 0;
    }
    io.position += *got;
    return static_cast<tmsize_t>(*got);
  } catch (...) {
    return 0;
  }
}

tmsize_t write_proc(thandle_t /*handle*/, void* /*buffer*/, tmsize_t /*size*/) noexcept {
  return -1;  // opened for reading only
}

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) noexcept {
  TiffIo& io = io_of(handle);
  std::uint64_t base = 0;
  switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = io.position; break;
    case SEEK_END: base = io.size; break;
    default: return static_cast<toff_t>(-1);
  }
  // libtiff passes negative relative offsets as their two's complement.
  const std::uint64_t target = base + offset;
  if (target > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<toff_t>(-1);
  io.position = target;
  return target;
}

int close_proc(thandle_t /*handle*/) noexcept {
  return 0;  // the InputBytes owns the descriptor
}

toff_t size_proc(thandle_t handle) noexcept {
  return io_of(handle).size;
}

// No memory map: a mapped file that shrinks raises SIGBUS (see input.hpp).
int map_proc(thandle_t /*handle*/, void** /*base*/, toff_t* /*size*/) noexcept {
  return 0;
}
void unmap_proc(thandle_t /*handle*/, void* /*base*/, toff_t /*size*/) noexcept {}

void append_message(std::string& to, const char* module, const char* format, va_list args) {
  if (to.size() >= kMaxMessageBytes) return;
  char text[512];
  std::vsnprintf(text, sizeof text, format, args);
  if (!to.empty()) to += "; ";
  if (module != nullptr && *module != '\0') {
    to += module;
    to += ": ";
  }
  to += text;
}

int error_handler(TIFF* /*tiff*/, void* user, const char* module, const char* format,
                  va_list args) noexcept {
  try {
    append_message(static_cast<TiffIo*>(user)->errors, module, format, args);
  } catch (...) {  // out of memory while recording a message: the call's failure still shows
  }
  return 1;  // handled: libtiff's global handlers (stderr) are not called
}

int warning_handler(TIFF* /*tiff*/, void* user, const char* module, const char* format,
                    va_list args) noexcept {
  try {
    append_message(static_cast<TiffIo*>(user)->warnings, module, format, args);
  } catch (...) {
  }
  return 1;
}

using OpenOptions = std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)>;

}  // namespace

TiffHandle::TiffHandle(std::unique_ptr<TiffIo> io, TIFF* tiff)
    : io_(std::move(io)), tiff_(tiff, [](TIFF* t) { TIFFClose(t); }) {}

Result<TiffHandle> TiffHandle::open(InputBytes input) {
  auto io = std::make_unique<TiffIo>();
  io->size = input.size().value_or(0);
  io->input = std::move(input);
  OpenOptions options(TIFFOpenOptionsAlloc(), &TIFFOpenOptionsFree);
  if (!options) throw std::bad_alloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), error_handler, io.get());
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), warning_handler, io.get());
  const auto file_size = static_cast<tmsize_t>(
      std::min<std::uint64_t>(io->size, std::numeric_limits<tmsize_t>::max() / 2));
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), std::max(kMinSingleAlloc, file_size));
  // "m": never map; "O": load strip and tile offsets on demand, so a header claiming millions
  // of strips costs nothing until they are read.
  TIFF* tiff =
      TIFFClientOpenExt(io->input.name().c_str(), "rmO", io.get(), read_proc, write_proc, seek_proc,
                        close_proc, size_proc, map_proc, unmap_proc, options.get());
  if (tiff == nullptr) {
    if (io->read_failure) return *io->read_failure;
    return Error{
        ErrorCode::kCorruptData,
        fmt::format("{}: not a readable TIFF ({}); check that the file is complete",
                    io->input.name(), io->errors.empty() ? "no reason given" : io->errors)};
  }
  return TiffHandle(std::move(io), tiff);
}

Error TiffHandle::error(ErrorCode code, const std::string& stage) const {
  if (io_->read_failure) return *io_->read_failure;
  const std::string& reason = !io_->errors.empty()     ? io_->errors
                              : !io_->warnings.empty() ? io_->warnings
                                                       : std::string("no reason given");
  return Error{code, fmt::format("{}: corrupt TIFF data while {} (libtiff: {}); re-export or "
                                 "re-download the file",
                                 io_->input.name(), stage, reason)};
}

}  // namespace tessera::detail
