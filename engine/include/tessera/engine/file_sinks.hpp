// Sinks that write to disk or to a stream: a directory of files and WebDataset-style tar
// shards. Both write under a unique, exclusively created temporary name and rename once
// complete, so a final name never holds a partial file; both lock their output for the whole
// run, so two processes never write the same one; neither lets a key escape its directory or
// tar namespace. Given a run description, both keep a run record beside the output so that a
// different run is never mixed into it (see "Run record" in docs/ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/codecs/result.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera {

// Placeholders in a name template: {stem} (input file name without directory and
// extension), {job}, {index}, {x}, {y}, {w}, {h}, {col} and {row} (a grid tile's column and
// row), {key} (the ROI key, or the index when the ROI has none) and {ext} (the output format's
// file_extension()).
struct DirectorySinkOptions {
  std::string directory;
  std::string name_template = "{stem}/{x}_{y}.{ext}";
  // fsync each file and its directory before consume() returns, so outputs survive a power
  // loss. Off by default: a flush per crop costs far more than encoding it, and the rename
  // already guarantees that a crash of tessera never leaves a partial file under a final name.
  bool fsync = false;
  // A crop whose final file already exists, is not empty and has a decodable header is not
  // written again (Sink::exists).
  bool resume = false;
  // What makes this output, as a JSON object (plan, codec settings, inputs): recorded in
  // DIRECTORY/.tessera-run.json. Empty: no record is kept or checked (library use).
  std::string run{};
  // Replace a different earlier run instead of refusing to write (its record names its files).
  bool overwrite = false;
  // The run may have more than one job: a template that names no job ({stem} or {job}) is
  // refused here, before anything is written. Without it, such a template fails every job
  // but the first (Sink::check_plan), as does one that names no crop for a plan of several.
  bool several_jobs = false;
};

// Checks the template (unknown placeholders, absolute paths) and creates the directory.
Result<std::unique_ptr<Sink>> make_directory_sink(const DirectorySinkOptions& options);

// A shard complete under its final name ("-" for the stream on stdout).
struct ShardReport {
  std::string path;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;  // the file's size
};

// Shuffled tar output (TarSinkOptions::shuffle): a buffer of samples copied out of their pooled
// buffers, written in an order drawn from `seed` (docs/ARCHITECTURE.md, "Shuffle buffer").
// Memory is bounded by both limits: at most max_samples samples and max_bytes bytes (image,
// JSON and names), except that one sample larger than max_bytes passes through alone.
struct ShuffleOptions {
  static constexpr std::uint64_t kDefaultSamples = 10'000;
  static constexpr std::uint64_t kDefaultBytes = std::uint64_t{1} << 30;  // 1 GiB
  std::uint64_t seed = 0;
  std::uint64_t max_samples = kDefaultSamples;
  std::uint64_t max_bytes = kDefaultBytes;
};

// What the shuffle buffer held, for --json: its limits, and the most it held at once.
struct ShuffleStats {
  std::uint64_t seed = 0;
  std::uint64_t max_samples = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t samples = 0;  // samples that went through it
  std::uint64_t peak_samples = 0;
  std::uint64_t peak_bytes = 0;
};

// Shards: "out.tar" becomes out-000000.tar, out-000001.tar, ...; "-" is one stream to stdout.
// Each sample is KEY.EXT (the output format's file_extension()) then KEY.json with source, x, y, w,
// h and plan; a shard boundary always falls between samples.
struct TarSinkOptions {
  std::string path;
  std::uint64_t max_shard_bytes = 0;    // 0: no limit
  std::uint64_t max_shard_samples = 0;  // 0: no limit
  // Keep the valid shards already present, report their samples as existing, number new
  // shards after the last one, and delete leftover temporary shards and damaged shards (whose
  // crops are then encoded again). Not for "-".
  bool resume = false;
  // What makes this output, as a JSON object: recorded in "dir/out.run.json". Empty: no record
  // is kept or checked (library use). Not for "-".
  std::string run{};
  // Remove the shards of a different earlier run instead of refusing to write.
  bool overwrite = false;
  // Told of each shard this run completes, in order, from the thread that completed it. Shards
  // kept from an earlier run (resume) are not reported.
  std::function<void(const ShardReport&)> on_shard{};
  // Write the samples in a seeded random order instead of delivery order. Keys stay those of
  // the unshuffled run: each sample is named in delivery order, before it is buffered.
  std::optional<ShuffleOptions> shuffle{};
  // Receives the buffer's ShuffleStats as it runs; must outlive the sink. May be null.
  ShuffleStats* shuffle_stats = nullptr;
};

Result<std::unique_ptr<Sink>> make_tar_sink(const TarSinkOptions& options);

// Writes `text` to `path` whole or not at all: a unique temporary file created exclusively
// beside it (never following a symlink planted there), then a rename. For the small files
// tessera writes besides crops, such as tuned profiles.
Status write_file_atomically(const std::string& path, std::string_view text);

// A key safe as a file name and as a WebDataset key: no directory parts, no dots (WebDataset
// splits the extension at the first dot), nothing outside [A-Za-z0-9_-]. Returns an error for
// keys such as "../../x" rather than silently rewriting them.
Result<std::string> checked_key(std::string_view key);

// The key of a crop without a key of its own: "PREFIX_X_Y_W_H", with "_i<index>" when it
// shares its position with an earlier crop of its job (CropResult::shares_position). The
// sinks use the job's stem as the prefix.
std::string generated_key(std::string_view prefix, const CropResult& crop);

}  // namespace tessera
