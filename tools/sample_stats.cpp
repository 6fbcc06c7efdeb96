#include "sample_stats.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::cli {

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

Summary summarize(const std::vector<double>& samples) {
  if (samples.empty()) return {};
  Summary s;
  s.median = median_of(samples);
  s.min = *std::min_element(samples.begin(), samples.end());
  s.max = *std::max_element(samples.begin(), samples.end());
  std::vector<double> deviations;
  deviations.reserve(samples.size());
  for (double r : samples) deviations.push_back(std::abs(r - s.median));
  s.mad = median_of(std::move(deviations));
  return s;
}

}  // namespace tessera::cli
