// What a Python call names as its image, turned into a Job's input without a copy: a path
// (str or os.PathLike), encoded bytes (bytes, bytearray, memoryview or any 1-D buffer), or
// decoded pixels (a 2-D or 3-D uint8 buffer: a NumPy array HxW, HxWx1, HxWx3 or HxWx4, RGB
// order), used in place when its rows are packed pixels at any row stride.
// A Source keeps the Python object and its exported buffer for as long as it lives; destroy
// it with the GIL held, and only after the run that reads it has ended.
#pragma once

#include <memory>
#include <string>

#include <pybind11/pybind11.h>

#include "tessera/engine/engine.hpp"

namespace tessera::python {

class Source {
 public:
  // Raises TypeError for an object that is none of the three, ValueError for a buffer that
  // cannot be used as it is (the message says how to convert it).
  static Source from(const pybind11::handle& object);

  // Sets job.path, job.input or job.pixels.
  void apply(Job& job) const;
  // Opens the header only: tessera.info().
  Result<std::unique_ptr<Decoder>> open_header(const DecodeOptions& options) const;
  // The path, "<bytes>" or "<pixels>", as errors and results name it.
  std::string name() const;
  // An HxWx1 array: its raw crops keep the channel axis; other gray crops come back HxW.
  bool channel_axis() const noexcept { return channel_axis_; }

 private:
  std::string path_;
  InputBytes bytes_;
  ImageView pixels_{};
  bool channel_axis_ = false;
  std::shared_ptr<pybind11::buffer_info> buffer_;  // the exported buffer, released last
  pybind11::object owner_;
};

}  // namespace tessera::python
