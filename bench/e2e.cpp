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
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "e2e_options.hpp"
#include "machine_info.hpp"
#include "opencv_loops.hpp"
#include "stats.hpp"
#include "tessera/codecs/decoder.hpp"
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
  info.file_bytes = input->bytes().size();
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

int run(const E2eOptions& options) {
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  InputInfo input;
  input.path = options.input;
  nlohmann::json generation;
  if (input.path.empty()) {
    input.path = generated_path(options);
    input.generated = true;
    fmt::print(stderr, "generating a {0}x{0} demo image as {1} ...\n", options.size, input.path);
    const ChildOutcome made = run_in_child([&] { return generate_input(options, input.path); });
    if (!made.ok) {
      fmt::print(stderr, "cannot generate the input: {}\n", made.result.value("error", "?"));
      return 1;
    }
    generation = made.result;
  }
  if (!probe_input(input)) return 1;

  const std::string plan_text = describe(plan_spec(options));
  const std::string mismatch = settings_mismatch(options);
  fmt::print(stderr, "measuring ({} repeats per variant, one child process each):\n",
             options.repeat);
  const ChildOutcome de = run_variant("D+E (tessera decode, encode sum)", [&] {
    return measure_decode_and_encode(options, input.path);
  });
  const ChildOutcome w = run_variant("W (tessera engine, c threads)",
                                     [&] { return measure_engine(options, input.path, threads); });
  const ChildOutcome w1 = run_variant("W1 (tessera engine, 1 thread)",
                                      [&] { return measure_engine(options, input.path, 1); });
  const ChildOutcome naive =
      run_variant("OpenCV naive loop", [&] { return measure_opencv(options, input.path, 1); });
  const ChildOutcome parallel = run_variant(
      "OpenCV parallel loop", [&] { return measure_opencv(options, input.path, threads); });
  const ChildOutcome check =
      run_variant("equality check", [&] { return check_equality(options, input.path, threads); });

  const Summary d = wall(de, "decode_s");
  const Summary e = wall(de, "encode_s");
  const Summary ws = wall(w);
  const Summary w1s = wall(w1);
  const Summary naive_s = wall(naive);
  const Summary parallel_s = wall(parallel);
  const double c = double(threads);
  const double bound = std::max(d.median, (d.median + e.median) / c);
  const double no_overlap = d.median + e.median / c;
  const double efficiency = ws.median > 0 ? bound / ws.median : 0;
  const double speedup_naive = ws.median > 0 ? naive_s.median / ws.median : 0;
  const double speedup_parallel = ws.median > 0 ? parallel_s.median / ws.median : 0;
  const double w_rss_share = rss_share(w, input);

  const std::uint64_t planned =
      check.ok ? check.result.value("planned_crops", std::uint64_t{0}) : 0;
  const std::uint64_t tessera_crops = w.ok ? w.result.value("crops", std::uint64_t{0}) : 0;
  const std::uint64_t opencv_crops = naive.ok ? naive.result.value("crops", std::uint64_t{0}) : 0;
  const std::uint64_t parallel_crops =
      parallel.ok ? parallel.result.value("crops", std::uint64_t{0}) : 0;
  const bool counts_equal = planned > 0 && tessera_crops == planned && opencv_crops == planned &&
                            parallel_crops == planned;
  const bool png = options.format == OutputFormat::kPng;
  const bool pixels_equal = check.ok && check.result.value("spot_pixels_identical", false);
  const bool settings_equal = mismatch.empty() && counts_equal && (!png || pixels_equal);

  // The table.
  const ImageHeader& h = input.header;
  fmt::print("\ntessera_e2e: {} {}x{} {} {}{} ({:.1f} MiB file, {:.1f} MiB decoded {})\n",
             input.generated ? "generated" : input.path, h.width, h.height, to_string(h.container),
             input.generated ? (options.input_format == OutputFormat::kPng ? "level 6 " : "q95 ") : "",
             to_string(h.subsampling), double(input.file_bytes) / kMiB,
             double(input.decoded_bytes) / kMiB, to_string(h.format));
  fmt::print("plan: {} -> {} crops; c = {} threads; {} repeats (median, min..max)\n", plan_text,
             planned, threads, options.repeat);
  fmt::print("tessera settings: {}\n", describe_tessera_settings(options));
  fmt::print("OpenCV settings:  {}; cv::setNumThreads(0) so OpenCV's pool does not compete\n",
             describe_opencv_settings(options));
  const nlohmann::json machine = machine_info();
  fmt::print("machine: {} x {}; load {}\n", machine["nproc"].get<unsigned>(),
             machine["cpu_model"].get<std::string>(), machine["loadavg"].get<std::string>());
  if (std::stod(machine["loadavg"].get<std::string>()) > double(machine["nproc"].get<unsigned>())) {
    fmt::print(
        "WARNING: the machine is busier than its core count; wall times are inflated "
        "(compare each variant's CPU s and cores)\n");
  }
  fmt::print("\n");

  fmt::print("{:<44} {:>8}  {:^17} {:>8} {:>7}\n", "variant", "median s", "min..max s", "RSS MiB",
             "% dec");
  print_row("D  tessera decode, 1 thread (warm memory)", d, &de, input,
            de.ok ? fmt::format("CPU {:.3f} s (mean); first decode (fresh memory) {:.3f} s",
                                de.result.value("decode_cpu_mean_s", 0.0),
                                de.result.value("decode_fresh_s", 0.0))
                  : "");
  print_row("E  tessera encode sum, 1 thread", e, nullptr, input,
            de.ok ? fmt::format("CPU {:.3f} s (mean); {} crops, {:.1f} MiB",
                                de.result.value("encode_cpu_mean_s", 0.0),
                                de.result.value("crops", 0), de.result.value("bytes", 0.0) / kMiB)
                  : "");
  print_row(fmt::format("W  tessera engine, {} threads", threads), ws, &w, input,
            w.ok ? fmt::format("{}{} crops, {:.1f} MiB; window peak {:.1f} MiB, pool {:.1f} MiB",
                               cpu_use(w), tessera_crops, w.result.value("bytes", 0.0) / kMiB,
                               w.result.value("peak_window_bytes", 0.0) / kMiB,
                               w.result.value("pool_bytes", 0.0) / kMiB)
                 : "");
  print_row("W1 tessera engine, 1 thread", w1s, &w1, input, cpu_use(w1));
  print_row("OpenCV naive: imread + imencode loop", naive_s, &naive, input,
            naive.ok ? fmt::format("{}imread {:.3f} s; {:.1f} MiB", cpu_use(naive),
                                   wall(naive, "imread_s").median,
                                   naive.result.value("bytes", 0.0) / kMiB)
                     : "");
  print_row(fmt::format("OpenCV parallel: imread + {} threads", threads), parallel_s, &parallel,
            input,
            parallel.ok ? fmt::format("{}{:.1f} MiB", cpu_use(parallel),
                                      parallel.result.value("bytes", 0.0) / kMiB)
                        : "");

  fmt::print("\nbound max(D, (D+E)/c) = {:.3f} s (no overlap D + E/c = {:.3f} s)\n", bound,
             no_overlap);
  fmt::print("efficiency bound / W  = {:.2f}   (target >= {:.1f}: {})\n", efficiency,
             kTargetEfficiency, mark(efficiency >= kTargetEfficiency));
  fmt::print("W1 / W (scaling)      = {:.2f}x\n", ws.median > 0 ? w1s.median / ws.median : 0);
  fmt::print("speedup vs naive      = {:.2f}x  (target >= {:.1f}x: {})\n", speedup_naive,
             kTargetSpeedupNaive, mark(speedup_naive >= kTargetSpeedupNaive));
  fmt::print("speedup vs parallel   = {:.2f}x  (target >= {:.1f}x on 2 cores: {})\n",
             speedup_parallel, kTargetSpeedupParallel,
             mark(speedup_parallel >= kTargetSpeedupParallel));
  fmt::print(
      "peak RSS of W         = {:.1f}% of decoded (target < {:.0f}%: {}); input file is {:.1f}% of "
      "it "
      "and is mapped, child RSS at start {:.1f} MiB\n",
      100 * w_rss_share, 100 * kTargetRssShare, mark(w_rss_share < kTargetRssShare),
      100.0 * double(input.file_bytes) / double(input.decoded_bytes),
      double(w.start_rss_kib) / 1024.0);
  fmt::print("crops: plan {} / tessera {} / OpenCV naive {} / OpenCV parallel {}\n", planned,
             tessera_crops, opencv_crops, parallel_crops);
  if (check.ok) {
    int bytes_same = 0;
    int pixels_same = 0;
    for (const auto& spot : check.result["spot_crops"]) {
      bytes_same += spot.value("bytes_identical", false) ? 1 : 0;
      pixels_same += spot.value("pixels_identical", false) ? 1 : 0;
    }
    fmt::print(
        "spot check ({} crops, decoded by tessera): identical pixels {}, identical bytes {}\n",
        check.result["spot_crops"].size(), pixels_same, bytes_same);
  }
  fmt::print("total bytes: tessera {} / OpenCV {}\n",
             w.ok ? w.result.value("bytes", std::uint64_t{0}) : 0,
             naive.ok ? naive.result.value("bytes", std::uint64_t{0}) : 0);
  if (settings_equal) {
    fmt::print("settings equal\n");
  } else {
    fmt::print("SETTINGS NOT EQUAL: {}\n",
               mismatch.empty() ? "crop counts or spot pixels differ" : mismatch);
  }

  if (!options.json.empty()) {
    nlohmann::json json = {{"machine", machine},
                           {"input",
                            {{"path", input.generated ? "" : input.path},
                             {"generated", input.generated},
                             {"generation", generation},
                             {"width", h.width},
                             {"height", h.height},
                             {"channels", channel_count(h.format)},
                             {"container", to_string(h.container)},
                             {"subsampling", to_string(h.subsampling)},
                             {"file_bytes", input.file_bytes},
                             {"decoded_bytes", input.decoded_bytes}}},
                           {"plan", {{"description", plan_text}, {"crops", planned}}},
                           {"threads", threads},
                           {"repeat", options.repeat},
                           {"settings",
                            {{"tessera", describe_tessera_settings(options)},
                             {"opencv", describe_opencv_settings(options)},
                             {"opencv_set_num_threads", 0},
                             {"equal", settings_equal},
                             {"mismatch", mismatch}}},
                           {"variants",
                            {{"decode_encode", outcome_json(de, input)},
                             {"engine", outcome_json(w, input)},
                             {"engine_1_thread", outcome_json(w1, input)},
                             {"opencv_naive", outcome_json(naive, input)},
                             {"opencv_parallel", outcome_json(parallel, input)},
                             {"equality_check", outcome_json(check, input)}}},
                           {"derived",
                            {{"D_s", d.median},
                             {"E_s", e.median},
                             {"W_s", ws.median},
                             {"W1_s", w1s.median},
                             {"bound_s", bound},
                             {"no_overlap_s", no_overlap},
                             {"efficiency", efficiency},
                             {"speedup_vs_opencv_naive", speedup_naive},
                             {"speedup_vs_opencv_parallel", speedup_parallel},
                             {"engine_peak_rss_share", w_rss_share},
                             {"targets",
                              {{"efficiency", kTargetEfficiency},
                               {"speedup_vs_opencv_naive", kTargetSpeedupNaive},
                               {"speedup_vs_opencv_parallel", kTargetSpeedupParallel},
                               {"peak_rss_share", kTargetRssShare}}}}}};
    std::ofstream file(options.json);
    file << json.dump(2) << '\n';
    if (!file) fmt::print(stderr, "cannot write {}\n", options.json);
  }

  if (input.generated) {
    if (options.keep_input) {
      fmt::print(stderr, "kept the input: {}\n", input.path);
    } else {
      std::remove(input.path.c_str());
    }
  }
  const bool all_ok = de.ok && w.ok && w1.ok && naive.ok && parallel.ok && check.ok;
  return all_ok && settings_equal ? 0 : 1;
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto options = tessera::bench::parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  return tessera::bench::run(*options);
}
