#include "shuffle_args.hpp"

#include <fmt/format.h>

namespace tessera::cli {

Result<std::optional<ShuffleOptions>> shuffle_from(const OutputArgs& args) {
  if (!args.shuffle) {
    if (args.shuffle_buffer || !args.shuffle_memory.empty()) {
      return Error{ErrorCode::kInvalidArgument,
                   "--shuffle-buffer and --shuffle-memory size the buffer of --shuffle SEED; "
                   "add --shuffle SEED, or leave them out"};
    }
    return std::optional<ShuffleOptions>();
  }
  ShuffleOptions options;
  options.seed = *args.shuffle;
  if (args.shuffle_buffer) options.max_samples = *args.shuffle_buffer;
  if (!args.shuffle_memory.empty()) {
    auto limit = parse_shard_size(args.shuffle_memory);
    if (!limit || limit->bytes == 0) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("--shuffle-memory \"{}\" is not a byte size; write for example "
                               "512MB or 2GiB (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)",
                               args.shuffle_memory)};
    }
    options.max_bytes = limit->bytes;
  }
  if (options.max_samples == 0) {
    return Error{ErrorCode::kInvalidArgument,
                 "--shuffle-buffer 0 holds no sample; give at least 1 (default 10000)"};
  }
  return std::optional<ShuffleOptions>(options);
}

nlohmann::json shuffle_record(const ShuffleOptions& options) {
  return {{"seed", options.seed},
          {"buffer_samples", options.max_samples},
          {"buffer_bytes", options.max_bytes}};
}

nlohmann::json shuffle_json(const ShuffleStats& stats) {
  return {{"seed", stats.seed},
          {"buffer_samples", stats.max_samples},
          {"buffer_bytes", stats.max_bytes},
          {"samples", stats.samples},
          {"peak_samples", stats.peak_samples},
          {"peak_bytes", stats.peak_bytes}};
}

}  // namespace tessera::cli
