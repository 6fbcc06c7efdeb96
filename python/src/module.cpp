// tessera._tessera: the bindings. Each call reads its arguments (one dict, the keyword
// arguments of the wrapper in tessera/__init__.py), builds a Job or a manifest run, and starts
// the engine; docstrings and signatures live in __init__.py and __init__.pyi.
#include <memory>
#include <string>

#include <fmt/format.h>
#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "options.hpp"
#include "run_call.hpp"
#include "sources.hpp"
#include "stream.hpp"
#include "tessera/version.hpp"

namespace tessera::python {
namespace {

namespace py = pybind11;

// Everything but the plan: the source, the codec settings (JPEG when `format` is None) and the run
// options; every argument is checked before the run starts.
std::unique_ptr<CropIterator> start(const py::dict& args, PlanSpec plan) {
  Source source = Source::from(args["src"]);
  const cli::EncodeArgs encode = encode_args(args);
  const cli::RunArgs run = run_args(args);
  Job job;
  job.plan = std::move(plan);
  job.encode = encode_options(encode);
  job.skip_blank = run.skip_blank;
  job.auto_orient = run.auto_orient;
  job.lossless = cli::lossless_mode(encode);
  return std::make_unique<CropIterator>(std::move(source), std::move(job), engine_options(run));
}

std::string crop_repr(const Crop& crop) {
  const std::string key = crop.key.is_none()
                              ? std::string()
                              : fmt::format(", key={}", py::repr(crop.key).cast<std::string>());
  return fmt::format("<tessera.Crop {} x={} y={} w={} h={}{} of {}: {} {}>", crop.index, crop.x,
                     crop.y, crop.w, crop.h, key, crop.source, crop.format,
                     py::isinstance<py::bytes>(crop.data)
                         ? fmt::format("{} bytes", py::len(crop.data))
                         : py::repr(crop.data.attr("shape")).cast<std::string>());
}

}  // namespace
}  // namespace tessera::python

PYBIND11_MODULE(_tessera, m) {
  namespace py = pybind11;
  using namespace tessera::python;
  m.doc() = "tessera's engine; use the functions of the tessera package.";
  m.attr("__version__") = std::string(tessera::kVersion);
  define_error(m);

  py::class_<Crop>(m, "Crop", "One crop: where it came from and its encoded bytes (or pixels).")
      .def_readonly("index", &Crop::index, "position in the plan (ROI list, grid or random draw)")
      .def_readonly("x", &Crop::x)
      .def_readonly("y", &Crop::y)
      .def_readonly("w", &Crop::w)
      .def_readonly("h", &Crop::h)
      .def_readonly("key", &Crop::key, "the ROI's key, or None")
      .def_readonly("source", &Crop::source, "the input: its path, '<bytes>' or '<pixels>'")
      .def_readonly("format", &Crop::format, "'jpeg', 'png' or 'raw'")
      .def_readonly("data", &Crop::data,
                    "the encoded bytes, or for format='raw' a uint8 NumPy array HxW or HxWxC")
      .def("__repr__", &crop_repr);

  py::class_<CropIterator>(m, "CropIterator",
                           "Crops in the engine's delivery order; close() (or del, or the end of "
                           "a with block) stops the run.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &CropIterator::next)
      .def("close", &CropIterator::close)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](CropIterator& self, const py::args&) { self.close(); });

  m.def("crop", [](const py::dict& args) { return start(args, roi_plan(args)); });
  m.def("tile", [](const py::dict& args) { return start(args, grid_plan(args)); });
  m.def("random", [](const py::dict& args) { return start(args, random_plan(args)); });
  m.def("run", &run_jobs);
  m.def("info", &image_info);
  m.def("defaults", &defaults);
  m.def("_stop_all_runs", &stop_all_runs);
}
