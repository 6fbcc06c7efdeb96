// Private: finds and opens the OpenCV decoder module (opencv_module/) once per process, the
// first time an input needs it, so that JPEG and PNG runs never map OpenCV's libraries.
// It never throws and never unloads the module: decoders may be alive until the process ends.
#pragma once

#include <string>

#include "opencv_module/opencv_module_abi.h"

namespace tessera::detail {

struct OpencvModule {
  const tessera_opencv_module* api = nullptr;  // null when it could not be loaded
  std::string error;                           // then: what is missing and what to install
};

// Thread-safe: the first call searches and loads, every later call returns the same result.
// Search order: the directories in TESSERA_MODULE_PATH (colon-separated) if it is set, else
// the directory of the binary that contains this code, the module directory relative to it
// as installed, and last the build tree.
const OpencvModule& opencv_module();

}  // namespace tessera::detail
