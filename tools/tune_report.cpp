#include "tune_report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "host_info.hpp"
#include "profile.hpp"

namespace tessera::cli {
namespace {

using json = nlohmann::ordered_json;

constexpr double kMega = 1e6;
constexpr double kMilli = 1e3;

std::string psnr_text(std::optional<double> psnr) {
  if (!psnr) return "n/a";
  if (std::isinf(*psnr)) return "lossless";
  return fmt::format("{:.2f}", *psnr);
}

json psnr_json(std::optional<double> psnr) {
  if (!psnr || std::isinf(*psnr)) return nullptr;
  return *psnr;
}

std::string codec_label(const Tuner& tuner, const Candidate& c) {
  return c.codec == 0 ? std::string("as given") : tuner.codecs()[c.codec].label;
}

std::string verdict(const Tuner& tuner) {
  const Candidate& best = tuner.chosen();
  const Candidate& defaults = tuner.candidates().front();
  if (&best == &defaults) return "the defaults are already the best (within noise)";
  const double noise = noise_between(defaults.timing, best.timing);
  return fmt::format(
      "\"{}\" is {:.1f}% faster than the defaults (median {:.4f} s vs {:.4f} s; noise {:.4f} s)",
      best.label, 100.0 * (defaults.timing.median / best.timing.median - 1.0), best.timing.median,
      defaults.timing.median, noise);
}

json candidate_json(const Tuner& tuner, const Candidate& c, const Report& report) {
  json out = {{"setting", c.label},
              {"engine", engine_json({c.engine.threads, c.engine.crops_in_flight,
                                      c.engine.band_rows, c.engine.jobs_in_flight})},
              {"codec", codec_label(tuner, c)},
              {"runs_s", c.timing.runs},
              {"median_s", c.timing.median},
              {"min_s", c.timing.min},
              {"max_s", c.timing.max},
              {"mad_s", c.timing.mad},
              {"mp_per_s", c.mp_per_s()},
              {"crops", c.crops},
              {"bytes_out", c.bytes_out}};
  if (!report.psnr.empty()) {
    out["psnr_db"] = psnr_json(report.psnr[c.codec]);
    out["lossless"] = report.psnr[c.codec] && std::isinf(*report.psnr[c.codec]);
  }
  return out;
}

json machine_json(double load_at_start) {
  return {{"cores", resolved_settings().threads},
          {"cpu", cpu_model()},
          {"kernel", kernel_name() + " " + machine_arch()},
          {"load_average_start", load_at_start},
          {"load_average_end", load_average()}};
}

}  // namespace

void print_table(std::FILE* out, const Report& report) {
  const Tuner& tuner = report.tuner;
  const bool lossy = !report.psnr.empty();
  const Candidate& defaults = tuner.candidates().front();
  const Candidate& best = tuner.chosen();
  fmt::print(out,
             "tessera tune: {}; {} runs per setting; sink: null (its concurrency is fixed, not "
             "searched)\n",
             report.plan, tuner.repeats());
  fmt::print(out, "  {:<36} {:>7} {:>6} {:>5} {:>4} {:>10} {:>19} {:>7} {:>8} {:>8} {:>9} {:>8}",
             "setting", "threads", "crops", "band", "jobs", "median ms", "min..max ms", "MAD ms",
             "MP/s", "vs def", "size MB", "vs def");
  if (lossy) fmt::print(out, " {:>9}", "PSNR dB");
  fmt::print(out, "\n");
  for (const Candidate& c : tuner.candidates()) {
    const char mark = &c == &best ? '*' : ' ';
    const double gain = 100.0 * (defaults.timing.median / c.timing.median - 1.0);
    const double growth =
        100.0 * (static_cast<double>(c.bytes_out) /
                     static_cast<double>(std::max<std::uint64_t>(1, defaults.bytes_out)) -
                 1.0);
    fmt::print(out,
               "{} {:<36} {:>7} {:>6} {:>5} {:>4} {:>10.1f} {:>9.1f}..{:<8.1f} {:>7.1f} {:>8.1f} "
               "{:>+7.1f}% {:>9.3f} {:>+7.1f}%",
               mark, c.label, c.engine.threads, c.engine.crops_in_flight, c.engine.band_rows,
               c.engine.jobs_in_flight, kMilli * c.timing.median, kMilli * c.timing.min,
               kMilli * c.timing.max, kMilli * c.timing.mad, c.mp_per_s(), gain,
               static_cast<double>(c.bytes_out) / kMega, growth);
    if (lossy) fmt::print(out, " {:>9}", psnr_text(report.psnr[c.codec]));
    fmt::print(out, "\n");
  }
  if (tuner.out_of_budget())
    fmt::print(out, "  (the time budget ended the search; a longer --time tries more)\n");
  if (tuner.codecs().size() > 1) {
    fmt::print(out,
               "  (a codec setting is chosen only if its output is at most {:g}% larger; "
               "--max-size-growth)\n",
               tuner.max_size_growth());
  }
  fmt::print(out, "tessera tune: {}\n", verdict(tuner));
}

json profile_json(const Report& report, double load_at_start) {
  const Tuner& tuner = report.tuner;
  const Candidate& best = tuner.chosen();
  const Candidate& defaults = tuner.candidates().front();
  json candidates = json::array();
  for (const Candidate& c : tuner.candidates())
    candidates.push_back(candidate_json(tuner, c, report));
  json profile = {
      {"tessera_profile", kProfileVersion},
      {"engine", engine_json({best.engine.threads, best.engine.crops_in_flight,
                              best.engine.band_rows, best.engine.jobs_in_flight})},
  };
  if (tuner.codecs().size() > 1)
    profile["codec"] = codec_json(codec_settings(
        with_codec(report.encode, tuner.codecs()[best.codec].change), report.format));
  profile["measured"] = {{"verdict", verdict(tuner)},
                         {"defaults_are_best", &best == &defaults},
                         {"plan", report.plan},
                         {"sink", "null (concurrency fixed, not searched)"},
                         {"runs_per_setting", tuner.repeats()},
                         {"budget_s", tuner.budget_s()},
                         {"elapsed_s", tuner.elapsed_s()},
                         {"noise_s", noise_between(defaults.timing, best.timing)},
                         {"max_size_growth_percent", tuner.max_size_growth()},
                         {"defaults_bytes_out", defaults.bytes_out},
                         {"chosen_bytes_out", best.bytes_out},
                         {"defaults_median_s", defaults.timing.median},
                         {"chosen_median_s", best.timing.median},
                         {"speedup", defaults.timing.median / best.timing.median},
                         {"candidates", candidates}};
  profile["machine"] = machine_json(load_at_start);
  return profile;
}

}  // namespace tessera::cli
