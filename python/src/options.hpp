// The keyword arguments of the Python calls, read into the command line's own structs
// (EncodeArgs, RunArgs, OutputArgs) so that names, defaults and checks are the command line's,
// and the plan arguments of crop(), tile() and random() read into plan specs. Each call passes
// its arguments as one dict (tessera/__init__.py passes locals()). Wrong types raise TypeError,
// wrong values ValueError, each naming the argument.
#pragma once

#include <pybind11/pybind11.h>

#include "cli_options.hpp"
#include "tessera/engine/plan.hpp"

namespace tessera::python {

cli::EncodeArgs encode_args(const pybind11::dict& args);
cli::RunArgs run_args(const pybind11::dict& args);
cli::OutputArgs output_args(const pybind11::dict& args);
std::uint64_t max_pixels_arg(const pybind11::dict& args);

// The encode options of a call ("format=None" writes JPEG, as the command line does).
EncodeOptions encode_options(const cli::EncodeArgs& args);
// Checked against the engine's caps.
EngineOptions engine_options(const cli::RunArgs& args);

PlanSpec roi_plan(const pybind11::dict& args);     // rois, edge, fill
PlanSpec grid_plan(const pybind11::dict& args);    // tile, overlap, stride, edge, fill
PlanSpec random_plan(const pybind11::dict& args);  // count, size, seed

// The command line's defaults, for the signatures in __init__.py.
pybind11::dict defaults();

}  // namespace tessera::python
