// The run record: a small JSON file beside an output (NAME.run.json for tar shards,
// .tessera-run.json in a directory) that says what made it, so that a second run never mixes
// its outputs with another run's, and --resume continues only the run it belongs to. This unit
// reads, writes and compares records and decides what a new run may do with the output; it
// never deletes an output itself (the sink knows which files are its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

struct RunRecord {
  nlohmann::json run;  // what decides the outputs: the caller's settings and tessera's version
  bool complete = false;
};

// The record at `path`, or nullopt when there is none. A record that is a symlink, not a
// regular file, too large or not a record is an error naming the file.
Result<std::optional<RunRecord>> read_run_record(const std::string& path);

// Writes the record atomically (temporary file and rename).
Status write_run_record(const std::string& path, const RunRecord& record);

// `caller_run` (a JSON object, as text) plus tessera's version: the "run" a record stores.
Result<nlohmann::json> run_of(const std::string& caller_run);

// The top-level fields in which two runs differ, each as "field (BEFORE before, NOW now)" for a
// short value or "field" for a long one; empty when they are the same run.
std::vector<std::string> run_differences(const nlohmann::json& before, const nlohmann::json& now);

// What a new run does with an output that may hold an earlier one.
enum class Claim {
  kFresh,    // nothing there: write
  kResume,   // the same run, --resume: keep what is there and valid, write the rest
  kReplace,  // remove the earlier run's outputs first, then write
};

struct ClaimRequest {
  std::string output;                   // for messages, e.g. "out.tar"
  const std::optional<RunRecord>* old;  // the record found, if any
  bool has_outputs = false;             // tessera outputs are there (by their naming pattern)
  const nlohmann::json* run;            // the new run
  bool resume = false;
  bool overwrite = false;
};

// A different run, or outputs with no record, are refused unless `overwrite`; --resume is
// refused when the runs differ. The same run written again without --resume replaces it, so
// no output of the earlier attempt is left beside the new ones.
Result<Claim> claim_output(const ClaimRequest& request);

}  // namespace tessera::detail
