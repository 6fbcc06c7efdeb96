#include "errors.hpp"

namespace tessera::python {
namespace {

// The exception type lives as long as the module, which is never unloaded; a static
// py::object would be released after the interpreter is gone.
PyObject* error_type = nullptr;

[[noreturn]] void raise_as(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.c_str());
  throw pybind11::error_already_set();
}

}  // namespace

void define_error(pybind11::module_& module) {
  error_type = PyErr_NewExceptionWithDoc(
      "tessera.Error",
      "An image, input or output tessera could not use; the message says which and why.",
      PyExc_Exception, nullptr);
  if (error_type == nullptr) throw pybind11::error_already_set();
  module.attr("Error") = pybind11::handle(error_type);
}

void raise(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfBounds: raise_as(PyExc_ValueError, error.message);
    case ErrorCode::kUnsupportedFormat:
    case ErrorCode::kCorruptData:
    case ErrorCode::kTruncatedData:
    case ErrorCode::kTooLarge:
    case ErrorCode::kBufferTooSmall:
    case ErrorCode::kIo:
    case ErrorCode::kCancelled:
    case ErrorCode::kInternal: raise_as(error_type, error.message);
  }
  raise_as(error_type, error.message);
}

void raise_value_error(const std::string& message) {
  raise_as(PyExc_ValueError, message);
}

void raise_type_error(const std::string& message) {
  raise_as(PyExc_TypeError, message);
}

}  // namespace tessera::python
