// The command line's option values as plain structs, and the small parsers that turn option
// text ("256x128", "64:128", "1GB", "255,0,0") into tessera's plan, encode and engine types.
// Nothing here runs anything; every parser returns an error that says what to type instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/plan.hpp"

namespace tessera::cli {

// Encode settings as typed on the command line; `format` empty means the default, JPEG, for
// every input whatever its own format: one run writes one format (README, "One format per run").
struct EncodeArgs {
  std::string format;
  int quality = 90;
  std::string subsampling = "420";
  bool fast_dct = false;
  bool progressive = false;
  bool optimize = false;
  int png_level = 6;
  std::string png_filter = "all";
  std::string png_strategy = "default";
  std::string png_encoder = "libdeflate";
  std::string lossless;  // --lossless: "" (off), "on" or "auto"
};

// The engine's lossless mode for --lossless ("on", "auto" or not given).
LosslessMode lossless_mode(const EncodeArgs& args);

struct OutputArgs {
  std::string out;  // empty: null sink; "-": tar to stdout; "*.tar": shards; else a directory
  std::string name_template;  // empty: the command's default
  std::string shard_size;     // empty: no limit
  bool resume = false;        // keep outputs of an earlier run and write only the missing ones
  bool overwrite = false;     // replace an output that holds a different run
  std::string shard;          // empty: the whole dataset; else I/N, auto or auto/N (shard.hpp)
  // --shuffle SEED, --shuffle-buffer N, --shuffle-memory SIZE (shuffle_args.hpp).
  std::optional<std::uint64_t> shuffle;
  std::optional<std::uint64_t> shuffle_buffer;
  std::string shuffle_memory;
  // `tessera plan`: list the crops and their output names instead of running (plan_listing.hpp).
  bool list_only = false;
  bool list_jsonl = false;
};

struct RunArgs {
  int threads = 0;
  int crops_in_flight = 0;
  int band_rows = 0;
  int jobs_in_flight = 0;  // 0: the engine's default
  std::uint64_t max_pixels = std::uint64_t{1} << 30;
  std::size_t max_crops = 10'000'000;
  std::uint64_t max_crop_pixels = PlanLimits{}.max_crop_pixels;
  double skip_blank = -1;
  bool allow_truncated = false;
  bool auto_orient = false;
  int page = 0;  // multi-page inputs (TIFF): the page to read
  bool quiet = false;
  bool json = false;
};

// Grid, ROI-file and random plan options; empty strings mean "not given".
struct PlanArgs {
  std::string rois;  // a ROI file; --edge and --fill then apply to its regions
  std::string tile;
  std::string stride;
  std::string overlap;
  std::string edge;
  std::string fill;
  std::optional<std::size_t> count;
  std::string size;
  std::uint64_t seed = 0;
};

struct CommonArgs {
  EncodeArgs encode;
  OutputArgs output;
  RunArgs run;
};

// "256" or "256x128" -> {256, 128}; both positive.
Result<std::pair<int, int>> parse_dimensions(const std::string& text, const std::string& option);
// "64" or "64:128" -> {64, 128}; both positive, min <= max.
Result<std::pair<int, int>> parse_size_range(const std::string& text, const std::string& option);
// "R,G,B" or "R,G,B,A", each 0..255; alpha defaults to 255.
Result<Rgba> parse_fill(const std::string& text);
// Grids take drop, pad, clip or shift; ROI lists error, drop, pad or clip.
enum class EdgeOf : std::uint8_t { kGrid, kRois };
Result<EdgePolicy> parse_edge(const std::string& text, EdgeOf plan);
// "O" or "OXxOY" pixels, or percentages of the tile ("20%", "25%x10%"), each below the tile.
Result<std::pair<int, int>> parse_overlap(const std::string& text, int tile_width, int tile_height);

// Shard limits: a byte size with an optional unit (B, KB/MB/GB/TB = powers of 1000,
// KiB/MiB/GiB/TiB = powers of 1024), or a sample count written "10000samples" or "10000 samples".
struct ShardLimit {
  std::uint64_t bytes = 0;
  std::uint64_t samples = 0;
};
Result<ShardLimit> parse_shard_size(const std::string& text);

// The grid plan from --tile/--stride/--overlap/--edge/--fill; --tile is required.
Result<GridSpec> grid_from(const PlanArgs& args);
// The random plan from --count/--size/--seed; --count and --size are required.
Result<RandomSpec> random_from(const PlanArgs& args);
// The regions of the --rois file with --edge (error, drop, pad or clip) and --fill applied.
Result<RoiListSpec> rois_from(const PlanArgs& args);
// Whichever plan the options describe: a ROI list when --rois is given, a grid when --tile is,
// random when --count is; nullopt when none is. Every command and manifest line builds its
// plan here or through the three builders above, so an option means the same everywhere.
std::optional<Result<PlanSpec>> plan_from(const PlanArgs& args);

// The encode options of a run (or of a manifest line that may set its own).
Result<EncodeOptions> encode_options_from(const EncodeArgs& args);

EngineOptions engine_options_from(const RunArgs& args);

}  // namespace tessera::cli
