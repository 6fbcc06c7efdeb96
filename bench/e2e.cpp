// tessera_e2e: the end-to-end comparison of the design's performance model, in one run.
// One input, one plan, equal codec settings; every variant runs in its own forked child so its
// peak RSS is its own. Prints a table and optionally writes every figure as JSON.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "e2e_options.hpp"
#include "machine_info.hpp"
#include "opencv_loops.hpp"
#include "stats.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera_runs.hpp"

namespace tessera::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kTargetEfficiency = 0.9;
constexpr double kTargetSpeedupNaive = 2.5;
constexpr double kTargetSpeedupParallel = 1.8;
constexpr double kTargetRssShare = 0.20;

struct InputInfo {
  std::string path;
  bool generated = false;
  ImageHeader header;
  std::uint64_t file_bytes = 0;
  std::uint64_t decoded_bytes = 0;
};

struct Variant {
  std::string name;
  ChildOutcome outcome;
};

std::string generated_path(const E2eOptions& options) {
  return fmt::format("/tmp/tessera_e2e_{}_{}.{}", ::getpid(), options.size,
                     file_extension(options.input_format));
}

bool probe_input(InputInfo& info) {
  auto input = InputBytes::open_file(info.path);
  if (!input) {
    fmt::print(stderr, "{}\n", input.error().message);
    return false;
  }
  info.file_bytes = input->size().value_or(0);
  auto decoder = open_decoder(*input);
  if (!decoder) {
    fmt::print(stderr, "{}\n", decoder.error().message);
    return false;
  }
  info.header = (*decoder)->header();
  info.decoded_bytes = static_cast<std::uint64_t>(info.header.width) *
                       static_cast<std::uint64_t>(info.header.height) *
                       static_cast<std::uint64_t>(channel_count(info.header.format));
  return true;
}

ChildOutcome run_variant(const char* label, const std::function<nlohmann::json()>& body) {
  fmt::print(stderr, "  running {} ...\n", label);
  ChildOutcome outcome = run_in_child(body);
  if (!outcome.ok)
    fmt::print(stderr, "  {} failed: {}\n", label, outcome.result.value("error", "?"));
  return outcome;
}

Summary wall(const ChildOutcome& outcome, const char* key = "wall_s") {
  return outcome.ok ? summary_from_json(outcome.result[key]) : Summary{};
}

// "CPU 3.1 s = 1.8 cores": how much of the machine a variant actually got.
std::string cpu_use(const ChildOutcome& outcome) {
  if (!outcome.ok || !outcome.result.contains("cpu_s")) return "";
  const double cpu = summary_from_json(outcome.result["cpu_s"]).median;
  const double seconds = wall(outcome).median;
  return fmt::format("CPU {:.2f} s = {:.2f} cores; ", cpu, seconds > 0 ? cpu / seconds : 0);
}

std::string mark(bool ok) {
  return ok ? "ok" : "BELOW TARGET";
}

double rss_share(const ChildOutcome& outcome, const InputInfo& input) {
  return double(outcome.peak_rss_kib) * 1024.0 / double(input.decoded_bytes);
}

void print_row(const std::string& name, const Summary& s, const ChildOutcome* outcome,
               const InputInfo& input, const std::string& extra) {
  std::string rss = "";
  if (outcome != nullptr) {
    rss = fmt::format("{:8.1f} {:6.1f}%", double(outcome->peak_rss_kib) / 1024.0,
                      100.0 * rss_share(*outcome, input));
  }
  fmt::print("{:<44} {:8.3f}  {:7.3f}..{:<7.3f} {:<16} {}\n", name, s.median, s.min, s.max, rss,
             extra);
}

nlohmann::json outcome_json(const ChildOutcome& outcome, const InputInfo& input) {
  nlohmann::json json = outcome.result;
  json["peak_rss_kib"] = outcome.peak_rss_kib;
  json["peak_rss_share_of_decoded"] = rss_share(outcome, input);
  return json;
}

// Every variant, each measured in its own child process.
struct Measurements {
  ChildOutcome de;        // D and E: tessera's decode and the sum of its encodes, 1 thread
  ChildOutcome w;         // W: the engine on c threads
  ChildOutcome w1;        // W1: the engine on 1 thread
  ChildOutcome naive;     // OpenCV imread, then imencode per ROI
  ChildOutcome parallel;  // the same with c threads
  ChildOutcome check;     // crop counts and spot crops compared
};

// The figures the design's performance model asks for, from the measurements.
struct Figures {
  Summary d, e, ws, w1s, naive_s, parallel_s;
  double bound = 0;
  double no_overlap = 0;
  double efficiency = 0;
  double speedup_naive = 0;
  double speedup_parallel = 0;
  double w_rss_share = 0;
  std::uint64_t planned = 0;
  std::uint64_t tessera_crops = 0;
  std::uint64_t opencv_crops = 0;
  std::uint64_t parallel_crops = 0;
  std::string mismatch;
  bool settings_equal = false;
};

struct E2eRun {
  const E2eOptions& options;
  int threads = 1;
  InputInfo input;
  nlohmann::json generation;
  std::string plan_text;
  nlohmann::json machine;
  Measurements m;
  Figures f;
};

// Generates the demo input unless one was given, then reads its header.
bool prepare_input(E2eRun& r) {
  r.input.path = r.options.input;
  if (r.input.path.empty()) {
    r.input.path = generated_path(r.options);
    r.input.generated = true;
    fmt::print(stderr, "generating a {0}x{0} demo image as {1} ...\n", r.options.size,
               r.input.path);
    const ChildOutcome made = run_in_child([&] { return generate_input(r.options, r.input.path); });
    if (!made.ok) {
      fmt::print(stderr, "cannot generate the input: {}\n", made.result.value("error", "?"));
      return false;
    }
    r.generation = made.result;
  }
  return probe_input(r.input);
}

Measurements measure_all(const E2eOptions& options, const std::string& path, int threads) {
  fmt::print(stderr, "measuring ({} repeats per variant, one child process each):\n",
             options.repeat);
  Measurements m;
  m.de = run_variant("D+E (tessera decode, encode sum)",
                     [&] { return measure_decode_and_encode(options, path); });
  m.w = run_variant("W (tessera engine, c threads)",
                    [&] { return measure_engine(options, path, threads); });
  m.w1 = run_variant("W1 (tessera engine, 1 thread)",
                     [&] { return measure_engine(options, path, 1); });
  m.naive = run_variant("OpenCV naive loop", [&] { return measure_opencv(options, path, 1); });
  m.parallel =
      run_variant("OpenCV parallel loop", [&] { return measure_opencv(options, path, threads); });
  m.check = run_variant("equality check", [&] { return check_equality(options, path, threads); });
  return m;
}

std::uint64_t crops_of(const ChildOutcome& outcome, const char* key = "crops") {
  return outcome.ok ? outcome.result.value(key, std::uint64_t{0}) : 0;
}

Figures figures_of(const E2eRun& r) {
  const Measurements& m = r.m;
  Figures f;
  f.d = wall(m.de, "decode_s");
  f.e = wall(m.de, "encode_s");
  f.ws = wall(m.w);
  f.w1s = wall(m.w1);
  f.naive_s = wall(m.naive);
  f.parallel_s = wall(m.parallel);
  const double c = double(r.threads);
  f.bound = std::max(f.d.median, (f.d.median + f.e.median) / c);
  f.no_overlap = f.d.median + f.e.median / c;
  f.efficiency = f.ws.median > 0 ? f.bound / f.ws.median : 0;
  f.speedup_naive = f.ws.median > 0 ? f.naive_s.median / f.ws.median : 0;
  f.speedup_parallel = f.ws.median > 0 ? f.parallel_s.median / f.ws.median : 0;
  f.w_rss_share = rss_share(m.w, r.input);
  f.planned = crops_of(m.check, "planned_crops");
  f.tessera_crops = crops_of(m.w);
  f.opencv_crops = crops_of(m.naive);
  f.parallel_crops = crops_of(m.parallel);
  const bool counts_equal = f.planned > 0 && f.tessera_crops == f.planned &&
                            f.opencv_crops == f.planned && f.parallel_crops == f.planned;
  const bool png = r.options.format == OutputFormat::kPng;
  const bool pixels_equal = m.check.ok && m.check.result.value("spot_pixels_identical", false);
  f.mismatch = settings_mismatch(r.options);
  f.settings_equal = f.mismatch.empty() && counts_equal && (!png || pixels_equal);
  return f;
}

// What was measured, on what, with which settings.
void print_setup(const E2eRun& r) {
  const ImageHeader& h = r.input.header;
  fmt::print(
      "\ntessera_e2e: {} {}x{} {} {}{} ({:.1f} MiB file, {:.1f} MiB decoded {})\n",
      r.input.generated ? "generated" : r.input.path, h.width, h.height, to_string(h.container),
      r.input.generated ? (r.options.input_format == OutputFormat::kPng ? "level 6 " : "q95 ") : "",
      to_string(h.subsampling), double(r.input.file_bytes) / kMiB,
      double(r.input.decoded_bytes) / kMiB, to_string(h.format));
  fmt::print("plan: {} -> {} crops; c = {} threads; {} repeats (median, min..max)\n", r.plan_text,
             r.f.planned, r.threads, r.options.repeat);
  fmt::print("tessera settings: {}\n", describe_tessera_settings(r.options));
  fmt::print("OpenCV settings:  {}; cv::setNumThreads(0) so OpenCV's pool does not compete\n",
             describe_opencv_settings(r.options));
  fmt::print("machine: {} x {}; load {}\n", r.machine["nproc"].get<unsigned>(),
             r.machine["cpu_model"].get<std::string>(), r.machine["loadavg"].get<std::string>());
  if (std::stod(r.machine["loadavg"].get<std::string>()) >
      double(r.machine["nproc"].get<unsigned>())) {
    fmt::print(
        "WARNING: the machine is busier than its core count; wall times are inflated "
        "(compare each variant's CPU s and cores)\n");
  }
  fmt::print("\n");
}

// One row per variant.
void print_variants(const E2eRun& r) {
  fmt::print("{:<44} {:>8}  {:^17} {:>8} {:>7}\n", "variant", "median s", "min..max s", "RSS MiB",
             "% dec");
  print_row("D  tessera decode, 1 thread (warm memory)", r.f.d, &r.m.de, r.input,
            r.m.de.ok ? fmt::format("CPU {:.3f} s (mean); first decode (fresh memory) {:.3f} s",
                                    r.m.de.result.value("decode_cpu_mean_s", 0.0),
                                    r.m.de.result.value("decode_fresh_s", 0.0))
                      : "");
  print_row("E  tessera encode sum, 1 thread", r.f.e, nullptr, r.input,
            r.m.de.ok ? fmt::format("CPU {:.3f} s (mean); {} crops, {:.1f} MiB",
                                    r.m.de.result.value("encode_cpu_mean_s", 0.0),
                                    r.m.de.result.value("crops", 0),
                                    r.m.de.result.value("bytes", 0.0) / kMiB)
                      : "");
  print_row(
      fmt::format("W  tessera engine, {} threads", r.threads), r.f.ws, &r.m.w, r.input,
      r.m.w.ok
          ? fmt::format("{}{} crops, {:.1f} MiB; window peak {:.1f} MiB, pool {:.1f} MiB",
                        cpu_use(r.m.w), r.f.tessera_crops, r.m.w.result.value("bytes", 0.0) / kMiB,
                        r.m.w.result.value("peak_window_bytes", 0.0) / kMiB,
                        r.m.w.result.value("pool_bytes", 0.0) / kMiB)
          : "");
  print_row("W1 tessera engine, 1 thread", r.f.w1s, &r.m.w1, r.input, cpu_use(r.m.w1));
  print_row("OpenCV naive: imread + imencode loop", r.f.naive_s, &r.m.naive, r.input,
            r.m.naive.ok ? fmt::format("{}imread {:.3f} s; {:.1f} MiB", cpu_use(r.m.naive),
                                       wall(r.m.naive, "imread_s").median,
                                       r.m.naive.result.value("bytes", 0.0) / kMiB)
                         : "");
  print_row(fmt::format("OpenCV parallel: imread + {} threads", r.threads), r.f.parallel_s,
            &r.m.parallel, r.input,
            r.m.parallel.ok ? fmt::format("{}{:.1f} MiB", cpu_use(r.m.parallel),
                                          r.m.parallel.result.value("bytes", 0.0) / kMiB)
                            : "");
}

void print_spot_check(const ChildOutcome& check) {
  if (!check.ok) return;
  int bytes_same = 0;
  int pixels_same = 0;
  for (const auto& spot : check.result["spot_crops"]) {
    bytes_same += spot.value("bytes_identical", false) ? 1 : 0;
    pixels_same += spot.value("pixels_identical", false) ? 1 : 0;
  }
  fmt::print("spot check ({} crops, decoded by tessera): identical pixels {}, identical bytes {}\n",
             check.result["spot_crops"].size(), pixels_same, bytes_same);
}

// The model's figures against their targets, and whether both sides used equal settings.
void print_verdicts(const E2eRun& r) {
  fmt::print("\nbound max(D, (D+E)/c) = {:.3f} s (no overlap D + E/c = {:.3f} s)\n", r.f.bound,
             r.f.no_overlap);
  fmt::print("efficiency bound / W  = {:.2f}   (target >= {:.1f}: {})\n", r.f.efficiency,
             kTargetEfficiency, mark(r.f.efficiency >= kTargetEfficiency));
  fmt::print("W1 / W (scaling)      = {:.2f}x\n",
             r.f.ws.median > 0 ? r.f.w1s.median / r.f.ws.median : 0);
  fmt::print("speedup vs naive      = {:.2f}x  (target >= {:.1f}x: {})\n", r.f.speedup_naive,
             kTargetSpeedupNaive, mark(r.f.speedup_naive >= kTargetSpeedupNaive));
  fmt::print("speedup vs parallel   = {:.2f}x  (target >= {:.1f}x on 2 cores: {})\n",
             r.f.speedup_parallel, kTargetSpeedupParallel,
             mark(r.f.speedup_parallel >= kTargetSpeedupParallel));
  fmt::print(
      "peak RSS of W         = {:.1f}% of decoded (target < {:.0f}%: {}); input file is {:.1f}% of "
      "it and is read in 64 KiB chunks, child RSS at start {:.1f} MiB\n",
      100 * r.f.w_rss_share, 100 * kTargetRssShare, mark(r.f.w_rss_share < kTargetRssShare),
      100.0 * double(r.input.file_bytes) / double(r.input.decoded_bytes),
      double(r.m.w.start_rss_kib) / 1024.0);
  fmt::print("crops: plan {} / tessera {} / OpenCV naive {} / OpenCV parallel {}\n", r.f.planned,
             r.f.tessera_crops, r.f.opencv_crops, r.f.parallel_crops);
  print_spot_check(r.m.check);
  fmt::print("total bytes: tessera {} / OpenCV {}\n",
             r.m.w.ok ? r.m.w.result.value("bytes", std::uint64_t{0}) : 0,
             r.m.naive.ok ? r.m.naive.result.value("bytes", std::uint64_t{0}) : 0);
  if (r.f.settings_equal) {
    fmt::print("settings equal\n");
  } else {
    fmt::print("SETTINGS NOT EQUAL: {}\n",
               r.f.mismatch.empty() ? "crop counts or spot pixels differ" : r.f.mismatch);
  }
}

nlohmann::json input_json(const E2eRun& r) {
  const InputInfo& input = r.input;
  const ImageHeader& h = input.header;
  return {{"path", input.generated ? "" : input.path},
          {"generated", input.generated},
          {"generation", r.generation},
          {"width", h.width},
          {"height", h.height},
          {"channels", channel_count(h.format)},
          {"container", to_string(h.container)},
          {"subsampling", to_string(h.subsampling)},
          {"file_bytes", input.file_bytes},
          {"decoded_bytes", input.decoded_bytes}};
}

nlohmann::json variants_json(const E2eRun& r) {
  return {{"decode_encode", outcome_json(r.m.de, r.input)},
          {"engine", outcome_json(r.m.w, r.input)},
          {"engine_1_thread", outcome_json(r.m.w1, r.input)},
          {"opencv_naive", outcome_json(r.m.naive, r.input)},
          {"opencv_parallel", outcome_json(r.m.parallel, r.input)},
          {"equality_check", outcome_json(r.m.check, r.input)}};
}

nlohmann::json derived_json(const Figures& f) {
  return {{"D_s", f.d.median},
          {"E_s", f.e.median},
          {"W_s", f.ws.median},
          {"W1_s", f.w1s.median},
          {"bound_s", f.bound},
          {"no_overlap_s", f.no_overlap},
          {"efficiency", f.efficiency},
          {"speedup_vs_opencv_naive", f.speedup_naive},
          {"speedup_vs_opencv_parallel", f.speedup_parallel},
          {"engine_peak_rss_share", f.w_rss_share},
          {"targets",
           {{"efficiency", kTargetEfficiency},
            {"speedup_vs_opencv_naive", kTargetSpeedupNaive},
            {"speedup_vs_opencv_parallel", kTargetSpeedupParallel},
            {"peak_rss_share", kTargetRssShare}}}};
}

nlohmann::json result_json(const E2eRun& r) {
  return {{"machine", r.machine},
          {"input", input_json(r)},
          {"plan", {{"description", r.plan_text}, {"crops", r.f.planned}}},
          {"threads", r.threads},
          {"repeat", r.options.repeat},
          {"settings",
           {{"tessera", describe_tessera_settings(r.options)},
            {"opencv", describe_opencv_settings(r.options)},
            {"opencv_set_num_threads", 0},
            {"equal", r.f.settings_equal},
            {"mismatch", r.f.mismatch}}},
          {"variants", variants_json(r)},
          {"derived", derived_json(r.f)}};
}

void write_json(const E2eRun& r) {
  std::ofstream file(r.options.json);
  file << result_json(r).dump(2) << '\n';
  if (!file) fmt::print(stderr, "cannot write {}\n", r.options.json);
}

// c: the threads the engine runs with, as the engine itself resolves -j (TBB's count).
int engine_threads(const E2eOptions& options) {
  EngineOptions engine;
  engine.threads = options.threads;
  return resolved_settings(engine).threads;
}

int run(const E2eOptions& options) {
  E2eRun r{options, engine_threads(options), {}, {}, {}, {}, {}, {}};
  if (!prepare_input(r)) return 1;
  r.plan_text = describe(plan_spec(options));
  r.m = measure_all(options, r.input.path, r.threads);
  r.f = figures_of(r);
  r.machine = machine_info();
  print_setup(r);
  print_variants(r);
  print_verdicts(r);
  if (!options.json.empty()) write_json(r);
  if (r.input.generated) {
    if (options.keep_input) {
      fmt::print(stderr, "kept the input: {}\n", r.input.path);
    } else {
      std::remove(r.input.path.c_str());
    }
  }
  const Measurements& m = r.m;
  const bool all_ok = m.de.ok && m.w.ok && m.w1.ok && m.naive.ok && m.parallel.ok && m.check.ok;
  return all_ok && r.f.settings_equal ? 0 : 1;
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto options = tessera::bench::parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  return tessera::bench::run(*options);
}
