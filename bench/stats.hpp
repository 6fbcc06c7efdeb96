// Median and range of repeated measurements, and the clock every measurement uses.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

namespace tessera::bench {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
};

Summary summarize(std::vector<double> samples);
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
