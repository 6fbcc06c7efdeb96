// What the figures were measured on: cores, CPU model, load, kernel, compiler and library
// versions, so that a JSON result can be compared with another machine's.
#pragma once

#include <nlohmann/json.hpp>

namespace tessera::bench {

nlohmann::json machine_info();

}  // namespace tessera::bench
