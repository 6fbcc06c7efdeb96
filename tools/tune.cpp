#include "tune.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "job_sources.hpp"
#include "profile.hpp"
#include "signals.hpp"
#include "tessera/engine/demo_image.hpp"

namespace tessera::cli {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

constexpr int kRepeats = 3;
constexpr int kRepeatsForShortRuns = 5;
constexpr double kShortRunS = 0.25;
// Differences below 2% of the defaults' time are never trusted, however tight the spread.
constexpr double kNoiseFloor = 0.02;
constexpr int kDefaultJobsInFlight = 2;
constexpr int kDefaultBandRows = 64;
constexpr int kCropsPerThread = 4;
constexpr int kBandRowsStep = 8;
constexpr int kMaxJobsInFlight = 6;
constexpr int kRefineRounds = 4;
constexpr std::size_t kPsnrSample = 16;
constexpr double kMega = 1e6;
constexpr double kMilli = 1e3;

int usage_error(const std::string& message) {
  fmt::print(stderr, "tessera tune: {}\nRun 'tessera tune --help' for usage and examples.\n", message);
  return kExitUsage;
}

int cores() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

struct EngineSettings {
  int threads = 1;
  int crops_in_flight = 1;
  int band_rows = kDefaultBandRows;
  int jobs_in_flight = kDefaultJobsInFlight;
  friend bool operator==(const EngineSettings&, const EngineSettings&) = default;
};

// What the commands would use without a profile, with any -j/--crops-in-flight/... given to tune.
EngineSettings resolved_defaults(const RunArgs& run) {
  EngineSettings s;
  s.threads = run.threads > 0 ? run.threads : cores();
  s.crops_in_flight = run.crops_in_flight > 0 ? run.crops_in_flight : kCropsPerThread * s.threads;
  s.band_rows = run.band_rows > 0 ? run.band_rows : kDefaultBandRows;
  s.jobs_in_flight = run.jobs_in_flight > 0 ? run.jobs_in_flight : kDefaultJobsInFlight;
  return s;
}

struct Timing {
  std::vector<double> runs;
  double median = 0;
  double min = 0;
  double max = 0;
  double mad = 0;  // median absolute deviation
};

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

Timing summarize(std::vector<double> runs) {
  Timing t;
  t.median = median_of(runs);
  t.min = *std::min_element(runs.begin(), runs.end());
  t.max = *std::max_element(runs.begin(), runs.end());
  std::vector<double> deviations;
  for (double r : runs) deviations.push_back(std::abs(r - t.median));
  t.mad = median_of(deviations);
  t.runs = std::move(runs);
  return t;
}

// The larger spread of the two, never below the floor: a difference smaller than this could
// be the machine, not the setting.
double noise_between(const Timing& reference, const Timing& other) {
  return std::max({reference.max - reference.min, other.max - other.min, kNoiseFloor * reference.median});
}

bool clearly_faster(const Timing& candidate, const Timing& reference) {
  return reference.median - candidate.median > noise_between(reference, candidate);
}

// A codec setting to try, as the change it makes to the user's own encode options.
struct CodecChoice {
  std::string label;
  CodecProfile change;
};

EncodeArgs with_codec(EncodeArgs args, const CodecProfile& change) {
  if (change.fast_dct) args.fast_dct = *change.fast_dct;
  if (change.optimize) args.optimize = *change.optimize;
  if (change.progressive) args.progressive = *change.progressive;
  if (change.png_level) args.png_level = *change.png_level;
  if (change.png_filter) args.png_filter = *change.png_filter;
  if (change.png_strategy) args.png_strategy = *change.png_strategy;
  return args;
}

std::string on_off(bool value) { return value ? "on" : "off"; }

// One change at a time, around the user's own settings. The first entry is "no change".
std::vector<CodecChoice> codec_choices(const EncodeArgs& base, OutputFormat format, bool allow_lossy) {
  std::vector<CodecChoice> choices{{"", {}}};
  if (!allow_lossy) return choices;
  if (format == OutputFormat::kJpeg) {
    CodecChoice dct{"fast DCT " + on_off(!base.fast_dct), {}};
    dct.change.fast_dct = !base.fast_dct;
    CodecChoice huffman{"optimised Huffman " + on_off(!base.optimize), {}};
    huffman.change.optimize = !base.optimize;
    CodecChoice progressive{"progressive " + on_off(!base.progressive), {}};
    progressive.change.progressive = !base.progressive;
    choices.insert(choices.end(), {dct, huffman, progressive});
    return choices;
  }
  for (int level : {1, 3, 9}) {
    if (level == base.png_level) continue;
    CodecChoice c{fmt::format("PNG level {}", level), {}};
    c.change.png_level = level;
    choices.push_back(c);
  }
  for (const char* filter : {"none", "sub", "up", "paeth", "all"}) {
    if (filter == base.png_filter) continue;
    CodecChoice c{fmt::format("PNG filter {}", filter), {}};
    c.change.png_filter = filter;
    choices.push_back(c);
  }
  for (const char* strategy : {"filtered", "rle", "huffman", "default"}) {
    if (strategy == base.png_strategy) continue;
    CodecChoice c{fmt::format("zlib strategy {}", strategy), {}};
    c.change.png_strategy = strategy;
    choices.push_back(c);
  }
  return choices;
}

struct Candidate {
  std::string label;
  EngineSettings engine;
  std::size_t codec = 0;  // index into the codec choices; 0 is the user's own
  Timing timing;
  std::uint64_t bytes_out = 0;
  std::uint64_t pixels = 0;
  std::size_t crops = 0;

  double mp_per_s() const { return static_cast<double>(pixels) / kMega / timing.median; }
};

// Decodes the first input once and measures, for a sample of the plan's crops, how far the
// encoded crops are from the source pixels.
class QualityProbe {
 public:
  static Result<QualityProbe> open(const std::string& path, const PlanSpec& plan, const EngineOptions& options) {
    auto input = InputBytes::open_file(path);
    if (!input) return std::move(input).error();
    auto image = decode_whole(*input, options.decode);
    if (!image) return std::move(image).error();
    auto full = make_plan(plan, image->width, image->height, options.plan_limits);
    if (!full) return std::move(full).error();
    QualityProbe probe;
    probe.input_ = std::move(input).value();
    probe.image_ = std::move(image).value();
    probe.sample_ = sample_inside(full->crops, probe.image_.width, probe.image_.height);
    return probe;
  }

  ContainerFormat input_format() const { return detect_format(input_.bytes()); }

  // PSNR in dB over the sample (infinity when identical); nullopt when it cannot be compared.
  std::optional<double> psnr(const EncodeOptions& encode) const {
    if (sample_.rois.empty()) return std::nullopt;
    auto crops = encode_crops(input_, PlanSpec(sample_), encode);
    if (!crops) return std::nullopt;
    double squared_error = 0;
    std::uint64_t samples = 0;
    for (const EncodedCrop& crop : *crops) {
      auto decoded = decode_whole(InputBytes::from_vector(crop.bytes, "crop"), DecodeOptions{});
      if (!decoded || decoded->format != image_.format || decoded->width != crop.roi.w ||
          decoded->height != crop.roi.h) {
        return std::nullopt;
      }
      add_error(image_.view().crop(crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h), decoded->view(),
                squared_error, samples);
    }
    if (samples == 0) return std::nullopt;
    if (squared_error == 0) return std::numeric_limits<double>::infinity();
    const double mse = squared_error / static_cast<double>(samples);
    return 10.0 * std::log10(255.0 * 255.0 / mse);
  }

 private:
  static Result<OwnedImage> decode_whole(const InputBytes& input, const DecodeOptions& options) {
    auto decoder = open_decoder(input, options);
    if (!decoder) return std::move(decoder).error();
    const ImageHeader& header = (*decoder)->header();
    OwnedImage image{header.width, header.height, header.format, {}};
    image.pixels.resize(image.stride() * static_cast<std::size_t>(image.height));
    int rows = 0;
    while (rows < image.height) {
      auto n = (*decoder)->read_rows(image.pixels.data() + static_cast<std::size_t>(rows) * image.stride(),
                                     image.stride(), image.height - rows);
      if (!n) return std::move(n).error();
      if (*n == 0) break;
      rows += *n;
    }
    return image;
  }

  // Evenly spaced crops that lie wholly inside the image, so the source region is all pixels.
  static RoiListSpec sample_inside(const std::vector<PlannedCrop>& crops, int width, int height) {
    std::vector<Roi> inside;
    for (const PlannedCrop& c : crops) {
      if (c.roi.x >= 0 && c.roi.y >= 0 && c.roi.right() <= width && c.roi.bottom() <= height) inside.push_back(c.roi);
    }
    RoiListSpec spec;
    const std::size_t n = std::min(inside.size(), kPsnrSample);
    for (std::size_t i = 0; i < n; ++i) spec.rois.push_back({inside[i * inside.size() / n], ""});
    return spec;
  }

  static void add_error(const ImageView& source, const ImageView& decoded, double& squared_error,
                        std::uint64_t& samples) {
    for (int y = 0; y < source.height; ++y) {
      const std::uint8_t* a = source.row(y);
      const std::uint8_t* b = decoded.row(y);
      for (std::size_t i = 0; i < source.row_bytes(); ++i) {
        const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
        squared_error += d * d;
      }
      samples += source.row_bytes();
    }
  }

  InputBytes input_;
  OwnedImage image_;
  RoiListSpec sample_;
};

std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

json machine_json(double load_at_start) {
  utsname name{};
  std::string kernel = "unknown";
  if (uname(&name) == 0) kernel = fmt::format("{} {} {}", name.sysname, name.release, name.machine);
  return {{"cores", cores()},
          {"cpu", read_cpu_model()},
          {"kernel", kernel},
          {"load_average_start", load_at_start},
          {"load_average_end", load_average()}};
}

class Tuner {
 public:
  Tuner(const TuneArgs& args, PlanSpec plan, double budget_s, OutputFormat format)
      : args_(args),
        plan_(std::move(plan)),
        budget_s_(budget_s),
        start_(Clock::now()),
        defaults_(resolved_defaults(args.common.run)),
        max_threads_(std::max(2 * cores(), defaults_.threads)),
        codecs_(codec_choices(args.common.encode, format, args.allow_lossy)),
        verbose_(!args.common.run.quiet) {}

  // The defaults run first, always, after one untimed warm-up run (page cache, pool).
  Status measure_defaults() {
    if (auto warm = run_once(defaults_, 0, nullptr); !warm) return std::move(warm).error();
    Candidate defaults{"defaults", defaults_, 0, {}, 0, 0, 0};
    if (Status s = measure(defaults, kRepeats); !s) return s;
    repeats_ = defaults.timing.median < kShortRunS ? kRepeatsForShortRuns : kRepeats;
    candidates_.push_back(std::move(defaults));
    return {};
  }

  // One setting at a time around the defaults; codec settings (if allowed) between threads
  // and the rest, since they matter most after the thread count.
  Status coarse_sweep() {
    const int t = defaults_.threads;
    for (int k : {1, t / 2, t - 1, t + 1, t + t / 2, 2 * t, max_threads_}) {
      if (k < 1 || k > max_threads_ || k == t) continue;
      EngineSettings s = defaults_;
      s.threads = k;
      s.crops_in_flight = defaults_.crops_in_flight * k / t;
      if (Status st = try_candidate(fmt::format("threads {}", k), s, 0); !st) return st;
    }
    for (std::size_t c = 1; c < codecs_.size(); ++c) {
      if (Status st = try_candidate(codecs_[c].label, defaults_, c); !st) return st;
    }
    for (int per_thread : {1, 2, 8, 16}) {
      EngineSettings s = defaults_;
      s.crops_in_flight = per_thread * t;
      if (Status st = try_candidate(fmt::format("crops in flight {}", s.crops_in_flight), s, 0); !st) return st;
    }
    for (int rows : {16, 32, 128, 256}) {
      EngineSettings s = defaults_;
      s.band_rows = rows;
      if (Status st = try_candidate(fmt::format("band rows {}", rows), s, 0); !st) return st;
    }
    if (args_.inputs.size() < 2) return {};
    for (int jobs : {1, 3, 4}) {
      EngineSettings s = defaults_;
      s.jobs_in_flight = jobs;
      if (Status st = try_candidate(fmt::format("jobs in flight {}", jobs), s, 0); !st) return st;
    }
    return {};
  }

  // Each setting at its best value from the sweep, together.
  Status combine() {
    EngineSettings best = defaults_;
    const Candidate* threads = best_where([&](const Candidate& c) { return differs_only_in_threads(c); });
    if (threads != nullptr) best.threads = threads->engine.threads;
    if (auto* c = best_where([&](const Candidate& x) { return only(x, &EngineSettings::crops_in_flight); })) {
      best.crops_in_flight = std::max(1, c->engine.crops_in_flight * best.threads / defaults_.threads);
    } else {
      best.crops_in_flight = defaults_.crops_in_flight * best.threads / defaults_.threads;
    }
    if (auto* c = best_where([&](const Candidate& x) { return only(x, &EngineSettings::band_rows); })) {
      best.band_rows = c->engine.band_rows;
    }
    if (auto* c = best_where([&](const Candidate& x) { return only(x, &EngineSettings::jobs_in_flight); })) {
      best.jobs_in_flight = c->engine.jobs_in_flight;
    }
    return try_candidate("best of each", best, 0);
  }

  // Around the best engine settings so far, in steps that halve each round.
  Status refine() {
    for (int round = 1; round <= kRefineRounds && !out_of_budget_; ++round) {
      const EngineSettings centre = best_engine();
      const double factor = std::pow(2.0, 1.0 / static_cast<double>(1 << round));
      bool any = false;
      for (const EngineSettings& s : neighbours(centre, factor)) {
        if (find(s, 0) != nullptr) continue;
        any = true;
        if (Status st = try_candidate(refine_label(centre, s), s, 0); !st) return st;
      }
      if (!any && best_engine() == centre) break;
    }
    return {};
  }

  // The best engine settings and the best codec setting, together.
  Status combine_codec() {
    const Candidate* codec = best_where([](const Candidate& c) { return c.codec != 0; });
    const EngineSettings engine = best_engine();
    if (codec == nullptr || engine == defaults_) return {};
    return try_candidate(fmt::format("best engine, {}", codecs_[codec->codec].label), engine, codec->codec);
  }

  // The defaults once more at the end: their spread then includes any drift of the machine.
  Status remeasure_defaults() {
    Candidate again{"defaults", defaults_, 0, {}, 0, 0, 0};
    if (Status s = measure(again, repeats_); !s) return s;
    std::vector<double> runs = candidates_.front().timing.runs;
    runs.insert(runs.end(), again.timing.runs.begin(), again.timing.runs.end());
    candidates_.front().timing = summarize(std::move(runs));
    return {};
  }

  // The fastest candidate that beats the defaults by more than the noise; else the defaults.
  const Candidate& chosen() const {
    const Candidate& defaults = candidates_.front();
    const Candidate* best = &defaults;
    for (const Candidate& c : candidates_) {
      if (clearly_faster(c.timing, defaults.timing) && c.timing.median < best->timing.median) best = &c;
    }
    return *best;
  }

  const std::vector<Candidate>& candidates() const { return candidates_; }
  const std::vector<CodecChoice>& codecs() const { return codecs_; }
  const EngineSettings& defaults() const { return defaults_; }
  double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool out_of_budget() const { return out_of_budget_; }
  int repeats() const { return repeats_; }
  double budget_s() const { return budget_s_; }

 private:
  bool only(const Candidate& c, int EngineSettings::*member) const {
    if (c.codec != 0) return false;
    EngineSettings s = c.engine;
    s.*member = defaults_.*member;
    return s == defaults_ && !(c.engine == defaults_);
  }

  bool differs_only_in_threads(const Candidate& c) const {
    if (c.codec != 0 || c.engine.threads == defaults_.threads) return false;
    return c.engine.band_rows == defaults_.band_rows && c.engine.jobs_in_flight == defaults_.jobs_in_flight &&
           c.engine.crops_in_flight == defaults_.crops_in_flight * c.engine.threads / defaults_.threads;
  }

  // The fastest candidate matching `match` that is clearly faster than the defaults.
  template <class Match>
  const Candidate* best_where(Match match) const {
    const Candidate* best = nullptr;
    for (const Candidate& c : candidates_) {
      if (!match(c) || !clearly_faster(c.timing, candidates_.front().timing)) continue;
      if (best == nullptr || c.timing.median < best->timing.median) best = &c;
    }
    return best;
  }

  EngineSettings best_engine() const {
    const Candidate* best = best_where([](const Candidate& c) { return c.codec == 0; });
    return best != nullptr ? best->engine : defaults_;
  }

  static std::string refine_label(const EngineSettings& centre, const EngineSettings& s) {
    if (s.threads != centre.threads) return fmt::format("refine: threads {}", s.threads);
    if (s.crops_in_flight != centre.crops_in_flight) return fmt::format("refine: crops in flight {}", s.crops_in_flight);
    if (s.band_rows != centre.band_rows) return fmt::format("refine: band rows {}", s.band_rows);
    return fmt::format("refine: jobs in flight {}", s.jobs_in_flight);
  }

  std::vector<EngineSettings> neighbours(const EngineSettings& centre, double factor) const {
    std::vector<EngineSettings> out;
    auto add = [&](EngineSettings s) {
      if (!(s == centre) && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    };
    for (int k : {centre.threads - 1, centre.threads + 1}) {
      if (k < 1 || k > max_threads_) continue;
      EngineSettings s = centre;
      s.threads = k;
      add(s);
    }
    for (double f : {factor, 1.0 / factor}) {
      EngineSettings s = centre;
      s.crops_in_flight = std::max(1, static_cast<int>(std::lround(centre.crops_in_flight * f)));
      add(s);
      s = centre;
      const long rows = std::lround(centre.band_rows * f / kBandRowsStep) * kBandRowsStep;
      s.band_rows = std::max(kBandRowsStep, static_cast<int>(rows));
      add(s);
    }
    if (args_.inputs.size() > 1) {
      for (int jobs : {centre.jobs_in_flight - 1, centre.jobs_in_flight + 1}) {
        if (jobs < 1 || jobs > kMaxJobsInFlight) continue;
        EngineSettings s = centre;
        s.jobs_in_flight = jobs;
        add(s);
      }
    }
    return out;
  }

  const Candidate* find(const EngineSettings& engine, std::size_t codec) const {
    for (const Candidate& c : candidates_) {
      if (c.engine == engine && c.codec == codec) return &c;
    }
    return nullptr;
  }

  // Measures a candidate unless it was measured already or would overrun the budget; once
  // the budget is reached no further candidate starts.
  Status try_candidate(std::string label, const EngineSettings& engine, std::size_t codec) {
    if (out_of_budget_ || find(engine, codec) != nullptr) return {};
    const Candidate& defaults = candidates_.front();
    // Fewer threads than the defaults take longer; the final re-run of the defaults is reserved.
    const double slowdown = std::max(1.0, static_cast<double>(defaults_.threads) / engine.threads);
    const double estimate = repeats_ * defaults.timing.median * (slowdown + 1.0);
    if (elapsed_s() + estimate > budget_s_) {
      out_of_budget_ = true;
      return {};
    }
    Candidate c{std::move(label), engine, codec, {}, 0, 0, 0};
    if (Status s = measure(c, repeats_); !s) return s;
    candidates_.push_back(std::move(c));
    return {};
  }

  Status measure(Candidate& c, int repeats) {
    std::vector<double> runs;
    RunStats stats;
    for (int i = 0; i < repeats; ++i) {
      auto wall = run_once(c.engine, c.codec, &stats);
      if (!wall) return std::move(wall).error();
      runs.push_back(*wall);
    }
    c.timing = summarize(std::move(runs));
    c.bytes_out = stats.bytes_out;
    c.pixels = stats.pixels_decoded;
    c.crops = stats.crops;
    if (verbose_) {
      fmt::print(stderr, "tune [{:5.1f}/{:.0f} s] {:<28} median {:.1f} ms ({:.1f}..{:.1f})\n", elapsed_s(), budget_s_,
                 c.label, kMilli * c.timing.median, kMilli * c.timing.min, kMilli * c.timing.max);
    }
    return {};
  }

  // One run of the whole job list into the null sink, through the same job source the
  // commands use; returns the wall time in seconds.
  Result<double> run_once(const EngineSettings& s, std::size_t codec, RunStats* out) {
    EngineOptions options = engine_options_from(args_.common.run);
    if (!(s == defaults_)) {
      options.threads = s.threads;
      options.crops_in_flight = s.crops_in_flight;
      options.band_rows = s.band_rows;
      options.jobs_in_flight = s.jobs_in_flight;
    }
    options.cancel = &install_interrupt_handlers();
    JobDefaults job_defaults;
    job_defaults.plan = plan_;
    job_defaults.encode = with_codec(args_.common.encode, codecs_[codec].change);
    job_defaults.skip_blank = args_.common.run.skip_blank;
    InputListSource source(args_.inputs, job_defaults);
    NullSink sink;
    const auto t0 = Clock::now();
    const RunStats stats = Engine(options).run(source, sink);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    if (stats.cancelled) return Error{ErrorCode::kCancelled, "interrupted; no profile was written"};
    if (stats.fatal) return *stats.fatal;
    if (stats.jobs_failed > 0 || stats.crops_failed > 0) {
      return Error{ErrorCode::kCorruptData,
                   fmt::format("{} of {} images and {} crops failed; tune needs a job list that runs cleanly "
                               "(try 'tessera tile' or 'random' with the same options to see why)",
                               stats.jobs_failed, stats.jobs, stats.crops_failed)};
    }
    if (out != nullptr) *out = stats;
    return wall;
  }

  const TuneArgs& args_;
  PlanSpec plan_;
  double budget_s_;
  Clock::time_point start_;
  EngineSettings defaults_;
  int max_threads_;
  std::vector<CodecChoice> codecs_;
  bool verbose_;
  int repeats_ = kRepeats;
  bool out_of_budget_ = false;
  std::vector<Candidate> candidates_;
};

std::string psnr_text(std::optional<double> psnr) {
  if (!psnr) return "n/a";
  if (std::isinf(*psnr)) return "lossless";
  return fmt::format("{:.2f}", *psnr);
}

json psnr_json(std::optional<double> psnr) {
  if (!psnr || std::isinf(*psnr)) return nullptr;
  return *psnr;
}

struct Report {
  const Tuner& tuner;
  std::vector<std::optional<double>> psnr;  // per codec choice; empty unless lossy changes are allowed
  std::string plan;
  EncodeArgs encode;                        // the user's own
  OutputFormat format = OutputFormat::kJpeg;

  // Every setting of the format that tune may change, after the choice's change: the profile
  // then records what the chosen run used, not only what differs.
  CodecProfile codec_settings(std::size_t choice) const {
    const EncodeArgs args = with_codec(encode, tuner.codecs()[choice].change);
    CodecProfile all;
    if (format == OutputFormat::kJpeg) {
      all.fast_dct = args.fast_dct;
      all.optimize = args.optimize;
      all.progressive = args.progressive;
    } else {
      all.png_level = args.png_level;
      all.png_filter = args.png_filter;
      all.png_strategy = args.png_strategy;
    }
    return all;
  }
};

std::string codec_label(const Tuner& tuner, const Candidate& c) {
  return c.codec == 0 ? std::string("as given") : tuner.codecs()[c.codec].label;
}

std::string verdict(const Tuner& tuner) {
  const Candidate& best = tuner.chosen();
  const Candidate& defaults = tuner.candidates().front();
  if (&best == &defaults) return "the defaults are already the best (within noise)";
  const double noise = noise_between(defaults.timing, best.timing);
  return fmt::format("\"{}\" is {:.1f}% faster than the defaults (median {:.4f} s vs {:.4f} s; noise {:.4f} s)",
                     best.label, 100.0 * (defaults.timing.median / best.timing.median - 1.0), best.timing.median,
                     defaults.timing.median, noise);
}

void print_table(std::FILE* out, const Report& report) {
  const Tuner& tuner = report.tuner;
  const bool lossy = !report.psnr.empty();
  const Candidate& defaults = tuner.candidates().front();
  const Candidate& best = tuner.chosen();
  fmt::print(out, "tessera tune: {}; {} runs per setting; sink: null (its concurrency is fixed, not searched)\n",
             report.plan, tuner.repeats());
  fmt::print(out, "  {:<30} {:>7} {:>6} {:>5} {:>4} {:>10} {:>19} {:>7} {:>8} {:>8}", "setting", "threads", "crops",
             "band", "jobs", "median ms", "min..max ms", "MAD ms", "MP/s", "vs def");
  if (lossy) fmt::print(out, " {:>9} {:>9}", "size MB", "PSNR dB");
  fmt::print(out, "\n");
  for (const Candidate& c : tuner.candidates()) {
    const char mark = &c == &best ? '*' : ' ';
    const double gain = 100.0 * (defaults.timing.median / c.timing.median - 1.0);
    fmt::print(out, "{} {:<30} {:>7} {:>6} {:>5} {:>4} {:>10.1f} {:>9.1f}..{:<8.1f} {:>7.1f} {:>8.1f} {:>+7.1f}%", mark,
               c.label, c.engine.threads, c.engine.crops_in_flight, c.engine.band_rows, c.engine.jobs_in_flight,
               kMilli * c.timing.median, kMilli * c.timing.min, kMilli * c.timing.max, kMilli * c.timing.mad,
               c.mp_per_s(), gain);
    if (lossy) {
      fmt::print(out, " {:>9.3f} {:>9}", static_cast<double>(c.bytes_out) / kMega, psnr_text(report.psnr[c.codec]));
    }
    fmt::print(out, "\n");
  }
  if (tuner.out_of_budget()) fmt::print(out, "  (the time budget ended the search; a longer --time tries more)\n");
  fmt::print(out, "tessera tune: {}\n", verdict(tuner));
}

json candidate_json(const Tuner& tuner, const Candidate& c, const Report& report) {
  json out = {{"setting", c.label},
              {"engine", engine_json({c.engine.threads, c.engine.crops_in_flight, c.engine.band_rows,
                                      c.engine.jobs_in_flight})},
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

json profile_json(const Tuner& tuner, const Report& report, double load_at_start) {
  const Candidate& best = tuner.chosen();
  const Candidate& defaults = tuner.candidates().front();
  json candidates = json::array();
  for (const Candidate& c : tuner.candidates()) candidates.push_back(candidate_json(tuner, c, report));
  json profile = {
      {"tessera_profile", kProfileVersion},
      {"engine", engine_json({best.engine.threads, best.engine.crops_in_flight, best.engine.band_rows,
                              best.engine.jobs_in_flight})},
  };
  if (!report.psnr.empty()) profile["codec"] = codec_json(report.codec_settings(best.codec));
  profile["measured"] = {{"verdict", verdict(tuner)},
                         {"defaults_are_best", &best == &defaults},
                         {"plan", report.plan},
                         {"sink", "null (concurrency fixed, not searched)"},
                         {"runs_per_setting", tuner.repeats()},
                         {"budget_s", tuner.budget_s()},
                         {"elapsed_s", tuner.elapsed_s()},
                         {"noise_s", noise_between(defaults.timing, best.timing)},
                         {"defaults_median_s", defaults.timing.median},
                         {"chosen_median_s", best.timing.median},
                         {"speedup", defaults.timing.median / best.timing.median},
                         {"candidates", candidates}};
  profile["machine"] = machine_json(load_at_start);
  return profile;
}

Status write_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return Error{ErrorCode::kIo, fmt::format("cannot write the profile {}; check that its directory exists "
                                               "and is writable", path)};
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Error{ErrorCode::kIo, fmt::format("cannot write the profile {}: {}", path, error.message())};
  }
  return {};
}

Result<PlanSpec> tune_plan(const TuneArgs& args) {
  const bool grid_or_random = !args.plan.tile.empty() || args.plan.count.has_value();
  if (!args.rois.empty()) {
    if (grid_or_random) {
      return Error{ErrorCode::kInvalidArgument, "--rois and --tile/--count ask for two different plans; give only one"};
    }
    auto rois = load_roi_file(args.rois);
    if (!rois) return std::move(rois).error();
    if (!args.plan.edge.empty()) {
      auto edge = parse_edge(args.plan.edge, true);
      if (!edge) return std::move(edge).error();
      rois->edge = *edge;
    }
    if (!args.plan.fill.empty()) {
      auto fill = parse_fill(args.plan.fill);
      if (!fill) return std::move(fill).error();
      rois->fill = *fill;
    }
    return PlanSpec(std::move(rois).value());
  }
  if (auto spec = plan_from(args.plan)) return std::move(*spec);
  return Error{ErrorCode::kInvalidArgument,
               "tune needs the plan of the job to tune: --tile (grid), --count and --size (random) or --rois FILE"};
}

Status run_search(Tuner& tuner) {
  for (auto step : {&Tuner::measure_defaults, &Tuner::coarse_sweep, &Tuner::combine, &Tuner::refine,
                    &Tuner::combine_codec, &Tuner::remeasure_defaults}) {
    if (Status s = (tuner.*step)(); !s) return s;
  }
  return {};
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
  if (unit.empty() || unit == "s") factor = 1;
  else if (unit == "m" || unit == "min") factor = 60;
  else if (unit == "h") factor = 3600;
  if (used == 0 || factor == 0 || !(value > 0) || !std::isfinite(value)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} \"{}\" is not a duration; write seconds (90 or 30s), minutes (2m) or hours (1h)",
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
  if (args.profile_out.empty()) return usage_error("give the profile to write with -o PROFILE.json");
  auto plan = tune_plan(args);
  if (!plan) return usage_error(plan.error().message);
  const ContainerFormat input_format = sniff_file(args.inputs.front());
  auto encode = encode_options_from(args.common.encode, input_format);
  if (!encode) return usage_error(encode.error().message);

  const double load_at_start = load_average();
  Tuner tuner(args, *plan, *budget, encode->format);
  if (Status s = run_search(tuner); !s) {
    fmt::print(stderr, "tessera tune: {}\n", s.error().message);
    return s.error().code == ErrorCode::kCancelled ? kExitInterrupted : kExitFailed;
  }

  Report report{tuner, {}, describe(*plan), args.common.encode, encode->format};
  if (args.allow_lossy) {
    auto probe = QualityProbe::open(args.inputs.front(), *plan, engine_options_from(args.common.run));
    if (!probe) {
      fmt::print(stderr, "tessera tune: cannot measure PSNR: {}\n", probe.error().message);
      return kExitFailed;
    }
    for (const CodecChoice& choice : tuner.codecs()) {
      auto options = encode_options_from(with_codec(args.common.encode, choice.change), probe->input_format());
      report.psnr.push_back(options ? probe->psnr(*options) : std::nullopt);
    }
  }

  const json profile = profile_json(tuner, report, load_at_start);
  if (Status s = write_atomically(args.profile_out, profile.dump(2) + "\n"); !s) {
    fmt::print(stderr, "tessera tune: {}\n", s.error().message);
    return kExitFailed;
  }
  if (args.common.run.json) {
    fmt::print("{}\n", profile.dump());
  } else if (!args.common.run.quiet) {
    print_table(stdout, report);
    fmt::print("tessera tune: wrote {}; use it with --profile {}\n", args.profile_out, args.profile_out);
  }
  return kExitOk;
}

}  // namespace tessera::cli
