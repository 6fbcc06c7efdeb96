#include "sources.hpp"

#include <fmt/format.h>

#include "errors.hpp"

namespace tessera::python {
namespace py = pybind11;

namespace {

std::string type_name(const py::handle& object) {
  return py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>();
}

bool is_path(const py::handle& object) {
  return py::isinstance<py::str>(object) || py::hasattr(object, "__fspath__");
}

std::string shape_text(const py::buffer_info& info) {
  std::string text = "(";
  for (std::size_t i = 0; i < info.shape.size(); ++i)
    text += fmt::format("{}{}", i == 0 ? "" : ", ", info.shape[i]);
  return text + (info.shape.size() == 1 ? ",)" : ")");
}

// NumPy names its dtypes ("float64"); other buffers give a struct format ("d").
std::string dtype_text(const py::handle& object, const py::buffer_info& info) {
  if (py::hasattr(object, "dtype")) return py::str(object.attr("dtype")).cast<std::string>();
  return fmt::format("format '{}'", info.format);
}

PixelFormat pixel_format_of(const py::buffer_info& info) {
  const py::ssize_t channels = info.ndim == 2 ? 1 : info.shape[2];
  switch (channels) {
    case 1: return PixelFormat::kGray8;
    case 3: return PixelFormat::kRgb8;
    case 4: return PixelFormat::kRgba8;
    default: break;
  }
  raise_value_error(fmt::format(
      "an array of shape {} has {} channels; tessera reads HxW or HxWx1 (gray), HxWx3 (RGB) "
      "or HxWx4 (RGBA) uint8 pixels",
      shape_text(info), channels));
}

// The pixels as a view of the buffer's own memory: rows at any positive stride, each row a
// run of packed pixels.
ImageView pixel_view(const py::handle& object, const py::buffer_info& info) {
  if (info.ndim != 2 && info.ndim != 3) {
    raise_value_error(fmt::format(
        "an array of shape {} is not an image; tessera reads HxW, HxWx1, HxWx3 or HxWx4 uint8 "
        "pixels (1-D buffers are read as encoded image bytes)",
        shape_text(info)));
  }
  if (info.itemsize != 1 || (info.format != "B" && info.format != "c")) {
    raise_value_error(
        fmt::format("the array's dtype is {}; tessera reads uint8 pixels (0..255): convert with "
                    "array.astype(numpy.uint8) after scaling to that range",
                    dtype_text(object, info)));
  }
  const PixelFormat format = pixel_format_of(info);
  const py::ssize_t channels = channel_count(format);
  if (info.shape[0] <= 0 || info.shape[1] <= 0) {
    raise_value_error(fmt::format("an array of shape {} holds no pixels", shape_text(info)));
  }
  const bool packed = info.strides[1] == channels && (info.ndim == 2 || info.strides[2] == 1) &&
                      info.strides[0] >= info.shape[1] * channels;
  if (!packed) {
    std::string strides;
    for (const py::ssize_t s : info.strides)
      strides += fmt::format("{}{}", strides.empty() ? "" : ", ", s);
    raise_value_error(fmt::format(
        "the array's pixels are not stored row by row (strides ({}) for shape {}); tessera "
        "reads rows of packed pixels at any row stride, such as a C-contiguous array or a "
        "slice of one: pass numpy.ascontiguousarray(array)",
        strides, shape_text(info)));
  }
  return ImageView{static_cast<const std::uint8_t*>(info.ptr), static_cast<int>(info.shape[1]),
                   static_cast<int>(info.shape[0]), static_cast<std::size_t>(info.strides[0]),
                   format};
}

}  // namespace

Source Source::from(const py::handle& object) {
  Source source;
  if (is_path(object)) {
    const py::object os = py::module_::import("os");
    source.path_ = os.attr("fsdecode")(os.attr("fspath")(object)).cast<std::string>();
    if (source.path_.empty()) raise_value_error("the path is empty; name an image file");
    return source;
  }
  if (!PyObject_CheckBuffer(object.ptr())) {
    raise_type_error(fmt::format(
        "src must be a path (str or os.PathLike), encoded image bytes (bytes, bytearray, "
        "memoryview) or a NumPy uint8 array of pixels, not {}",
        type_name(object)));
  }
  auto* view = new Py_buffer();  // buffer_info releases the export and deletes the view
  if (PyObject_GetBuffer(object.ptr(), view, PyBUF_RECORDS_RO) != 0) {
    delete view;
    throw py::error_already_set();
  }
  source.buffer_ = std::make_shared<py::buffer_info>(view, true);
  source.owner_ = py::reinterpret_borrow<py::object>(object);
  const py::buffer_info& info = *source.buffer_;
  if (info.ndim <= 1) {
    const bool contiguous = info.ndim == 0 || info.strides[0] == info.itemsize;
    if (!contiguous) {
      raise_value_error("the bytes are not contiguous; pass bytes(data) or a contiguous copy");
    }
    const auto size = static_cast<std::size_t>(info.size * info.itemsize);
    source.bytes_ =
        InputBytes::borrow({static_cast<const std::uint8_t*>(info.ptr), size}, "<bytes>");
    return source;
  }
  source.pixels_ = pixel_view(object, info);
  source.channel_axis_ = info.ndim == 3;
  return source;
}

void Source::apply(Job& job) const {
  if (!path_.empty()) {
    job.path = path_;
  } else if (pixels_.data != nullptr) {
    job.pixels = pixels_;
  } else {
    job.input = bytes_;
  }
}

std::string Source::name() const {
  if (!path_.empty()) return path_;
  if (pixels_.data != nullptr) return std::string(kPixelsName);
  return bytes_.name();
}

Result<std::unique_ptr<Decoder>> Source::open_header(const DecodeOptions& options) const {
  if (pixels_.data != nullptr) return open_pixels(pixels_, std::string(kPixelsName));
  if (path_.empty()) return open_decoder(bytes_, options);
  auto input = InputBytes::open_file(path_);
  if (!input) return std::move(input).error();
  return open_decoder(std::move(input).value(), options);
}

}  // namespace tessera::python
