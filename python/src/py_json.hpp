// JSON values (summaries, headers) as Python objects, and Python job dicts as JSON text.
#pragma once

#include <string>

#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace tessera::python {

pybind11::object to_python(const nlohmann::json& value);
// One JSON line for a job dict; paths (os.PathLike) become strings. Raises TypeError naming
// `what` for anything JSON cannot hold.
std::string to_json_line(const pybind11::handle& job, const std::string& what);

}  // namespace tessera::python
