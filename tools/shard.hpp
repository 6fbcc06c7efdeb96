// Which share of a dataset one process runs, so that a cluster's array tasks split a manifest
// or an input list without talking to each other: task I of N takes the jobs whose index in
// the dataset is I modulo N. Nothing here reads a job; the job sources apply the rule.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "tessera/codecs/result.hpp"

namespace tessera::cli {

// More tasks than this is a typo, not a cluster.
inline constexpr std::size_t kMaxShards = 1'000'000;

struct ShardSpec {
  std::size_t index = 0;
  std::size_t count = 1;

  bool takes(std::size_t dataset_index) const noexcept { return dataset_index % count == index; }
  // "3/16", as typed and as the run record keeps it.
  std::string text() const;
  // "s0003of0016": what output names carry, at least four digits, zero-padded so that names
  // sort by task.
  std::string label() const;
};

// Reads an environment variable; nullopt when it is not set. Tests pass their own.
using Environment = std::function<std::optional<std::string>(const char* name)>;
Environment process_environment();

// "I/N"; "auto", which reads a Slurm array task (SLURM_ARRAY_TASK_ID minus
// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT or MAX - MIN + 1 tasks); or "auto/N", which
// takes the task index from SLURM_ARRAY_TASK_ID or a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX and the count from N, so that one task can be submitted again alone.
// Errors say what was wrong and what to type instead.
Result<ShardSpec> parse_shard(const std::string& text, const Environment& environment);

// The output of one task: NAME.tar becomes NAME-sIIIIofNNNN.tar (shards
// NAME-sIIIIofNNNN-000000.tar, record NAME-sIIIIofNNNN.run.json), a directory DIR becomes
// DIR/sIIIIofNNNN; "-" (stdout) and "" (no output) stay as they are.
std::string shard_output(const std::string& out, const ShardSpec& shard);

}  // namespace tessera::cli
