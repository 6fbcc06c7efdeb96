#include "stats.hpp"

#include <time.h>

namespace tessera::bench {

nlohmann::json to_json(const Summary& summary, const std::vector<double>& samples) {
  return {
      {"median", summary.median}, {"min", summary.min}, {"max", summary.max}, {"samples", samples}};
}

double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

Summary summary_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return {};
  return Summary{json.value("median", 0.0), json.value("min", 0.0), json.value("max", 0.0)};
}

}  // namespace tessera::bench
