// Fuzzes the CSV ROI parser, then plans every list it accepts against a fixed image so
// that parsed numbers also go through the edge checks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = tessera::parse_roi_csv(text, "fuzz.csv");
  if (list) tessera::fuzz::plan_roi_list(*list);
  return 0;
}
