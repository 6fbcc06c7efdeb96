// --shuffle SEED, --shuffle-buffer N and --shuffle-memory SIZE: the tar sink's seeded shuffle
// buffer as the command line sets it, records it in the run record and reports it in --json.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera::cli {

// The shuffle the options ask for, nullopt without --shuffle. --shuffle-buffer or
// --shuffle-memory without --shuffle, or a memory size that is not a byte size, is an error.
Result<std::optional<ShuffleOptions>> shuffle_from(const OutputArgs& args);

// What the run record keeps, since seed and limits decide the order of the samples:
// {"seed", "buffer_samples", "buffer_bytes"}.
nlohmann::json shuffle_record(const ShuffleOptions& options);

// For --json: the limits, the samples that went through, and the most the buffer held.
nlohmann::json shuffle_json(const ShuffleStats& stats);

}  // namespace tessera::cli
