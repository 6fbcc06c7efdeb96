// Private: the libjpeg error manager shared by the JPEG decoder and encoder.
// libjpeg reports a fatal error by calling error_exit, which must never return. Ours longjmps
// back to a setjmp inside a small guarded function that keeps only trivially destructible
// locals, so no C++ destructor is ever skipped and no exception ever crosses a libjpeg frame.
// Everything here runs inside libjpeg's C frames: it must not allocate and must not throw.
#pragma once

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include <jpeglib.h>
// jerror.h after jpeglib.h: it needs the struct definitions for its message codes.
#include <jerror.h>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

// Trivially destructible on purpose: it lives in the codec object, and libjpeg writes into it
// from C frames, where a growing std::string could throw.
struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg only ever sees this part
  std::jmp_buf jump;
  int error_code;                       // msg_code of the fatal error
  char error_message[JMSG_LENGTH_MAX];  // its formatted text
  // Warnings since the last reset_warnings(), "; "-separated, cut short when the buffer fills.
  char warning_text[512];
  std::size_t warning_length;
  int last_warning_code;
  bool saw_truncation;  // "premature end of JPEG file": the data ran out
  bool saw_corruption;  // any "Corrupt JPEG data" warning: libjpeg guessed some pixels
  // Whichever of the two came first is the cause; the other is usually its echo.
  bool truncation_came_first;
};

inline bool is_corrupt_data_warning(int code) noexcept {
  switch (code) {
    case JWRN_ARITH_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL: return true;
    default: return false;
  }
}

inline void reset_warnings(JpegErrorManager& manager) noexcept {
  manager.warning_text[0] = '\0';
  manager.warning_length = 0;
  manager.last_warning_code = -1;
  manager.saw_truncation = false;
  manager.saw_corruption = false;
  manager.truncation_came_first = false;
}

inline void append_warning(JpegErrorManager& manager, const char* text) noexcept {
  const std::size_t capacity = sizeof manager.warning_text - 1;
  const char* separator = manager.warning_length == 0 ? "" : "; ";
  for (const char* part : {separator, text}) {
    const std::size_t room = capacity - manager.warning_length;
    const std::size_t n = std::min(std::strlen(part), room);
    std::memcpy(manager.warning_text + manager.warning_length, part, n);
    manager.warning_length += n;
  }
  manager.warning_text[manager.warning_length] = '\0';
}

extern "C" {

// Never returns: jumps back to the guarded function that called into libjpeg.
[[noreturn]] inline void tessera_jpeg_error_exit(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  manager->error_code = manager->pub.msg_code;
  (*manager->pub.format_message)(cinfo, manager->error_message);
  std::longjmp(manager->jump, 1);
}

// msg_level -1 is a warning; higher levels are trace output, which tessera does not want.
inline void tessera_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0) return;
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  ++manager->pub.num_warnings;
  const int code = manager->pub.msg_code;
  if (!manager->saw_truncation && !manager->saw_corruption)
    manager->truncation_came_first = code == JWRN_JPEG_EOF;
  if (code == JWRN_JPEG_EOF) manager->saw_truncation = true;
  if (is_corrupt_data_warning(code)) manager->saw_corruption = true;
  // libjpeg repeats the same warning for every refill past the end; say it once.
  if (code == manager->last_warning_code) return;
  manager->last_warning_code = code;
  char text[JMSG_LENGTH_MAX];
  (*manager->pub.format_message)(cinfo, text);
  append_warning(*manager, text);
}

}  // extern "C"

// Call before jpeg_create_*: libjpeg needs the error manager to report failures of creation.
inline jpeg_error_mgr* install_error_manager(JpegErrorManager& manager) noexcept {
  jpeg_std_error(&manager.pub);
  manager.pub.error_exit = tessera_jpeg_error_exit;
  manager.pub.emit_message = tessera_jpeg_emit_message;
  manager.error_code = 0;
  manager.error_message[0] = '\0';
  reset_warnings(manager);
  return &manager.pub;
}

// Which ErrorCode a fatal libjpeg error means when it happens while reading a file.
inline ErrorCode decode_error_code(int libjpeg_code) noexcept {
  switch (libjpeg_code) {
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF: return ErrorCode::kTruncatedData;
    case JERR_ARITH_NOTIMPL:
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_EMPTY_IMAGE: return ErrorCode::kUnsupportedFormat;
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
    case JERR_OUT_OF_MEMORY: return ErrorCode::kTooLarge;
    default: return ErrorCode::kCorruptData;
  }
}

}  // namespace tessera::detail
