// `tessera tune`: runs the user's own job list into the null sink under different engine and
// lossless codec settings (PNG level, filter and encoder; JPEG settings only when allowed), and
// writes the fastest as a profile for --profile. It never recommends a setting that it did not
// measure to be faster than the defaults by more than the noise of the measurements, nor one
// whose output is more than --max-size-growth larger, and it never writes crops anywhere.
#pragma once

#include <string>
#include <vector>

#include "cli_options.hpp"

namespace tessera::cli {

struct TuneArgs {
  std::vector<std::string> inputs;
  PlanArgs plan;                // a grid, random crops or a ROI file (--rois)
  CommonArgs common;            // encode and run options; the output is unused
  std::string time = "60s";     // the budget
  std::string profile_out;      // PROFILE.json
  bool allow_lossy = false;     // also try JPEG settings, which change the decoded pixels
  double max_size_growth = 10;  // percent more output bytes than the defaults' a choice may take
};

// "60s", "2m", "90" (seconds), "1.5m", "1h" -> seconds; positive.
Result<double> parse_duration(const std::string& text, const std::string& option);

int run_tune(const TuneArgs& args);

}  // namespace tessera::cli
