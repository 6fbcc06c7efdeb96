// Median and range of repeated measurements as the benchmarks' JSON holds them, and the clock
// every measurement uses. The arithmetic is tessera_cli's, shared with `tessera tune`.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "sample_stats.hpp"

namespace tessera::bench {

using cli::summarize;
using cli::Summary;
nlohmann::json to_json(const Summary& summary, const std::vector<double>& samples);
Summary summary_from_json(const nlohmann::json& json);

// CPU time of every thread of this process, to tell a slow run from one starved of cores.
double process_cpu_seconds();

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tessera::bench
