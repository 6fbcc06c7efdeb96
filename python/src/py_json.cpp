#include "py_json.hpp"

#include <fmt/format.h>

#include "errors.hpp"

namespace tessera::python {
namespace py = pybind11;

py::object to_python(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(value.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(value.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(value.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(value.get<double>());
    case nlohmann::json::value_t::string: return py::str(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::binary: return py::none();
    case nlohmann::json::value_t::array: {
      py::list list;
      for (const auto& item : value) list.append(to_python(item));
      return list;
    }
    case nlohmann::json::value_t::object: {
      py::dict dict;
      for (const auto& [key, item] : value.items()) dict[py::str(key)] = to_python(item);
      return dict;
    }
  }
  return py::none();
}

std::string to_json_line(const py::handle& job, const std::string& what) {
  if (!py::isinstance<py::dict>(job)) {
    raise_type_error(
        fmt::format("{} must be a dict like {{\"input\": \"image.jpg\", \"tile\": 256}}, "
                    "not {}",
                    what, py::str(py::type::handle_of(job).attr("__name__")).cast<std::string>()));
  }
  const py::object json = py::module_::import("json");
  const py::object os = py::module_::import("os");
  try {
    return json.attr("dumps")(job, py::arg("default") = os.attr("fspath")).cast<std::string>();
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError)) throw;
    raise_type_error(fmt::format("{}: {}", what, py::str(e.value()).cast<std::string>()));
  }
}

}  // namespace tessera::python
