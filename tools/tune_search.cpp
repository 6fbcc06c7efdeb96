#include "tune_search.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "job_sources.hpp"
#include "signals.hpp"

namespace tessera::cli {
namespace {

constexpr int kRepeats = 3;
constexpr int kRepeatsForShortRuns = 5;
constexpr double kShortRunS = 0.25;
// Differences below 2% of the defaults' time are never trusted, however tight the spread.
constexpr double kNoiseFloor = 0.02;
constexpr int kBandRowsStep = 8;
constexpr int kMaxJobsInFlight = 6;
constexpr int kRefineRounds = 4;
constexpr double kMega = 1e6;
constexpr double kMilli = 1e3;

bool clearly_faster(const Timing& candidate, const Timing& reference) {
  return reference.median - candidate.median > noise_between(reference, candidate);
}

}  // namespace

Timing timing_of(std::vector<double> runs) {
  Timing t;
  static_cast<Summary&>(t) = summarize(runs);
  t.runs = std::move(runs);
  return t;
}

double noise_between(const Timing& reference, const Timing& other) {
  return std::max(
      {reference.max - reference.min, other.max - other.min, kNoiseFloor * reference.median});
}

double Candidate::mp_per_s() const {
  return static_cast<double>(pixels) / kMega / timing.median;
}

// The defaults are what the commands would use without a profile, with any -j,
// --crops-in-flight, ... given to tune; the search goes up to twice the engine's thread count.
Tuner::Tuner(const TuneArgs& args, PlanSpec plan, double budget_s, OutputFormat format)
    : args_(args),
      plan_(std::move(plan)),
      budget_s_(budget_s),
      start_(Clock::now()),
      defaults_(resolved_settings(engine_options_from(args.common.run))),
      max_threads_(std::max(2 * resolved_settings().threads, defaults_.threads)),
      codecs_(codec_choices(args.common.encode, format, args.allow_lossy)),
      verbose_(!args.common.run.quiet),
      repeats_(kRepeats),
      max_size_growth_(args.max_size_growth) {}

double Tuner::elapsed_s() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

// The defaults run first, always, after one untimed warm-up run (page cache, pool).
Status Tuner::measure_defaults() {
  if (auto warm = run_once(defaults_, 0, nullptr); !warm) return std::move(warm).error();
  Candidate defaults{"defaults", defaults_, 0, {}, 0, 0, 0};
  if (Status s = measure(defaults, kRepeats); !s) return s;
  repeats_ = defaults.timing.median < kShortRunS ? kRepeatsForShortRuns : kRepeats;
  candidates_.push_back(std::move(defaults));
  return {};
}

// One setting at a time around the defaults. Codec settings first: a PNG level or filter
// changes the work itself several-fold, where engine settings gain a few percent, so they are
// the last to be cut by the time budget. Then threads, which matter most of the rest.
Status Tuner::coarse_sweep() {
  for (std::size_t c = 1; c < codecs_.size(); ++c) {
    if (Status st = try_candidate(codecs_[c].label, defaults_, c); !st) return st;
  }
  const int t = defaults_.threads;
  for (int k : {1, t / 2, t - 1, t + 1, t + t / 2, 2 * t, max_threads_}) {
    if (k < 1 || k > max_threads_ || k == t) continue;
    EngineSettings s = defaults_;
    s.threads = k;
    s.crops_in_flight = defaults_.crops_in_flight * k / t;
    if (Status st = try_candidate(fmt::format("threads {}", k), s, 0); !st) return st;
  }
  for (int per_thread : {1, 2, 8, 16}) {
    EngineSettings s = defaults_;
    s.crops_in_flight = per_thread * t;
    if (Status st = try_candidate(fmt::format("crops in flight {}", s.crops_in_flight), s, 0); !st)
      return st;
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

// Each engine setting at its best value from the sweep, together.
Status Tuner::combine() {
  EngineSettings best = defaults_;
  const Candidate* threads =
      best_where([&](const Candidate& c) { return differs_only_in_threads(c); });
  if (threads != nullptr) best.threads = threads->engine.threads;
  if (auto* c = best_where(
          [&](const Candidate& x) { return only(x, &EngineSettings::crops_in_flight); })) {
    best.crops_in_flight =
        std::max(1, c->engine.crops_in_flight * best.threads / defaults_.threads);
  } else {
    best.crops_in_flight = defaults_.crops_in_flight * best.threads / defaults_.threads;
  }
  if (auto* c =
          best_where([&](const Candidate& x) { return only(x, &EngineSettings::band_rows); })) {
    best.band_rows = c->engine.band_rows;
  }
  if (auto* c = best_where(
          [&](const Candidate& x) { return only(x, &EngineSettings::jobs_in_flight); })) {
    best.jobs_in_flight = c->engine.jobs_in_flight;
  }
  return try_candidate("best of each", best, 0);
}

// Around the best engine settings so far, in steps that halve each round.
Status Tuner::refine() {
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

// The two best codec changes that touch different settings (a PNG level and a filter), together;
// then the best codec setting with the best engine settings.
Status Tuner::combine_codec() {
  const Candidate* first = best_where([](const Candidate& c) { return c.codec != 0; });
  if (first == nullptr) return {};
  const std::size_t first_codec = first->codec;
  const Candidate* second = best_where([&](const Candidate& c) {
    return c.codec != 0 && c.engine == defaults_ &&
           !overlaps(codecs_[c.codec].change, codecs_[first_codec].change);
  });
  if (second != nullptr) {
    codecs_.push_back(combined(codecs_[first_codec], codecs_[second->codec]));
    if (Status st = try_candidate(codecs_.back().label, defaults_, codecs_.size() - 1); !st)
      return st;
  }
  const Candidate* codec = best_where([](const Candidate& c) { return c.codec != 0; });
  const EngineSettings engine = best_engine();
  if (engine == defaults_) return {};
  return try_candidate(fmt::format("best engine, {}", codecs_[codec->codec].label), engine,
                       codec->codec);
}

// The defaults once more at the end: their spread then includes any drift of the machine.
Status Tuner::remeasure_defaults() {
  Candidate again{"defaults", defaults_, 0, {}, 0, 0, 0};
  if (Status s = measure(again, repeats_); !s) return s;
  std::vector<double> runs = candidates_.front().timing.runs;
  runs.insert(runs.end(), again.timing.runs.begin(), again.timing.runs.end());
  candidates_.front().timing = timing_of(std::move(runs));
  return {};
}

// The fastest candidate that beats the defaults by more than the noise; else the defaults.
const Candidate& Tuner::chosen() const {
  const Candidate& defaults = candidates_.front();
  const Candidate* best = &defaults;
  for (const Candidate& c : candidates_) {
    if (clearly_faster(c.timing, defaults.timing) && small_enough(c) &&
        c.timing.median < best->timing.median)
      best = &c;
  }
  return *best;
}

// Engine settings never change the bytes; a codec setting may, and a faster one that makes the
// output much larger is a trade the user did not ask for.
bool Tuner::small_enough(const Candidate& c) const {
  const double limit =
      static_cast<double>(candidates_.front().bytes_out) * (1.0 + max_size_growth_ / 100.0);
  return static_cast<double>(c.bytes_out) <= limit;
}

bool Tuner::only(const Candidate& c, int EngineSettings::*member) const {
  if (c.codec != 0) return false;
  EngineSettings s = c.engine;
  s.*member = defaults_.*member;
  return s == defaults_ && !(c.engine == defaults_);
}

bool Tuner::differs_only_in_threads(const Candidate& c) const {
  if (c.codec != 0 || c.engine.threads == defaults_.threads) return false;
  return c.engine.band_rows == defaults_.band_rows &&
         c.engine.jobs_in_flight == defaults_.jobs_in_flight &&
         c.engine.crops_in_flight ==
             defaults_.crops_in_flight * c.engine.threads / defaults_.threads;
}

// The fastest candidate matching `match` that is clearly faster than the defaults.
template <class Match>
const Candidate* Tuner::best_where(Match match) const {
  const Candidate* best = nullptr;
  for (const Candidate& c : candidates_) {
    if (!match(c) || !small_enough(c) || !clearly_faster(c.timing, candidates_.front().timing))
      continue;
    if (best == nullptr || c.timing.median < best->timing.median) best = &c;
  }
  return best;
}

EngineSettings Tuner::best_engine() const {
  const Candidate* best = best_where([](const Candidate& c) { return c.codec == 0; });
  return best != nullptr ? best->engine : defaults_;
}

std::string Tuner::refine_label(const EngineSettings& centre, const EngineSettings& s) {
  if (s.threads != centre.threads) return fmt::format("refine: threads {}", s.threads);
  if (s.crops_in_flight != centre.crops_in_flight)
    return fmt::format("refine: crops in flight {}", s.crops_in_flight);
  if (s.band_rows != centre.band_rows) return fmt::format("refine: band rows {}", s.band_rows);
  return fmt::format("refine: jobs in flight {}", s.jobs_in_flight);
}

std::vector<EngineSettings> Tuner::neighbours(const EngineSettings& centre, double factor) const {
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

const Candidate* Tuner::find(const EngineSettings& engine, std::size_t codec) const {
  for (const Candidate& c : candidates_) {
    if (c.engine == engine && c.codec == codec) return &c;
  }
  return nullptr;
}

// Measures a candidate unless it was measured already or would overrun the budget; once
// the budget is reached no further candidate starts.
Status Tuner::try_candidate(std::string label, const EngineSettings& engine, std::size_t codec) {
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

Status Tuner::measure(Candidate& c, int repeats) {
  std::vector<double> runs;
  RunStats stats;
  for (int i = 0; i < repeats; ++i) {
    auto wall = run_once(c.engine, c.codec, &stats);
    if (!wall) return std::move(wall).error();
    runs.push_back(*wall);
  }
  c.timing = timing_of(std::move(runs));
  c.bytes_out = stats.bytes_out;
  c.pixels = stats.pixels_decoded;
  c.crops = stats.crops;
  if (verbose_) {
    fmt::print(stderr, "tune [{:5.1f}/{:.0f} s] {:<28} median {:.1f} ms ({:.1f}..{:.1f})\n",
               elapsed_s(), budget_s_, c.label, kMilli * c.timing.median, kMilli * c.timing.min,
               kMilli * c.timing.max);
  }
  return {};
}

// One run of the whole job list into the null sink, through the same job source the
// commands use; returns the wall time in seconds.
Result<double> Tuner::run_once(const EngineSettings& s, std::size_t codec, RunStats* out) {
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
    return Error{
        ErrorCode::kCorruptData,
        fmt::format("{} of {} images and {} crops failed; tune needs a job list that runs cleanly "
                    "(try 'tessera tile' or 'random' with the same options to see why)",
                    stats.jobs_failed, stats.jobs, stats.crops_failed)};
  }
  if (out != nullptr) *out = stats;
  return wall;
}

Status run_search(Tuner& tuner) {
  for (auto step : {&Tuner::measure_defaults, &Tuner::coarse_sweep, &Tuner::combine, &Tuner::refine,
                    &Tuner::combine_codec, &Tuner::remeasure_defaults}) {
    if (Status s = (tuner.*step)(); !s) return s;
  }
  return {};
}

}  // namespace tessera::cli
