// Private: what the two libjpeg compressors (pixels, jpeg_encoder.cpp, and coefficients,
// coefficient_encoder.cpp) share: a destination that writes into caller memory and never past
// it, and the standard Huffman tables restored before every image.
// Everything here runs inside libjpeg's C frames or guarded calls: it never throws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "jpeg_error_manager.hpp"

namespace tessera::detail {

// libjpeg asks for more room as soon as the span is exactly full, even when nothing more
// follows; the spill area absorbs that request, and any byte that lands in it means overflow.
constexpr std::size_t kSpillBytes = 64;

// A libjpeg destination that writes into caller memory and never past it.
struct SpanDestination {
  jpeg_destination_mgr pub;  // first member: libjpeg only ever sees this part
  std::uint8_t* data;
  std::size_t size;
  std::uint8_t spill[kSpillBytes];
  bool spilling;
  bool overflowed;
  std::size_t written;
};

inline SpanDestination& destination_of(j_compress_ptr cinfo) {
  return *reinterpret_cast<SpanDestination*>(cinfo->dest);
}

inline void start_spilling(SpanDestination& dest) {
  dest.spilling = true;
  dest.pub.next_output_byte = dest.spill;
  dest.pub.free_in_buffer = kSpillBytes;
}

inline void init_span_destination(j_compress_ptr cinfo) {
  SpanDestination& dest = destination_of(cinfo);
  dest.spilling = false;
  dest.overflowed = false;
  dest.written = 0;
  dest.pub.next_output_byte = dest.data;
  dest.pub.free_in_buffer = dest.size;
  // libjpeg writes a byte before it checks for room, so an empty span must spill at once.
  if (dest.size == 0) start_spilling(dest);
}

inline boolean empty_span_destination(j_compress_ptr cinfo) {
  SpanDestination& dest = destination_of(cinfo);
  if (dest.spilling) {
    dest.overflowed = true;
    ERREXIT(cinfo, JERR_BUFFER_SIZE);
  }
  start_spilling(dest);
  return TRUE;
}

inline void term_span_destination(j_compress_ptr cinfo) {
  SpanDestination& dest = destination_of(cinfo);
  if (dest.spilling) {
    dest.overflowed = dest.pub.free_in_buffer != kSpillBytes;
    dest.written = dest.size;
  } else {
    dest.written = dest.size - dest.pub.free_in_buffer;
  }
}

inline void install_span_destination(jpeg_compress_struct& cinfo, SpanDestination& dest) {
  dest.pub.init_destination = init_span_destination;
  dest.pub.empty_output_buffer = empty_span_destination;
  dest.pub.term_destination = term_span_destination;
  cinfo.dest = &dest.pub;
}

// The standard Huffman tables, as jpeg_set_defaults installs them in a fresh struct.
struct StandardHuffmanTables {
  JHUFF_TBL dc[2];
  JHUFF_TBL ac[2];
};

inline bool guarded_capture_standard_tables(jpeg_compress_struct* cinfo, JpegErrorManager* errors,
                                            StandardHuffmanTables* tables) {
  if (setjmp(errors->jump) != 0) return false;
  cinfo->in_color_space = JCS_RGB;
  cinfo->input_components = 3;
  jpeg_set_defaults(cinfo);
  for (int i = 0; i < 2; ++i) {
    tables->dc[i] = *cinfo->dc_huff_tbl_ptrs[i];
    tables->ac[i] = *cinfo->ac_huff_tbl_ptrs[i];
  }
  return true;
}

// Optimised coding rewrites the Huffman tables in place, and libjpeg-turbo's
// jpeg_set_defaults keeps any table that already exists, so the next crop would inherit the
// previous crop's tables. Copying the standard ones back costs no allocation per crop.
inline void restore_standard_tables(jpeg_compress_struct* cinfo,
                                    const StandardHuffmanTables& tables) {
  for (int i = 0; i < 2; ++i) {
    if (cinfo->dc_huff_tbl_ptrs[i] != nullptr) *cinfo->dc_huff_tbl_ptrs[i] = tables.dc[i];
    if (cinfo->ac_huff_tbl_ptrs[i] != nullptr) *cinfo->ac_huff_tbl_ptrs[i] = tables.ac[i];
  }
}

}  // namespace tessera::detail
