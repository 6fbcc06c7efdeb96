// tessera.run(): many images from a manifest or from job dicts, written to a directory, tar
// shards or a Python callable, through the command line's own manifest reader, outputs, key
// prefixes and failure log; and tessera.info(): an image's header.
#pragma once

#include <pybind11/pybind11.h>

namespace tessera::python {

// `args` holds run()'s arguments (jobs, output, plan and every option); returns the summary
// fields (`tessera manifest --json`) plus failures, warnings and bad_lines, for tessera.Stats.
pybind11::dict run_jobs(const pybind11::dict& args);

// `args`: src, max_pixels. The fields of `tessera info --json`.
pybind11::object image_info(const pybind11::dict& args);

}  // namespace tessera::python
