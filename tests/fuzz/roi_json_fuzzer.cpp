// Fuzzes the JSON ROI parser, then plans every list it accepts against a fixed image.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = tessera::parse_roi_json(text, "fuzz.json");
  if (list) tessera::fuzz::plan_roi_list(*list);
  return 0;
}
