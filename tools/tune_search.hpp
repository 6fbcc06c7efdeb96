// The search of `tessera tune`: runs the user's job list into the null sink under one setting
// after another and keeps every measurement. It never writes a profile or prints a report
// (tune_report does), and it never calls a setting better than the defaults unless it beat
// them by more than the noise.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sample_stats.hpp"
#include "tune.hpp"
#include "tune_codecs.hpp"

namespace tessera::cli {

// Every run of one setting, and their summary.
struct Timing : Summary {
  std::vector<double> runs;
};
Timing timing_of(std::vector<double> runs);

// The larger spread of the two, never below a floor: a difference smaller than this could
// be the machine, not the setting.
double noise_between(const Timing& reference, const Timing& other);

struct Candidate {
  std::string label;
  EngineSettings engine;
  std::size_t codec = 0;  // index into the codec choices; 0 is the user's own
  Timing timing;
  std::uint64_t bytes_out = 0;
  std::uint64_t pixels = 0;
  std::size_t crops = 0;

  double mp_per_s() const;
};

class Tuner {
 public:
  Tuner(const TuneArgs& args, PlanSpec plan, double budget_s, OutputFormat format);

  // The steps, in the order run_search() takes them.
  Status measure_defaults();
  Status coarse_sweep();
  Status combine();
  Status refine();
  Status combine_codec();
  Status remeasure_defaults();

  // The fastest candidate that beats the defaults by more than the noise and whose output is
  // at most --max-size-growth larger than theirs; else the defaults.
  const Candidate& chosen() const;

  // The defaults first, then every setting measured, in order.
  const std::vector<Candidate>& candidates() const { return candidates_; }
  const std::vector<CodecChoice>& codecs() const { return codecs_; }
  const EngineSettings& defaults() const { return defaults_; }
  double elapsed_s() const;
  bool out_of_budget() const { return out_of_budget_; }
  double max_size_growth() const { return max_size_growth_; }
  int repeats() const { return repeats_; }
  double budget_s() const { return budget_s_; }

 private:
  using Clock = std::chrono::steady_clock;

  bool only(const Candidate& c, int EngineSettings::*member) const;
  bool differs_only_in_threads(const Candidate& c) const;
  template <class Match>
  const Candidate* best_where(Match match) const;
  EngineSettings best_engine() const;
  static std::string refine_label(const EngineSettings& centre, const EngineSettings& s);
  std::vector<EngineSettings> neighbours(const EngineSettings& centre, double factor) const;
  const Candidate* find(const EngineSettings& engine, std::size_t codec) const;
  bool small_enough(const Candidate& c) const;
  Status try_candidate(std::string label, const EngineSettings& engine, std::size_t codec);
  Status measure(Candidate& c, int repeats);
  Result<double> run_once(const EngineSettings& s, std::size_t codec, RunStats* out);

  const TuneArgs& args_;
  PlanSpec plan_;
  double budget_s_;
  Clock::time_point start_;
  EngineSettings defaults_;
  int max_threads_;
  std::vector<CodecChoice> codecs_;
  bool verbose_;
  int repeats_;
  bool out_of_budget_ = false;
  double max_size_growth_;  // percent
  std::vector<Candidate> candidates_;
};

// Every step of the search, until one fails.
Status run_search(Tuner& tuner);

}  // namespace tessera::cli
