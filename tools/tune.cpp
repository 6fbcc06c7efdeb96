#include "tune.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "host_info.hpp"
#include "job_sources.hpp"
#include "quality_probe.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "tune_report.hpp"
#include "tune_search.hpp"

namespace tessera::cli {
namespace {

int usage_error(const std::string& message) {
  fmt::print(stderr, "tessera tune: {}\nRun 'tessera tune --help' for usage and examples.\n",
             message);
  return kExitUsage;
}

int failure(const Error& error, int code) {
  fmt::print(stderr, "tessera tune: {}\n", error.message);
  return code;
}

Result<PlanSpec> tune_plan(const TuneArgs& args) {
  if (auto spec = plan_from(args.plan)) return std::move(*spec);
  return Error{ErrorCode::kInvalidArgument,
               "tune needs the plan of the job to tune: --tile (grid), --count and --size (random) "
               "or --rois FILE"};
}

// PSNR of every codec choice over a sample of the first input's crops.
Status measure_psnr(const TuneArgs& args, const PlanSpec& plan, Report& report) {
  auto probe = QualityProbe::open(args.inputs.front(), plan, engine_options_from(args.common.run));
  if (!probe) return Error{probe.error().code, "cannot measure PSNR: " + probe.error().message};
  for (const CodecChoice& choice : report.tuner.codecs()) {
    auto options = encode_options_from(with_codec(args.common.encode, choice.change));
    report.psnr.push_back(options ? probe->psnr(*options) : std::nullopt);
  }
  return {};
}

void print_outcome(const TuneArgs& args, const Report& report,
                   const nlohmann::ordered_json& profile) {
  if (args.common.run.json) {
    fmt::print("{}\n", profile.dump());
  } else if (!args.common.run.quiet) {
    print_table(stdout, report);
    fmt::print("tessera tune: wrote {}; use it with --profile {}\n", args.profile_out,
               args.profile_out);
  }
}

}  // namespace

Result<double> parse_duration(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = used == 0 ? std::string() : text.substr(used);
  double factor = 0;
  if (unit.empty() || unit == "s")
    factor = 1;
  else if (unit == "m" || unit == "min")
    factor = 60;
  else if (unit == "h")
    factor = 3600;
  if (used == 0 || factor == 0 || !(value > 0) || !std::isfinite(value)) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format(
            "{} \"{}\" is not a duration; write seconds (90 or 30s), minutes (2m) or hours (1h)",
            option, text)};
  }
  return value * factor;
}

int run_tune(const TuneArgs& args) {
  auto budget = parse_duration(args.time, "--time");
  if (!budget) return usage_error(budget.error().message);
  if (std::find(args.inputs.begin(), args.inputs.end(), "-") != args.inputs.end()) {
    return usage_error("tune runs the job many times, so it cannot read stdin (-); give files");
  }
  if (args.profile_out.empty())
    return usage_error("give the profile to write with -o PROFILE.json");
  auto plan = tune_plan(args);
  if (!plan) return usage_error(plan.error().message);
  auto encode = encode_options_from(args.common.encode);
  if (!encode) return usage_error(encode.error().message);

  const double load_at_start = load_average();
  Tuner tuner(args, *plan, *budget, encode->format);
  if (Status s = run_search(tuner); !s) {
    return failure(s.error(),
                   s.error().code == ErrorCode::kCancelled ? kExitInterrupted : kExitFailed);
  }
  Report report{tuner, {}, describe(*plan), args.common.encode, encode->format};
  if (args.allow_lossy) {
    if (Status s = measure_psnr(args, *plan, report); !s) return failure(s.error(), kExitFailed);
  }
  const auto profile = profile_json(report, load_at_start);
  if (Status s = write_file_atomically(args.profile_out, profile.dump(2) + "\n"); !s)
    return failure(s.error(), kExitFailed);
  print_outcome(args, report, profile);
  return kExitOk;
}

}  // namespace tessera::cli
