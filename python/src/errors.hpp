// How tessera's errors reach Python: tessera.Error (a subclass of Exception) for what is
// wrong with an image, an input or an output, ValueError for a bad argument, each carrying
// the engine's own message.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

#include "tessera/codecs/result.hpp"

namespace tessera::python {

// Creates tessera.Error in `module`; called once, when the module is imported.
void define_error(pybind11::module_& module);

// Raise tessera.Error, or ValueError when the error is the caller's (invalid argument, a
// region outside the image).
[[noreturn]] void raise(const Error& error);
[[noreturn]] void raise_value_error(const std::string& message);
[[noreturn]] void raise_type_error(const std::string& message);

}  // namespace tessera::python
