// tessera_png_bench (`./dev bench png`): PNG output speed and size, in one run. A generated
// photo-like PNG is cut into overlapping tiles and written by tessera with each PNG encoder at
// zlib level 6, by the naive and the parallel OpenCV loops at level 6, and by tessera with the
// codec settings `tessera tune` chooses for the same job. Every variant runs in its own child
// process into a null sink; the table gives time and total bytes next to each other.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "e2e_options.hpp"
#include "machine_info.hpp"
#include "opencv_loops.hpp"
#include "stats.hpp"
#include "tessera/codecs/formats.hpp"
#include "tessera_runs.hpp"

namespace tessera::bench {
namespace {

constexpr double kGoalLevel6Speedup = 2.0;  // against the parallel OpenCV loop
constexpr double kGoalLevel6Bytes = 1.03;   // at most +3% bytes
constexpr double kGoalTunedSpeedup = 3.0;
constexpr double kGoalTunedBytes = 1.10;
constexpr double kMiB = 1024.0 * 1024.0;

struct BenchArgs {
  int size = 8192;
  int tile = 512;
  int overlap = 64;
  int threads = 2;
  int repeat = 1;
  std::string tune_time = "300s";
  std::string profile;  // a profile written by tune earlier: skips the tune run
  std::string json;
};

struct Row {
  std::string name;
  std::string settings;
  ChildOutcome outcome;
};

std::optional<BenchArgs> parse_args(int argc, char** argv, int& exit_code) {
  BenchArgs args;
  CLI::App app{
      "tessera_png_bench: PNG tiles of one large image; tessera's PNG encoders against "
      "OpenCV loops at zlib level 6, and the setting tessera tune chooses"};
  app.add_option("--size", args.size, "side of the generated square PNG")
      ->check(CLI::Range(1024, 65535))
      ->capture_default_str();
  app.add_option("--tile", args.tile, "tile side")->capture_default_str();
  app.add_option("--overlap", args.overlap, "tile overlap (stride = tile - overlap)")
      ->capture_default_str();
  app.add_option("--threads", args.threads, "threads of tessera and of the parallel loop")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--repeat", args.repeat, "runs of each variant (median)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--tune-time", args.tune_time, "time budget of the tessera tune run")
      ->capture_default_str();
  app.add_option("--profile", args.profile,
                 "use this profile (from tessera tune) instead of running tune");
  app.add_option("--json", args.json, "write every figure to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    exit_code = app.exit(error);
    return std::nullopt;
  }
  if (args.overlap < 0 || args.overlap >= args.tile) {
    fmt::print(stderr, "--overlap must be 0..{} for --tile {}\n", args.tile - 1, args.tile);
    exit_code = 2;
    return std::nullopt;
  }
  return args;
}

// The comparison's common ground: the grid, the threads and zlib level 6 with adaptive filters
// and the default strategy, which is what OpenCV's libpng uses.
E2eOptions base_options(const BenchArgs& args) {
  E2eOptions o;
  o.input_format = OutputFormat::kPng;
  o.size = args.size;
  o.tile = args.tile;
  o.overlap = args.overlap;
  o.edge = EdgePolicy::kShift;  // every tile whole: the last row and column end at the edge
  o.format = OutputFormat::kPng;
  o.png_level = 6;
  o.png_filter = PngFilter::kAdaptive;
  o.png_strategy = ZlibStrategy::kDefault;
  o.repeat = args.repeat;
  o.threads = args.threads;
  return o;
}

// Runs the tessera binary with `argv` and waits; true when it exited 0.
bool run_program(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::execv(pointers[0], pointers.data());
    std::_Exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Runs `tessera tune` on the same job (unless a profile was given) and returns its profile.
std::optional<nlohmann::json> tune_profile(const BenchArgs& args, const std::string& input) {
  std::string path = args.profile;
  if (path.empty()) {
    path = fmt::format("/tmp/tessera_png_bench_{}_profile.json", ::getpid());
    fmt::print(stderr, "  running tessera tune ({}) ...\n", args.tune_time);
    const bool ok =
        run_program({TESSERA_BINARY, "tune", input, "--tile", std::to_string(args.tile),
                     "--overlap", std::to_string(args.overlap), "--edge", "shift", "-f", "png",
                     "-j", std::to_string(args.threads), "--time", args.tune_time, "-o", path});
    if (!ok) {
      fmt::print(stderr, "tessera tune failed\n");
      return std::nullopt;
    }
  }
  std::ifstream file(path);
  auto profile = nlohmann::json::parse(file, nullptr, false);
  if (profile.is_discarded() || !profile.is_object()) {
    fmt::print(stderr, "cannot read the profile {}\n", path);
    return std::nullopt;
  }
  return profile;
}

// The PNG settings of a profile's "codec" object over the base options; engine settings other
// than the thread count are left at the engine's defaults, so only the codec differs.
E2eOptions with_profile(E2eOptions o, const nlohmann::json& profile) {
  const nlohmann::json codec = profile.value("codec", nlohmann::json::object());
  o.png_level = codec.value("png_level", o.png_level);
  if (auto v = parse_png_filter(codec.value("png_filter", std::string("all")))) o.png_filter = *v;
  if (auto v = parse_zlib_strategy(codec.value("png_strategy", std::string("default"))))
    o.png_strategy = *v;
  if (auto v = parse_png_encoder(codec.value("png_encoder", std::string("libdeflate"))))
    o.png_encoder = *v;
  return o;
}

double median_s(const ChildOutcome& o) {
  return o.ok ? summary_from_json(o.result["wall_s"]).median : 0.0;
}
std::uint64_t bytes_of(const ChildOutcome& o) {
  return o.ok ? o.result.value("bytes", std::uint64_t{0}) : 0;
}

ChildOutcome run_variant(const std::string& label, const std::function<nlohmann::json()>& body) {
  fmt::print(stderr, "  running {} ...\n", label);
  ChildOutcome outcome = run_in_child(body);
  if (!outcome.ok)
    fmt::print(stderr, "  {} failed: {}\n", label, outcome.result.value("error", "?"));
  return outcome;
}

std::string verdict(bool met) {
  return met ? "met" : "NOT MET";
}

int run(const BenchArgs& args) {
  E2eOptions base = base_options(args);
  const std::string input = fmt::format("/tmp/tessera_png_bench_{}_{}.png", ::getpid(), args.size);
  fmt::print(stderr, "generating a {0}x{0} photo-like PNG as {1} ...\n", args.size, input);
  const ChildOutcome made = run_in_child([&] { return generate_input(base, input); });
  if (!made.ok) {
    fmt::print(stderr, "cannot generate the input: {}\n", made.result.value("error", "?"));
    return 1;
  }
  E2eOptions spng = base;
  spng.png_encoder = PngEncoderLibrary::kLibspng;
  const auto profile = tune_profile(args, input);
  const E2eOptions tuned = profile ? with_profile(base, *profile) : base;

  std::vector<Row> rows;
  rows.push_back({"tessera, libdeflate, level 6", describe_tessera_settings(base),
                  run_variant("tessera libdeflate",
                              [&] { return measure_engine(base, input, args.threads); })});
  rows.push_back(
      {"tessera, libspng, level 6", describe_tessera_settings(spng),
       run_variant("tessera libspng", [&] { return measure_engine(spng, input, args.threads); })});
  rows.push_back({"OpenCV naive loop, level 6", describe_opencv_settings(base),
                  run_variant("OpenCV naive", [&] { return measure_opencv(base, input, 1); })});
  rows.push_back(
      {"OpenCV parallel loop, level 6", describe_opencv_settings(base),
       run_variant("OpenCV parallel", [&] { return measure_opencv(base, input, args.threads); })});
  if (profile) {
    rows.push_back(
        {"tessera, tune's choice", describe_tessera_settings(tuned),
         run_variant("tessera tuned", [&] { return measure_engine(tuned, input, args.threads); })});
  }
  const ChildOutcome check =
      run_variant("equality check", [&] { return check_equality(base, input, args.threads); });
  std::remove(input.c_str());

  const nlohmann::json machine = machine_info();
  const ChildOutcome& parallel = rows[3].outcome;
  const double reference_s = median_s(parallel);
  const double reference_bytes = static_cast<double>(bytes_of(parallel));
  fmt::print(
      "\ntessera_png_bench: generated {0}x{0} RGB PNG, tiles {1} px overlap {2} (edge "
      "shift) -> {3} tiles; {4} threads; {5} run(s) each, median\n",
      args.size, args.tile, args.overlap, parallel.result.value("crops", 0), args.threads,
      args.repeat);
  fmt::print("machine: {} x {}; load {}\n\n", machine["nproc"].get<unsigned>(),
             machine["cpu_model"].get<std::string>(), machine["loadavg"].get<std::string>());
  fmt::print("{:<32} {:>8} {:>10} {:>12} {:>9}  {}\n", "variant", "time s", "vs par", "bytes",
             "vs par", "settings");
  nlohmann::json out_rows = nlohmann::json::array();
  for (const Row& row : rows) {
    const double s = median_s(row.outcome);
    const double bytes = static_cast<double>(bytes_of(row.outcome));
    const double speedup = s > 0 ? reference_s / s : 0;
    const double growth = reference_bytes > 0 ? 100.0 * (bytes / reference_bytes - 1.0) : 0;
    fmt::print("{:<32} {:>8.3f} {:>9.2f}x {:>12} {:>+8.1f}%  {}\n", row.name, s, speedup,
               bytes_of(row.outcome), growth, row.settings);
    out_rows.push_back(
        {{"variant", row.name},
         {"settings", row.settings},
         {"ok", row.outcome.ok},
         {"speedup_vs_opencv_parallel", speedup},
         {"bytes_vs_opencv_parallel", reference_bytes > 0 ? bytes / reference_bytes : 0},
         {"result", row.outcome.result}});
  }
  const auto meets = [&](const Row& row, double speedup, double bytes) {
    return row.outcome.ok && median_s(row.outcome) > 0 &&
           reference_s / median_s(row.outcome) >= speedup &&
           static_cast<double>(bytes_of(row.outcome)) <= bytes * reference_bytes;
  };
  const bool level6 = meets(rows[0], kGoalLevel6Speedup, kGoalLevel6Bytes);
  fmt::print("\ngoal, level 6: >= {:.0f}x the parallel OpenCV loop at <= +{:.0f}% bytes: {}\n",
             kGoalLevel6Speedup, 100 * (kGoalLevel6Bytes - 1), verdict(level6));
  bool tuned_met = false;
  if (profile) {
    tuned_met = meets(rows[4], kGoalTunedSpeedup, kGoalTunedBytes);
    fmt::print("goal, tune's choice: >= {:.0f}x at <= +{:.0f}% bytes: {}\n", kGoalTunedSpeedup,
               100 * (kGoalTunedBytes - 1), verdict(tuned_met));
  }
  const bool pixels_equal = check.ok && check.result.value("spot_pixels_identical", false);
  fmt::print("spot crops decode to the same pixels on both sides: {}\n",
             pixels_equal ? "yes" : "NO");
  if (std::stod(machine["loadavg"].get<std::string>()) > machine["nproc"].get<unsigned>()) {
    fmt::print("WARNING: the machine is busier than its core count; times are inflated\n");
  }
  if (!args.json.empty()) {
    std::ofstream file(args.json);
    file << nlohmann::json{{"machine", machine},
                           {"size", args.size},
                           {"tile", args.tile},
                           {"overlap", args.overlap},
                           {"threads", args.threads},
                           {"repeat", args.repeat},
                           {"profile", profile.value_or(nlohmann::json())},
                           {"rows", out_rows},
                           {"equality_check", check.result},
                           {"goals", {{"level6", level6}, {"tuned", tuned_met}}}}
                .dump(2)
         << '\n';
  }
  bool all_ok = check.ok && pixels_equal;
  for (const Row& row : rows) all_ok = all_ok && row.outcome.ok;
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto args = tessera::bench::parse_args(argc, argv, exit_code);
  if (!args) return exit_code;
  return tessera::bench::run(*args);
}
