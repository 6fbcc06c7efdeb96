// Private: a libjpeg source manager that pulls the file's bytes from a ByteSource, a chunk at a
// time, so a file is read with read() and never mapped, and stdin streams.
// Its callbacks run inside libjpeg's C frames and never throw. A failed read is kept in
// `failure` and reported to libjpeg as a fatal error; the end of the data is handled as libjpeg
// expects, with a "premature end" warning and a fake EOI marker.
#pragma once

#include <cstddef>
#include <cstdio>  // jpeglib.h needs FILE
#include <optional>

#include <jpeglib.h>

#include "tessera/codecs/input.hpp"

namespace tessera::detail {

struct JpegSource {
  jpeg_source_mgr pub;  // first member: libjpeg only ever sees this part
  ByteSource* source = nullptr;
  std::optional<Error> failure;  // why the source stopped early, when it did
};

// Points cinfo at `state`, which reads from `source`; both outlive cinfo's use of them.
void install_jpeg_source(jpeg_decompress_struct& cinfo, JpegSource& state, ByteSource& source);

// Bytes of the file not yet consumed by libjpeg, when the file's size is known.
std::optional<std::size_t> jpeg_bytes_left(const JpegSource& state, const InputBytes& input);

}  // namespace tessera::detail
