// The flags shared by several commands; see cli_flags.hpp.
#include "cli_flags.hpp"

#include <string>

#include <fmt/format.h>

#include "output.hpp"
#include "tessera/codecs/formats.hpp"

namespace tessera::cli {

void add_encode_options(CLI::App& app, EncodeArgs& args) {
  app.add_option("-f,--format", args.format,
                 fmt::format("Output format: {} (default: {} for every input, whatever its format)",
                             join_names(output_format_names()), to_string(EncodeOptions{}.format)))
      ->check(CLI::IsMember(output_format_spellings()))
      ->group("Encoding");
  app.add_option("-q,--quality", args.quality, "JPEG quality 1..100")
      ->check(CLI::Range(1, 100))
      ->capture_default_str()
      ->group("Encoding");
  app.add_option("--subsampling", args.subsampling,
                 "JPEG chroma subsampling: " + join_names(jpeg_subsampling_names()))
      ->check(CLI::IsMember(jpeg_subsampling_names()))
      ->capture_default_str()
      ->group("Encoding");
  app.add_flag("--fast-dct", args.fast_dct, "JPEG: the fast, less accurate DCT")->group("Encoding");
  app.add_flag("--progressive", args.progressive, "JPEG: progressive")->group("Encoding");
  app.add_flag("--optimize", args.optimize, "JPEG: optimised Huffman tables")->group("Encoding");
  app.add_option("--png-level", args.png_level,
                 "PNG compression level: 0..12 with libdeflate, 0..9 with libspng (zlib's scale)")
      ->check(CLI::Range(0, 12))
      ->capture_default_str()
      ->group("Encoding");
  app.add_option("--png-filter", args.png_filter,
                 "PNG row filter: " + join_names(png_filter_names()) + " (adaptive)")
      ->check(CLI::IsMember(png_filter_names()))
      ->capture_default_str()
      ->group("Encoding");
  app.add_option("--png-strategy", args.png_strategy,
                 "zlib strategy (libspng only): " + join_names(zlib_strategy_names()))
      ->check(CLI::IsMember(zlib_strategy_names()))
      ->capture_default_str()
      ->group("Encoding");
  app.add_option("--png-encoder", args.png_encoder,
                 "PNG encoder: " + join_names(png_encoder_names()) +
                     " (the reference; needed for --png-strategy)")
      ->check(CLI::IsMember(png_encoder_names()))
      ->capture_default_str()
      ->group("Encoding");
}

void add_output_options(CLI::App& app, OutputArgs& args) {
  app.add_option("-o,--output", args.out, "DIR, NAME.tar or - (see below); default: write nothing")
      ->check([](const std::string& out) {
        Status valid = check_output_target(out);
        return valid ? std::string() : valid.error().message;
      })
      ->group("Output");
  app.add_option("--name", args.name_template,
                 "File name template for DIR output, e.g. \"{stem}/{x}_{y}.{ext}\"")
      ->group("Output");
  app.add_option("--shard-size", args.shard_size,
                 "Tar shard limit: 1GB, 500MB, 64KiB or 10000samples")
      ->group("Output");
  app.add_flag("--resume", args.resume,
               "Continue an interrupted run: crops whose file (DIR) or sample (tar shards) already "
               "exists are "
               "not encoded again; new shards are numbered after the last complete one")
      ->group("Output");
  app.add_option("--shuffle", args.shuffle,
                 "Tar shards only: write the samples in an order drawn from this seed, through a "
                 "buffer (WebDataset's shuffle), so neighbours come from different images; the "
                 "same seed gives the same shards on every run and thread count")
      ->group("Output");
  app.add_option("--shuffle-buffer", args.shuffle_buffer,
                 "Samples the --shuffle buffer holds (default 10000); more mixes better")
      ->group("Output");
  app.add_option("--shuffle-memory", args.shuffle_memory,
                 "Bytes the --shuffle buffer holds at most, e.g. 512MB (default 1GiB)")
      ->group("Output");
  app.add_flag("--overwrite", args.overwrite,
               "Replace an output that holds a different run: its shards or files (as its run "
               "record names them) are removed first")
      ->group("Output");
}

// The engine's own defaults, as it resolves them on this machine.
void add_engine_options(CLI::App& app, RunArgs& args) {
  const EngineSettings defaults = resolved_settings();
  EngineOptions one_thread;
  one_thread.threads = 1;
  const int crops_per_thread = resolved_settings(one_thread).crops_in_flight;
  app.add_option("-j,--threads", args.threads,
                 fmt::format("Worker threads (default: every core, {} here)", defaults.threads))
      ->check(CLI::Range(0, kMaxThreads))
      ->group("Run");
  app.add_option("--crops-in-flight", args.crops_in_flight,
                 fmt::format("Encode buffers in flight (default: {} per thread)", crops_per_thread))
      ->check(CLI::Range(0, kMaxCropsInFlight))
      ->group("Run");
  app.add_option("--band-rows", args.band_rows,
                 fmt::format("Rows decoded per step (default: {})", defaults.band_rows))
      ->check(CLI::Range(0, kMaxBandRows))
      ->group("Run");
  app.add_option("--jobs-in-flight", args.jobs_in_flight,
                 fmt::format("Images open at once (default: {})", defaults.jobs_in_flight))
      ->check(CLI::Range(0, kMaxJobsInFlight))
      ->group("Run");
}

void add_run_options(CLI::App& app, RunArgs& args) {
  add_engine_options(app, args);
  app.add_option("--max-pixels", args.max_pixels, "Refuse images with more pixels than this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group("Run");
  app.add_option("--max-crops", args.max_crops, "Refuse plans with more crops than this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group("Run");
  app.add_option("--max-crop-pixels", args.max_crop_pixels,
                 "Refuse crops with more pixels than this (after --edge; a padded crop is "
                 "allocated whole)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group("Run");
  app.add_option("--skip-blank", args.skip_blank,
                 "Skip crops whose pixel standard deviation is below T (counted)")
      ->check(CLI::NonNegativeNumber)
      ->group("Run");
  app.add_flag("--allow-truncated", args.allow_truncated,
               "Accept truncated or damaged JPEGs: the missing part decodes as grey and the "
               "decoder's warning "
               "is printed per image (default: such images fail)")
      ->group("Run");
  app.add_flag("--auto-orient", args.auto_orient,
               "Plan and cut in the upright image given by the JPEG's EXIF orientation. Without it "
               "tessera cuts "
               "the pixels as stored and ignores EXIF orientation")
      ->group("Run");
  app.add_option("--page", args.page,
                 "Multi-page TIFF: the page (image) to read, counted from 0 (default 0)")
      ->check(CLI::NonNegativeNumber)
      ->group("Run");
  app.add_flag("--quiet", args.quiet, "No progress and no human summary")->group("Run");
  app.add_flag("--json", args.json, "Print one JSON summary object at the end (stderr when -o -)")
      ->group("Run");
}

// tile, crop and random only: the quality and subsampling are then the source's.
void add_lossless_option(CLI::App& app, EncodeArgs& args) {
  CLI::Option* lossless =
      app.add_flag("--lossless{on}", args.lossless,
                   "JPEG in, JPEG out, cut from the source's DCT coefficients: exact, no "
                   "re-encoding. Crops must start on the MCU grid (tessera info shows it); "
                   "--lossless=auto cuts the others from pixels")
          ->check(CLI::IsMember({"on", "auto"}))
          ->group("Encoding");
  for (const char* name : {"--quality", "--subsampling"}) app.get_option(name)->excludes(lossless);
}

void add_common(CLI::App& app, CommonArgs& args) {
  add_encode_options(app, args.encode);
  add_output_options(app, args.output);
  add_run_options(app, args.run);
}

void add_grid_options(CLI::App& app, PlanArgs& plan, bool required) {
  auto* tile = app.add_option("--tile", plan.tile, "Tile size: S or WxH pixels")->group("Plan");
  if (required) tile->required();
  app.add_option("--stride", plan.stride, "Step between tiles: S or SXxSY (default: the tile size)")
      ->group("Plan");
  app.add_option("--overlap", plan.overlap,
                 "Overlap between tiles: O or OXxOY pixels, or a percentage of the tile such as "
                 "20% (stride = tile - overlap)")
      ->group("Plan");
  app.add_option("--edge", plan.edge,
                 "Tiles past the edge: drop (default), pad, clip, or shift (move the last column "
                 "and row inward so every tile is full size, as SAHI slices)")
      ->check(CLI::IsMember({"drop", "pad", "clip", "shift"}))
      ->group("Plan");
  app.add_option("--fill", plan.fill, "Pad colour R,G,B[,A] (default 0,0,0,255)")->group("Plan");
}

void add_random_options(CLI::App& app, PlanArgs& plan, bool required) {
  auto* count = app.add_option("--count", plan.count, "Crops per image")
                    ->check(CLI::PositiveNumber)
                    ->group("Plan");
  auto* size =
      app.add_option("--size", plan.size, "Square side: MIN or MIN:MAX pixels")->group("Plan");
  app.add_option("--seed", plan.seed, "Random seed: the same seed gives the same crops")
      ->capture_default_str()
      ->group("Plan");
  if (required) {
    count->required();
    size->required();
  }
}

}  // namespace tessera::cli
