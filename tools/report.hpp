// What the user reads after a run: one stderr line per failed job, the human summary and the
// --json summary object. The failure log is a sink decorator, so it sees every CropFailure.
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forwarding_sink.hpp"
#include "job_sources.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera::cli {

class FailureLog final : public ForwardingSink {
 public:
  FailureLog(Sink& inner, const JobNotes& notes) : ForwardingSink(inner), notes_(notes) {}
  void on_failure(const CropFailure& failure) override;
  void on_warning(const JobInfo& job, std::string_view warning) override;

  // "tessera: FILE: warning: ..." per warning (a plan that leaves part of the image uncovered,
  // an accepted decode warning), at most kMaxWarnings of them, then
  // "tessera: FILE: reason" once per failed job, in job order; returns how many jobs failed.
  std::size_t print(std::FILE* stream) const;

  // The same, as data, in job order (the Python module's Stats): {"source", "reason", "crops"}
  // per failed job, and the "FILE: warning: ..." line per warned job.
  nlohmann::json failures_json() const;
  nlohmann::json warnings_json() const;

 private:
  struct JobFailure {
    std::string source;
    std::string reason;
    std::size_t crops = 0;
  };
  void keep_warning(std::size_t job, std::string text);

  const JobNotes& notes_;
  mutable std::mutex mutex_;
  std::map<std::size_t, JobFailure> jobs_;
  // "FILE: warning: ..." by job, the first kMaxWarnings in job order; the rest are counted, so
  // that a manifest whose every image warns neither floods the terminal nor grows memory.
  static constexpr std::size_t kMaxWarnings = 20;
  std::map<std::size_t, std::vector<std::string>> warnings_;
  std::size_t warnings_kept_ = 0;
  std::size_t warnings_dropped_ = 0;
};

struct SummaryContext {
  std::string command;
  std::string output;  // Output::description
  bool discards = false;
  nlohmann::json outputs = nullptr;  // outputs_json(): "outputs" in --json (null: nothing kept)
  std::string shard_pattern{};       // shard_pattern(): printed in the human summary
  const ShuffleStats* shuffle = nullptr;  // --shuffle: the buffer's figures
};

double peak_rss_mb();

// The --json summary object (also the Python module's Stats).
nlohmann::json json_summary(const RunStats& stats, const SummaryContext& context);

// What `tessera info --json` prints for one input.
nlohmann::json header_json(const std::string& name, const ImageHeader& header);

void print_human_summary(std::FILE* stream, const RunStats& stats, const SummaryContext& context);
void print_json_summary(std::FILE* stream, const RunStats& stats, const SummaryContext& context);

}  // namespace tessera::cli
