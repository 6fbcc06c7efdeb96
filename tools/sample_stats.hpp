// Median, range and spread of repeated timings, shared by `tessera tune` and the benchmarks
// so that both judge noise the same way. Pure arithmetic: it never measures anything itself.
#pragma once

#include <vector>

namespace tessera::cli {

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  double mad = 0;  // median absolute deviation
};

double median_of(std::vector<double> values);  // 0 for no values

// All zeros for no samples.
Summary summarize(const std::vector<double>& samples);

}  // namespace tessera::cli
