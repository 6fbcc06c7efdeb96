// Where the CLI's jobs come from: a list of inputs with one plan, or a JSON-lines manifest
// read one line per next() call, so a manifest of millions of images never sits in memory.
// A source never decodes pixels; it only sniffs the first bytes to pick the output format.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include <vector>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "shard.hpp"
#include "tessera/engine/engine.hpp"

namespace tessera::cli {

// Says once per run, on `stream`, that PNG inputs are written as JPEG because -f was not given
// (one format per run). The sources tell it each input's format only while it has not spoken,
// so a run sniffs the first bytes of its inputs only until the first PNG.
class FormatNotice {
 public:
  // Silent when `stream` is null or the run's format was given.
  FormatNotice(std::FILE* stream, const EncodeArgs& run)
      : stream_(run.format.empty() ? stream : nullptr) {}
  bool pending() const noexcept { return stream_ != nullptr && !spoken_.load(); }
  void saw(ContainerFormat input);

 private:
  std::FILE* stream_;
  std::atomic<bool> spoken_{false};
};

// What every job of a run shares unless its manifest line says otherwise.
struct JobDefaults {
  std::optional<PlanSpec> plan;
  EncodeArgs encode;
  double skip_blank = -1;
  bool auto_orient = false;
  // A manifest line may set its own codec options ("format", "quality", ...) only when the run
  // allows it (--allow-per-line-codec); otherwise such a line is refused.
  bool line_codec = false;
  FormatNotice* notice = nullptr;  // none: no notice
};

// A plan written as a manifest line writes it: {"tile": 256, "overlap": 32},
// {"rois": "file.csv"} or {"random": {"count": 10, "size": "64:128", "seed": 1}}, or the same
// under "plan". Relative ROI file paths are relative to the current directory.
Result<PlanSpec> plan_from_json(const nlohmann::json& plan);

// The container format of the first bytes of a file (kOther when it cannot be read).
ContainerFormat sniff_file(const std::string& path);

// Per-job notes the report needs after the run: the manifest line and the key prefix.
// Written by the source (one thread), read by sinks (possibly several): hence the mutex.
class JobNotes {
 public:
  void set_line(std::size_t job, std::size_t line);
  void set_key_prefix(std::size_t job, std::string prefix);
  std::optional<std::size_t> line(std::size_t job) const;
  // Empty when the job has none.
  std::string key_prefix(std::size_t job) const;
  bool any_key_prefix() const noexcept { return has_prefix_.load(); }

 private:
  mutable std::mutex mutex_;
  std::map<std::size_t, std::size_t> lines_;
  std::map<std::size_t, std::string> prefixes_;
  std::atomic<bool> has_prefix_{false};
};

// The inputs of a list, each with its position in the list as its dataset index; a shard
// takes the positions it owns (ShardSpec::takes) and passes the others over unread.
class InputListSource final : public JobSource {
 public:
  InputListSource(std::vector<std::string> inputs, JobDefaults defaults, ShardSpec shard = {});
  std::optional<Job> next() override;

 private:
  std::vector<std::string> inputs_;
  JobDefaults defaults_;
  ShardSpec shard_;
  std::size_t next_ = 0;
};

// What a run record says about one input: its path, size and modification time. Size and
// time stand for the content, since reading every input twice would cost more than the run;
// stdin has neither, so it is recorded by its name only.
nlohmann::json describe_input(const std::string& path);

// A manifest's jobs. Every line that is not blank has a dataset index, counted from 0 in file
// order whether or not the line is a valid job, so the index of a line depends only on the
// lines before it, never on which of them are valid here: every task of a sharded run counts
// alike. A shard takes the lines it owns (ShardSpec::takes); a line of another shard is read
// only for its "input", whose stem it takes (Job::passed_over), as does a line that is not a
// valid job.
class ManifestSource final : public JobSource {
 public:
  // Fails when the manifest cannot be opened.
  static Result<std::unique_ptr<ManifestSource>> open(const std::string& path, JobDefaults defaults,
                                                      JobNotes& notes, ShardSpec shard = {});
  // Manifest lines already in memory; `name` stands for the manifest in messages, and relative
  // paths are relative to the current directory.
  static std::unique_ptr<ManifestSource> from_text(std::string name, std::string text,
                                                   JobDefaults defaults, JobNotes& notes);
  std::optional<Job> next() override;

  // Lines that were not jobs (bad JSON, bad plan): each was reported when read.
  std::size_t bad_lines() const noexcept { return bad_lines_; }

  // Where a bad line is reported ("MANIFEST:LINE: reason"); stderr by default. Called from
  // next(), so from whichever thread pulls jobs.
  void report_bad_lines_to(std::function<void(const std::string&)> report) {
    report_ = std::move(report);
  }

  // For the run record: the count of the files the lines read (images and ROI files) and a
  // digest of describe_input() of each, so that --resume notices an image or ROI file that
  // changed since the first run. Lines that are not jobs are left out; the run reports them.
  nlohmann::json describe_inputs() const;

 private:
  ManifestSource(std::string path, std::string directory, std::istringstream stream,
                 JobDefaults defaults, JobNotes& notes, ShardSpec shard);
  Result<Job> parse_line(const std::string& text);
  void pass_over(const std::string& text, std::size_t dataset_index);
  std::string resolve(const std::string& path) const;

  std::string path_;
  std::string directory_;
  std::istringstream stream_;  // the whole manifest, read with a size limit
  JobDefaults defaults_;
  JobNotes& notes_;
  ShardSpec shard_;
  std::vector<PassedOverJob> passed_over_;  // since the last job returned
  std::size_t line_number_ = 0;
  std::size_t dataset_index_ = 0;  // of the next line that is not blank
  std::size_t jobs_ = 0;
  std::size_t bad_lines_ = 0;
  std::function<void(const std::string&)> report_;
};

}  // namespace tessera::cli
