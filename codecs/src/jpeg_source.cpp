#include "jpeg_source.hpp"

#include <cstdint>

// jerror.h after jpeglib.h: it needs the struct definitions for its message codes.
#include <jerror.h>

namespace tessera::detail {
namespace {

constexpr JOCTET kFakeEoi[2] = {0xFF, JPEG_EOI};

// Gives libjpeg the next chunk, or a fake EOI at the end (`at_end`). False when the source
// failed; its error is then in state.failure.
bool refill(JpegSource& state, bool& at_end) noexcept {
  try {
    auto chunk = state.source->next();
    if (!chunk) {
      state.failure = std::move(chunk).error();
      return false;
    }
    at_end = chunk->empty();
    state.pub.next_input_byte = at_end ? kFakeEoi : chunk->data();
    state.pub.bytes_in_buffer = at_end ? sizeof kFakeEoi : chunk->size();
    return true;
  } catch (...) {  // no memory for the error message: libjpeg's own message stands
    return false;
  }
}

void init_source(j_decompress_ptr /*cinfo*/) {}
void term_source(j_decompress_ptr /*cinfo*/) {}

boolean fill_input_buffer(j_decompress_ptr cinfo) {
  bool at_end = false;
  if (!refill(*reinterpret_cast<JpegSource*>(cinfo->src), at_end)) ERREXIT(cinfo, JERR_FILE_READ);
  if (at_end) WARNMS(cinfo, JWRN_JPEG_EOF);
  return TRUE;
}

void skip_input_data(j_decompress_ptr cinfo, long count) {
  if (count <= 0) return;
  jpeg_source_mgr* src = cinfo->src;
  auto left = static_cast<std::size_t>(count);
  while (left > src->bytes_in_buffer) {
    left -= src->bytes_in_buffer;
    src->fill_input_buffer(cinfo);  // never suspends: at the end it gives a fake EOI
  }
  src->next_input_byte += left;
  src->bytes_in_buffer -= left;
}

}  // namespace

void install_jpeg_source(jpeg_decompress_struct& cinfo, JpegSource& state, ByteSource& source) {
  state.pub.init_source = init_source;
  state.pub.fill_input_buffer = fill_input_buffer;
  state.pub.skip_input_data = skip_input_data;
  state.pub.resync_to_restart = jpeg_resync_to_restart;
  state.pub.term_source = term_source;
  state.pub.next_input_byte = nullptr;
  state.pub.bytes_in_buffer = 0;
  state.source = &source;
  cinfo.src = &state.pub;
}

std::optional<std::size_t> jpeg_bytes_left(const JpegSource& state, const InputBytes& input) {
  const auto size = input.size();
  if (!size) return std::nullopt;
  const std::uint64_t consumed = state.source->position() - state.pub.bytes_in_buffer;
  return static_cast<std::size_t>(*size - consumed);
}

}  // namespace tessera::detail
