// Chooses the sink behind -o: a directory of files, WebDataset tar shards, one tar stream on
// stdout, or the null sink. Also the sink decorator that applies manifest key prefixes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "forwarding_sink.hpp"
#include "job_sources.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera::cli {

struct Output {
  std::unique_ptr<Sink> sink;
  std::string description;  // for the human summary, e.g. "directory out/"
  bool to_stdout = false;   // the tar stream owns stdout: summaries go to stderr
  bool discards = false;    // the null sink
  std::string directory;    // -o DIR; empty for other outputs
  // Tar output: each shard this run completed, in order (filled by the sink, read after the
  // run; shared so that the sink's callback outlives a move of this struct).
  std::shared_ptr<std::vector<ShardReport>> shards;
  // The shuffle buffer's figures, filled while the run goes (--shuffle); null otherwise.
  std::unique_ptr<ShuffleStats> shuffle;
};

// What --json lists under "outputs": for tar output, every shard this run completed with its
// samples and bytes; for a directory, the directory with its file count and bytes (a list of
// millions of paths helps no one). Null for the null sink.
nlohmann::json outputs_json(const Output& output, const RunStats& stats);

// The shards of this run as a brace pattern that WebDataset loaders expand,
// "NAME-{000000..000012}.tar" (a single shard: its name); empty when no shard file was written.
std::string shard_pattern(const std::vector<ShardReport>& shards);

// What makes a run's outputs, for the run record: the command, the plan, the settings that
// change the bytes, and each input with its size and modification time.
nlohmann::json describe_run(const std::string& command, const std::string& plan,
                            const CommonArgs& common, const std::vector<std::string>& inputs);

// `default_template` is the command's directory name template when --name is not given; `run`
// comes from describe_run(); `several_jobs` says the run may have more than one input, so a
// --name that names no input is refused (DirectorySinkOptions::several_jobs). Errors (a bad
// template, an invalid shard size, an uncreatable directory, an output that holds another run or is
// being written) are usage errors.
Result<Output> make_output(const OutputArgs& args, const std::string& default_template,
                           const nlohmann::json& run, bool several_jobs);

// Whether -o names tar output: NAME.tar or "-".
bool is_tar_output(const std::string& out);

// The checks make_output() makes before it creates anything: -o itself, and options that need
// tar output (--shard-size, --shuffle) or an output to look at (--resume). `tessera plan` makes
// them too.
Status check_output_args(const OutputArgs& args);

// -o names a directory, NAME.tar or "-". An empty name, a URL or a compressed archive name
// (which would otherwise become a directory called "x.tar.gz") is a usage error with a hint.
Status check_output_target(const std::string& out);

// Gives the crops of jobs with a manifest "key_prefix" the key PREFIX_KEY, or
// PREFIX_X_Y_W_H when the crop has no key of its own.
class KeyPrefixSink final : public ForwardingSink {
 public:
  KeyPrefixSink(Sink& inner, const JobNotes& notes) : ForwardingSink(inner), notes_(notes) {}
  Status consume(const CropResult& crop) override;
  bool exists(const CropResult& crop) const override;

 private:
  std::string prefixed_key(const CropResult& crop) const;  // empty when the job has no prefix
  const JobNotes& notes_;
};

}  // namespace tessera::cli
