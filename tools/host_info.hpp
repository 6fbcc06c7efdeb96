// What a measurement ran on (CPU model, kernel, load), for `tessera tune`'s profile and the
// benchmarks' JSON alike. Best effort: a field that cannot be read is "unknown" or -1, never
// an error.
#pragma once

#include <string>

namespace tessera::cli {

std::string cpu_model();     // the first "model name" of /proc/cpuinfo
std::string kernel_name();   // "Linux 6.1.0-13-amd64"
std::string machine_arch();  // "x86_64"
double load_average();       // the 1-minute load average; -1 when unknown

}  // namespace tessera::cli
