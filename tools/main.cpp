// The tessera command line: parses arguments with CLI11 and hands them to one command.
// Parsing errors exit with 2; everything else is decided by the command.
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli_flags.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "profile.hpp"
#include "pyramid_command.hpp"
#include "signals.hpp"
#include "tessera/codecs/formats.hpp"
#include "tessera/version.hpp"
#include "tune.hpp"

namespace tessera::cli {
namespace {

constexpr const char* kOutputHelp = R"(
Output (-o):
  (none)        nothing is written: the null sink, only the summary
  DIR           one file per crop under DIR, named by --name (placeholders {stem} {job}
                {index} {x} {y} {w} {h} {col} {row} {key} {ext}); a name must tell the
                inputs apart ({stem} or {job}) and the crops of one image ({index}, {key},
                {x} and {y}, or {col} and {row})
  NAME.tar      WebDataset shards NAME-000000.tar, NAME-000001.tar, ...; --shard-size
                starts a new shard at a byte size (500MB, 1GB, 64KiB; KB/MB/GB are powers of
                1000, KiB/MiB/GiB of 1024; a plain number is bytes) or a sample count
                (10000samples, or "10000 samples")
  -             one tar stream on stdout; --json and the summary then go to stderr
Exit codes: 0 all crops written, 1 some images or crops failed (or the output failed),
  2 usage error, 130 interrupted (completed outputs are kept, partial ones removed).
--json prints one object: images, failed_images, crops, failed (crops), skipped, bytes_out,
  wall_s, decode_s, encode_cpu_s, peak_rss_mb, peak_window_mb, ..., outputs (each shard
  with its samples and bytes, or the directory with its counts), and with --shuffle the
  buffer's limits and peak samples and bytes.
Without -f every crop is JPEG, whatever the input's format.)";

constexpr const char* kShardHelp =
    "Run only task I of N: the jobs whose index (position among the inputs, or among the "
    "manifest's non-blank lines, from 0) is I modulo N. I/N, auto (a Slurm array task) or "
    "auto/N (task index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX). Outputs are named "
    "NAME-sIIIIofNNNN-000000.tar or DIR/sIIIIofNNNN/";

struct Arguments {
  CommonArgs common;
  PlanArgs plan;
  std::vector<std::string> inputs;
  std::string single;
  bool info_json = false;
  bool verify = false;    // index
  std::string index_out;  // index
  std::uint64_t info_max_pixels = std::uint64_t{1} << 30;
  int info_page = 0;
  std::string profile;
  bool line_codec = false;  // manifest
  TuneArgs tune;
  PyramidArgs pyramid;
};

void add_tune_command(CLI::App& app, TuneArgs& args) {
  auto* tune = app.add_subcommand(
      "tune",
      "Time your own job under different engine settings and write the fastest as a profile");
  tune->add_option("INPUT", args.inputs, "Images of the job to tune (files; not stdin)")
      ->required();
  add_grid_options(*tune, args.plan, false);
  add_random_options(*tune, args.plan, false);
  tune->add_option("--rois", args.plan.rois, "ROI file, as for 'tessera crop'")->group("Plan");
  add_encode_options(*tune, args.common.encode);
  add_run_options(*tune, args.common.run);
  tune->add_option("-o,--output", args.profile_out, "The profile to write (JSON)")
      ->required()
      ->group("Output");
  tune->add_option("--time", args.time, "Time budget: 60s, 2m, 90 (seconds)")
      ->capture_default_str()
      ->group("Run");
  tune->add_flag("--allow-lossy-changes", args.allow_lossy,
                 "Also try JPEG settings that change the output (DCT, Huffman, progressive) and "
                 "report PSNR; PNG level, filter and encoder are lossless and always tried")
      ->group("Run");
  tune->add_option("--max-size-growth", args.max_size_growth,
                   "Percent: a codec setting is chosen only if its output is at most this much "
                   "larger than the defaults'")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str()
      ->group("Run");
  tune->footer(
      "Runs the job into the null sink: defaults first, then one setting at a time (threads,\n"
      "crops in flight, band rows, jobs in flight; for PNG output also level, filter and\n"
      "encoder, which are lossless), then refines around the best. Each setting runs several\n"
      "times; a setting is chosen only if it beats the defaults by more than the noise, and a\n"
      "codec setting only if its output grows by at most --max-size-growth.\n"
      "Examples:\n"
      "  tessera tune big.jpg --tile 256 --time 60s -o profile.json\n"
      "  tessera tile big.jpg --tile 256 --profile profile.json -o tiles/   (flags given here "
      "win)\n");
}

// --profile: the file's settings become the defaults; flags typed on the command line win.
int apply_profile_option(CLI::App& command, const std::string& path, CommonArgs& common) {
  const std::string name = command.get_name();
  auto profile = load_profile(path);
  if (!profile) {
    fmt::print(stderr, "tessera {}: {}\n", name, profile.error().message);
    return kExitUsage;
  }
  const auto lines = apply_profile(*profile, common, [&command](std::string_view flag) {
    return command.count(std::string(flag)) > 0;
  });
  if (!common.run.quiet)
    fmt::print(stderr, "tessera {}: profile {}: {}\n", name, path, fmt::join(lines, ", "));
  return kExitOk;
}

CLI::App* add_tile_command(CLI::App& app, Arguments& a) {
  CLI::App* tile = app.add_subcommand("tile", "Cut every image into a grid of tiles");
  tile->add_option("INPUT", a.inputs, "Images (JPEG, PNG, or others through OpenCV); - reads stdin")
      ->required();
  add_grid_options(*tile, a.plan, true);
  add_common(*tile, a.common);
  add_lossless_option(*tile, a.common.encode);
  tile->footer(std::string("Examples:\n"
                           "  tessera tile big.jpg --tile 256 -o tiles/\n"
                           "  tessera tile *.png --tile 512x256 --overlap 64 --edge pad --fill "
                           "255,255,255 -o shards.tar --shard-size 1GB\n"
                           "  cat big.jpg | tessera tile - --tile 256 -o - > out.tar\n") +
               kOutputHelp);
  return tile;
}

CLI::App* add_crop_command(CLI::App& app, Arguments& a) {
  CLI::App* crop = app.add_subcommand("crop", "Cut the regions listed in a CSV or JSON file");
  crop->add_option("INPUT", a.single, "Image; - reads stdin")->required();
  crop->add_option("--rois", a.plan.rois,
                   "ROI file: CSV lines x,y,w,h[,key] (a header x,y,w,h,key,label,... adds "
                   "fields) or a JSON list of {x,y,w,h,key,...}")
      ->required()
      ->group("Plan");
  crop->add_option("--edge", a.plan.edge,
                   "Regions past the edge: error (default), drop, pad or clip")
      ->check(CLI::IsMember({"error", "drop", "pad", "clip"}))
      ->group("Plan");
  crop->add_option("--fill", a.plan.fill, "Pad colour R,G,B[,A]")->group("Plan");
  add_common(*crop, a.common);
  add_lossless_option(*crop, a.common.encode);
  crop->footer(
      std::string("Examples:\n"
                  "  tessera crop scan.jpg --rois boxes.csv -o crops/       (keys name files: "
                  "{stem}/{key}.{ext})\n"
                  "  tessera crop scan.png --rois boxes.json --edge clip -f png -o crops.tar\n"
                  "Keys may use only A-Z a-z 0-9 _ -; other keys are refused.\n"
                  "Fields: \"label\" (or \"cls\"), an integer, becomes KEY.cls in tar output; "
                  "other fields\n"
                  "(CSV header columns, JSON members) are copied into KEY.json.\n") +
      kOutputHelp);
  return crop;
}

CLI::App* add_random_command(CLI::App& app, Arguments& a) {
  CLI::App* random = app.add_subcommand("random", "Cut seeded random square crops");
  random->add_option("INPUT", a.inputs, "Images; - reads stdin")->required();
  add_random_options(*random, a.plan, true);
  add_common(*random, a.common);
  add_lossless_option(*random, a.common.encode);
  random->footer(
      std::string("Examples:\n"
                  "  tessera random photo.jpg --count 100 --size 64:128 --seed 7 -o crops/\n"
                  "  tessera random a.jpg b.jpg --count 1000 --size 224 --seed 1 -o train.tar "
                  "--shard-size 10000samples\n") +
      kOutputHelp);
  return random;
}

CLI::App* add_info_command(CLI::App& app, Arguments& a) {
  CLI::App* info = app.add_subcommand(
      "info", "Print image headers (size, format, channels, subsampling, ...) without decoding");
  info->add_option("INPUT", a.inputs, "Images; - reads stdin")->required();
  info->add_flag("--json", a.info_json, "Print a JSON array, one object per image");
  info->add_option("--max-pixels", a.info_max_pixels,
                   "Report images with more pixels than this as errors")
      ->check(CLI::PositiveNumber);
  info->add_option("--page", a.info_page, "Multi-page TIFF: the page to describe, from 0")
      ->check(CLI::NonNegativeNumber);
  info->footer(
      "Examples:\n  tessera info photo.jpg scan.png slide.tif\n"
      "  tessera info --json *.jpg | jq '.[].width'\n"
      "Exit code 1 when an input cannot be read.");
  return info;
}

CLI::App* add_demo_command(CLI::App& app, Arguments& a) {
  CLI::App* demo =
      app.add_subcommand("demo", "Tile a generated 4096x4096 image and print the speed");
  add_common(*demo, a.common);
  demo->footer(
      std::string(
          "Examples:\n"
          "  tessera demo                     (nothing written; prints crops, bytes, time, MP/s)\n"
          "  tessera demo -j 1 --json\n"
          "  tessera demo -f png -o demo_tiles/\n") +
      kOutputHelp);
  return demo;
}

CLI::App* add_index_command(CLI::App& app, Arguments& a) {
  CLI::App* index = app.add_subcommand(
      "index", "Write a JSON index of tar shards: each shard's samples and bytes, and totals");
  index->add_option("SHARD", a.inputs, "Tar shards, e.g. out-s*.tar")->required();
  index->add_flag("--verify", a.verify,
                  "Read every shard whole: fail on a member or shard cut short, and on a sample "
                  "key found twice in any of the shards");
  index->add_option("-o,--output", a.index_out, "Write the JSON here (default: stdout)");
  index->footer(
      "A sample is a run of members with the same key (the name up to the first dot).\n"
      "Examples:\n"
      "  tessera index shards/out-*.tar -o shards/index.json\n"
      "  tessera index --verify out-s*-*.tar     (after a cluster run: exit 1 on any problem)");
  return index;
}

CLI::App* add_manifest_command(CLI::App& app, Arguments& a) {
  CLI::App* manifest =
      app.add_subcommand("manifest", "Run the jobs of a JSON-lines file, one image per line");
  manifest
      ->add_option("JOBS", a.single,
                   "JSON lines: {\"input\": \"a.jpg\", \"plan\": {...}, \"key_prefix\": \"p\"}")
      ->required();
  add_grid_options(*manifest, a.plan, false);
  add_random_options(*manifest, a.plan, false);
  add_common(*manifest, a.common);
  manifest
      ->add_flag("--allow-per-line-codec", a.line_codec,
                 "Let a line set its own codec options (\"format\", \"quality\", "
                 "\"subsampling\", \"png_level\", ...); without it such a line is refused, "
                 "since a run writes one format")
      ->group("Encoding");
  manifest->footer(
      std::string(
          "Each line: {\"input\": PATH} plus an optional plan, either {\"plan\": {\"tile\": 256, "
          "\"stride\": 128,\n"
          "\"overlap\": .., \"edge\": \"pad\"}}, {\"plan\": {\"rois\": \"boxes.csv\", \"edge\": "
          "\"clip\"}} or\n"
          "{\"plan\": {\"random\": {\"count\": 10, \"size\": \"64:128\", \"seed\": 1}}}, and an "
          "optional\n"
          "\"key_prefix\" that starts the key of every crop of that line. Lines without a plan "
          "use\n"
          "--tile or --count from the command line. Relative paths are relative to the manifest's\n"
          "directory. A bad line is reported with its line number and skipped (exit 1).\n"
          "Other members of a line are fields of its samples: \"label\" (or \"cls\"), an "
          "integer,\n"
          "becomes KEY.cls in tar output, the rest is copied into KEY.json. Codec options "
          "(\"format\",\n"
          "\"quality\", ...) on a line need --allow-per-line-codec.\n"
          "Examples:\n"
          "  tessera manifest jobs.jsonl --tile 256 -o shards.tar --shard-size 1GB\n"
          "  tessera manifest jobs.jsonl --count 50 --size 128 --seed 3 -o crops/ --json\n") +
      kOutputHelp);
  return manifest;
}

CLI::App* add_pyramid_command(CLI::App& app, PyramidArgs& a) {
  CLI::App* pyramid = app.add_subcommand(
      "pyramid", "Write a DeepZoom or IIIF tile pyramid (optionally with a viewer page)");
  pyramid->add_option("INPUT", a.input, "Image; - reads stdin")->required();
  pyramid->add_option("-o,--output", a.out, "OUT (a directory pyramid) or OUT.zip")
      ->required()
      ->group("Output");
  pyramid->add_option("--layout", a.layout, "dz (DeepZoom, default) or iiif (IIIF 3.0 level 0)")
      ->check(CLI::IsMember({"dz", "iiif"}))
      ->group("Pyramid");
  pyramid->add_option("--tile-size", a.tile_size, "Tile side (default: 254 dz, 512 iiif)")
      ->check(CLI::Range(1, 8192))
      ->group("Pyramid");
  pyramid
      ->add_option("--overlap", a.overlap,
                   "Pixels added on each side of a tile (default: 1 dz, 0 iiif)")
      ->check(CLI::Range(0, 8192))
      ->group("Pyramid");
  pyramid
      ->add_flag("--viewer", a.viewer,
                 "Make OUT a directory with index.html, which opens the pyramid with "
                 "OpenSeadragon (copied beside it), from disk or any static server")
      ->group("Pyramid");
  pyramid->add_option("--iiif-id", a.iiif_id, "Base URI of info.json's id (id = BASE/NAME)")
      ->capture_default_str()
      ->group("Pyramid");
  pyramid->add_flag("--overwrite", a.overwrite, "Replace an existing pyramid")->group("Output");
  add_encode_options(*pyramid, a.encode);
  pyramid->add_option("-j,--threads", a.run.threads, "Worker threads (default: every core)")
      ->check(CLI::Range(0, kMaxThreads))
      ->group("Run");
  pyramid->add_option("--crops-in-flight", a.run.crops_in_flight, "Tile encode buffers in flight")
      ->check(CLI::Range(0, kMaxCropsInFlight))
      ->group("Run");
  pyramid->add_option("--band-rows", a.run.band_rows, "Rows decoded per step")
      ->check(CLI::Range(0, kMaxBandRows))
      ->group("Run");
  pyramid->add_option("--max-pixels", a.run.max_pixels, "Refuse images with more pixels than this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group("Run");
  pyramid
      ->add_option("--skip-blank", a.run.skip_blank,
                   "Do not write tiles whose pixel standard deviation is below T")
      ->check(CLI::NonNegativeNumber)
      ->group("Run");
  pyramid
      ->add_flag("--allow-truncated", a.run.allow_truncated,
                 "Accept truncated or damaged JPEGs (the missing part decodes as grey)")
      ->group("Run");
  pyramid->add_flag("--quiet", a.run.quiet, "No summary")->group("Run");
  pyramid->add_flag("--json", a.run.json, "Print one JSON summary object")->group("Run");
  pyramid->footer(
      "Levels, tile grid, overlap and file names are those of 'vips dzsave' with the same\n"
      "--tile-size and --overlap. Each level is the 2x2 mean of the one above, made while the\n"
      "image streams in: one decode, memory of a few bands per level.\n"
      "Output (-o):\n"
      "  OUT          dz: OUT.dzi and OUT_files/LEVEL/COL_ROW.EXT; iiif: OUT/info.json and tiles\n"
      "  OUT.zip      the same under OUT/ in one stored (not deflated) zip\n"
      "  --viewer     OUT/ holds index.html, openseadragon/ and the pyramid\n"
      "Examples:\n"
      "  tessera pyramid scan.jpg -o scan                      (scan.dzi, scan_files/)\n"
      "  tessera pyramid scan.jpg -o web/scan --viewer         (open web/scan/index.html)\n"
      "  tessera pyramid map.png -o map.zip --tile-size 256 --overlap 0 -f png\n"
      "  tessera pyramid scan.jpg -o iiif/scan --layout iiif --tile-size 256\n");
  return pyramid;
}

// The commands that cut crops, at the top level or under `tessera plan`.
struct CropCommands {
  CLI::App* tile;
  CLI::App* crop;
  CLI::App* random;
  CLI::App* manifest;
};

// The command line as CLI11 sees it; the subcommands' pointers say which one was parsed.
struct Commands {
  CLI::App* tile;
  CLI::App* crop;
  CLI::App* random;
  CLI::App* info;
  CLI::App* demo;
  CLI::App* manifest;
  CLI::App* pyramid;
  CLI::App* index;
  CLI::App* plan;
  CropCommands planned;  // under `plan`
};

void add_run_extras(const CropCommands& c, Arguments& a) {
  for (CLI::App* command : {c.tile, c.crop, c.random, c.manifest}) {
    command
        ->add_option("--profile", a.profile,
                     "Settings from 'tessera tune' (JSON); flags given here win")
        ->group("Run");
  }
  for (CLI::App* command : {c.tile, c.random, c.manifest}) {
    command->add_option("--shard", a.common.output.shard, kShardHelp)->group("Output");
  }
}

// `tessera plan COMMAND ...`: the crop commands with their own options, listing instead of
// running.
CLI::App* add_plan_command(CLI::App& app, Arguments& a, CropCommands& planned) {
  CLI::App* plan = app.add_subcommand(
      "plan",
      "List the crops a tile, crop, random or manifest run would write, and their output "
      "names, reading only image headers");
  plan->require_subcommand(1);
  planned = CropCommands{add_tile_command(*plan, a), add_crop_command(*plan, a),
                         add_random_command(*plan, a), add_manifest_command(*plan, a)};
  add_run_extras(planned, a);
  for (CLI::App* command : {planned.tile, planned.crop, planned.random, planned.manifest}) {
    command
        ->add_flag("--jsonl", a.common.output.list_jsonl,
                   "One JSON object per crop instead of CSV lines")
        ->group("Output");
  }
  plan->footer(
      "Prints one line per crop, in the order a run writes them: source, job, index, x, y,\n"
      "w, h, key (the ROI key, with a manifest key_prefix), shard (tar output) and output\n"
      "(the file under -o DIR, or the tar member KEY.EXT). Writes nothing; failures and\n"
      "coverage warnings go to stderr. A shard is left empty when it depends on encoded\n"
      "sizes (--shard-size in bytes) or on --shuffle.\n"
      "Examples:\n"
      "  tessera plan tile *.jpg --tile 256 --overlap 32 -o tiles/ > plan.csv\n"
      "  tessera plan manifest jobs.jsonl -o ds.tar --shard-size 1000samples --jsonl\n");
  return plan;
}

Commands add_commands(CLI::App& app, Arguments& a) {
  app.set_version_flag("--version", fmt::format("tessera {}", kVersion));
  app.require_subcommand(1);
  app.footer(
      "Run 'tessera COMMAND --help' for a command's options and examples.\n"
      "Start with: tessera demo");
  Commands commands{add_tile_command(app, a),
                    add_crop_command(app, a),
                    add_random_command(app, a),
                    add_info_command(app, a),
                    add_demo_command(app, a),
                    add_manifest_command(app, a),
                    add_pyramid_command(app, a.pyramid),
                    add_index_command(app, a),
                    nullptr,
                    {}};
  add_tune_command(app, a.tune);
  add_run_extras({commands.tile, commands.crop, commands.random, commands.manifest}, a);
  commands.plan = add_plan_command(app, a, commands.planned);
  return commands;
}

// nullopt when the arguments parsed; else the exit code (0 after --help or --version).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return std::nullopt;
}

int dispatch(CLI::App& app, const Commands& c, Arguments& a) {
  const CropCommands run =
      c.plan->parsed() ? c.planned : CropCommands{c.tile, c.crop, c.random, c.manifest};
  a.common.output.list_only = c.plan->parsed();
  for (CLI::App* command : {run.tile, run.crop, run.random, run.manifest}) {
    if (!command->parsed() || a.profile.empty()) continue;
    if (int code = apply_profile_option(*command, a.profile, a.common); code != kExitOk)
      return code;
  }
  if (app.got_subcommand("tune")) return run_tune(a.tune);
  if (run.tile->parsed()) return run_tile(a.inputs, a.plan, a.common);
  if (run.crop->parsed()) return run_crop(a.single, a.plan, a.common);
  if (run.random->parsed()) return run_random(a.inputs, a.plan, a.common);
  if (c.info->parsed()) return run_info(a.inputs, a.info_json, a.info_max_pixels, a.info_page);
  if (c.demo->parsed()) return run_demo(a.common);
  if (c.pyramid->parsed()) return run_pyramid(a.pyramid);
  if (c.index->parsed()) return run_index(a.inputs, a.verify, a.index_out);
  return run_manifest(a.single, a.plan, a.common, a.line_codec);
}

int run(int argc, char** argv) {
  CLI::App app{
      "tessera: decode a large image once, cut many regions out of it and encode them in parallel.",
      "tessera"};
  Arguments a;
  const Commands commands = add_commands(app, a);
  if (auto code = parse(app, argc, argv)) return *code;
  return dispatch(app, commands, a);
}

}  // namespace
}  // namespace tessera::cli

int main(int argc, char** argv) {
  tessera::cli::ignore_file_size_signal();
  try {
    return tessera::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // stdio, not fmt: fmt throws when stderr cannot be written (full, or past ulimit -f),
    // and a second throw here would end in std::terminate.
    std::fprintf(stderr, "tessera: error: %s\n", e.what());
    return tessera::cli::kExitFailed;
  }
}
