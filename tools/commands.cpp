#include "commands.hpp"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "job_sources.hpp"
#include "output.hpp"
#include "plan_listing.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "shard_index.hpp"
#include "signals.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "tessera/engine/image_utils.hpp"

namespace tessera::cli {
namespace {

constexpr int kDemoSide = 4096;
constexpr int kDemoTile = 256;
constexpr int kDemoQuality = 95;
constexpr const char* kGridTemplate = "{stem}/{x}_{y}.{ext}";
constexpr const char* kKeyTemplate = "{stem}/{key}.{ext}";

int usage_error(const std::string& command, const std::string& message) {
  fmt::print(stderr, "tessera {}: {}\nRun 'tessera {} --help' for usage and examples.\n", command,
             message, command);
  return kExitUsage;
}

// An output that cannot be set up: a usage error, unless the environment refused it (a full
// disk, a file size limit, permissions), which is a failed run, not a wrong command line.
int output_error(const std::string& command, const Error& error) {
  if (error.code != ErrorCode::kIo) return usage_error(command, error.message);
  fmt::print(stderr, "tessera {}: {}\n", command, error.message);
  return kExitFailed;
}

// Everything a run needs besides its jobs.
struct RunSetup {
  std::string command;
  std::string default_template = kGridTemplate;
  ProgressTotals totals;
  JobNotes* notes = nullptr;       // set by manifest runs
  std::string roi_file;            // recorded in the run record beside the images
  std::size_t extra_failures = 0;  // e.g. bad manifest lines, counted after the run
};

int exit_code(const RunStats& stats, std::size_t extra_failures) {
  if (stats.cancelled) return kExitInterrupted;
  if (stats.fatal || stats.jobs_failed > 0 || stats.crops_failed > 0 || extra_failures > 0)
    return kExitFailed;
  return kExitOk;
}

// Builds the sink chain (progress -> failure log -> key prefixes -> output), runs the
// engine, then reports failures and the summary.
int run_jobs(JobSource& source, Output& output, const CommonArgs& common, const RunSetup& setup,
             const std::function<std::size_t()>& late_failures = {}) {
  JobNotes no_notes;
  const JobNotes& notes = setup.notes != nullptr ? *setup.notes : no_notes;
  std::unique_ptr<KeyPrefixSink> prefixes;
  Sink* sink = output.sink.get();
  if (setup.notes != nullptr) {
    prefixes = std::make_unique<KeyPrefixSink>(*sink, notes);
    sink = prefixes.get();
  }
  FailureLog failures(*sink, notes);
  sink = &failures;
  std::unique_ptr<ProgressSink> progress;
  std::unique_ptr<ProgressReporter> reporter;
  if (!common.run.quiet) {
    progress = std::make_unique<ProgressSink>(*sink);
    sink = progress.get();
    reporter = std::make_unique<ProgressReporter>(*progress, setup.totals, stderr);
  }

  EngineOptions options = engine_options_from(common.run);
  options.cancel = &install_interrupt_handlers();
  const RunStats stats = Engine(options).run(source, *sink);
  if (reporter) reporter->stop();

  failures.print(stderr);
  if (stats.fatal) fmt::print(stderr, "tessera: error: {}\n", stats.fatal->message);
  if (stats.cancelled) fmt::print(stderr, "tessera: interrupted\n");

  std::FILE* summary = output.to_stdout ? stderr : stdout;
  const SummaryContext context{
      setup.command,
      output.description,
      output.discards,
      outputs_json(output, stats),
      output.shards == nullptr ? std::string() : shard_pattern(*output.shards),
      output.shuffle.get()};
  if (common.run.json) {
    print_json_summary(summary, stats, context);
  } else if (!common.run.quiet) {
    print_human_summary(summary, stats, context);
  }
  const std::size_t extra = setup.extra_failures + (late_failures ? late_failures() : 0);
  return exit_code(stats, extra);
}

// Notes such as FormatNotice's go to stderr, as progress does, unless --quiet.
std::FILE* notice_stream(const RunArgs& run) {
  return run.quiet ? nullptr : stderr;
}

// Catches encode option mistakes before any job starts.
Status check_encode_args(const EncodeArgs& args) {
  auto options = encode_options_from(args);
  if (!options) return std::move(options).error();
  return {};
}

// --lossless copies the source's coefficients as stored: whatever needs pixels, or another
// output format, cannot go with it.
Status check_lossless_args(const PlanSpec& plan, const CommonArgs& common) {
  if (common.encode.lossless.empty()) return {};
  const auto refuse = [](const std::string& message) {
    return Status{Error{ErrorCode::kInvalidArgument, message}};
  };
  auto options = encode_options_from(common.encode);
  if (options && options->format != OutputFormat::kJpeg) {
    return refuse(fmt::format("--lossless writes JPEG; drop -f {}", common.encode.format));
  }
  const auto* grid = std::get_if<GridSpec>(&plan);
  const auto* rois = std::get_if<RoiListSpec>(&plan);
  if ((grid != nullptr && grid->edge == EdgePolicy::kPad) ||
      (rois != nullptr && rois->edge == EdgePolicy::kPad)) {
    return refuse(
        "--edge pad cannot go with --lossless: a lossless crop holds only the "
        "source's own blocks; use --edge clip or drop");
  }
  if (common.run.skip_blank >= 0) {
    return refuse("--skip-blank needs pixels, which --lossless never decodes; drop one of them");
  }
  if (common.run.auto_orient) {
    return refuse("--auto-orient cannot turn lossless crops upright; drop one of them");
  }
  return {};
}

Status check_inputs(const std::vector<std::string>& inputs) {
  if (std::count(inputs.begin(), inputs.end(), "-") > 1) {
    return Error{ErrorCode::kInvalidArgument,
                 "stdin (-) can be read only once; give '-' at most one time"};
  }
  return {};
}

// --shard: the share of the jobs this task runs. Its outputs carry the share in their names,
// so tasks never write the same file, and its run record keeps it, so --resume continues only
// the same share.
struct Share {
  ShardSpec spec;     // the whole dataset when --shard is not given
  OutputArgs output;  // -o renamed for the share
};

Result<Share> share_of(const OutputArgs& output, nlohmann::json& run) {
  Share share{ShardSpec{}, output};
  if (output.shard.empty()) return share;
  auto spec = parse_shard(output.shard, process_environment());
  if (!spec) return std::move(spec).error();
  share.spec = *spec;
  share.output.out = shard_output(output.out, *spec);
  run["shard"] = spec->text();
  return share;
}

std::size_t jobs_in_share(std::size_t jobs, const ShardSpec& shard) {
  return jobs / shard.count + (shard.index < jobs % shard.count ? 1 : 0);
}

int run_list(const std::string& command, const std::vector<std::string>& inputs,
             const PlanSpec& plan, const CommonArgs& common, RunSetup setup) {
  if (Status s = check_inputs(inputs); !s) return usage_error(command, s.error().message);
  if (Status s = check_encode_args(common.encode); !s)
    return usage_error(command, s.error().message);
  if (Status s = check_lossless_args(plan, common); !s)
    return usage_error(command, s.error().message);
  nlohmann::json run = describe_run(command, describe(plan), common, inputs);
  if (!setup.roi_file.empty()) run["roi_file"] = describe_input(setup.roi_file);
  auto share = share_of(common.output, run);
  if (!share) return usage_error(command, share.error().message);
  FormatNotice notice(notice_stream(common.run), common.encode);
  InputListSource source(inputs,
                         JobDefaults{plan, common.encode, common.run.skip_blank,
                                     common.run.auto_orient, false, &notice},
                         share->spec);
  if (common.output.list_only) {
    return list_plan(source, share->output, common,
                     ListSetup{command, setup.default_template, inputs.size() > 1, nullptr},
                     stdout);
  }
  auto output = make_output(share->output, setup.default_template, run, inputs.size() > 1);
  if (!output) return output_error(command, output.error());
  setup.command = command;
  setup.totals.images = jobs_in_share(inputs.size(), share->spec);
  if (setup.totals.crops > 0)
    setup.totals.crops = setup.totals.crops / inputs.size() * setup.totals.images;
  return run_jobs(source, *output, common, setup);
}

// Keys name files and tar members, so a key that could escape is refused before any work.
Status check_roi_keys(const RoiListSpec& rois, const std::string& file) {
  for (std::size_t i = 0; i < rois.rois.size(); ++i) {
    const std::string& key = rois.rois[i].key;
    if (key.empty()) continue;
    if (auto checked = checked_key(key); !checked) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{}: ROI {}: {}", file, i, checked.error().message)};
    }
  }
  return {};
}

std::string yes_no(bool value) {
  return value ? "yes" : "no";
}

void print_header(const std::string& name, const ImageHeader& h) {
  fmt::print("{}: {}x{} {}, {} channel{} ({}-bit), decodes to {}", name, h.width, h.height,
             to_string(h.container), h.file_channels, h.file_channels == 1 ? "" : "s", h.bit_depth,
             to_string(h.format));
  switch (h.container) {  // no default: a new format decides here what its header shows
    case ContainerFormat::kJpeg:
      fmt::print(
          ", subsampling {}, MCU {}x{} (the lossless crop grid), progressive {}, restart "
          "markers {}",
          to_string(h.subsampling), h.mcu_width, h.mcu_height, yes_no(h.progressive),
          yes_no(h.restart_markers));
      break;
    case ContainerFormat::kPng: fmt::print(", interlaced {}", yes_no(h.progressive)); break;
    case ContainerFormat::kTiff:
      if (h.tiff.tiled) {
        fmt::print(", tiles of {}x{}", h.tiff.block_width, h.tiff.block_height);
      } else {
        fmt::print(", strips of {} row{}", h.tiff.block_height,
                   h.tiff.block_height == 1 ? "" : "s");
      }
      fmt::print(", compression {}, BigTIFF {}, page {}", h.tiff.compression,
                 yes_no(h.tiff.bigtiff), h.tiff.page);
      break;
    case ContainerFormat::kOther: break;
  }
  fmt::print("\n");
}

Result<InputBytes> open_input(const std::string& name) {
  if (name == "-") return InputBytes::open_stdin();
  return InputBytes::open_file(name);
}

// The demo's input: a photo-like picture encoded in memory by tessera's own JPEG encoder.
Result<InputBytes> make_demo_input() {
  const OwnedImage image = make_demo_image(kDemoSide, kDemoSide, PixelFormat::kRgb8);
  EncodeOptions options;
  options.format = OutputFormat::kJpeg;
  options.jpeg.quality = kDemoQuality;
  options.jpeg.subsampling = JpegSubsampling::k444;
  auto bytes = encode_to_vector(image.view(), options);
  if (!bytes) return std::move(bytes).error();
  return InputBytes::from_vector(std::move(bytes).value(), "demo.jpg");
}

}  // namespace

int run_tile(const std::vector<std::string>& inputs, const PlanArgs& plan,
             const CommonArgs& common) {
  auto grid = grid_from(plan);
  if (!grid) return usage_error("tile", grid.error().message);
  return run_list("tile", inputs, PlanSpec(*grid), common, RunSetup{});
}

int run_random(const std::vector<std::string>& inputs, const PlanArgs& plan,
               const CommonArgs& common) {
  auto random = random_from(plan);
  if (!random) return usage_error("random", random.error().message);
  RunSetup setup;
  setup.totals.crops = random->count * inputs.size();
  return run_list("random", inputs, PlanSpec(*random), common, setup);
}

int run_crop(const std::string& input, const PlanArgs& plan, const CommonArgs& common) {
  auto rois = rois_from(plan);
  if (!rois) return usage_error("crop", rois.error().message);
  if (Status s = check_roi_keys(*rois, plan.rois); !s)
    return usage_error("crop", s.error().message);
  const bool keyed = std::any_of(rois->rois.begin(), rois->rois.end(),
                                 [](const RoiEntry& e) { return !e.key.empty(); });
  RunSetup setup;
  setup.default_template = keyed ? kKeyTemplate : kGridTemplate;
  setup.roi_file = plan.rois;
  if (rois->edge != EdgePolicy::kDrop) setup.totals.crops = rois->rois.size();
  return run_list("crop", {input}, PlanSpec(std::move(rois).value()), common, setup);
}

int run_info(const std::vector<std::string>& inputs, bool json, std::uint64_t max_pixels,
             int page) {
  if (Status s = check_inputs(inputs); !s) return usage_error("info", s.error().message);
  DecodeOptions options;
  options.max_pixels = max_pixels;
  options.page = page;
  nlohmann::json all = nlohmann::json::array();
  int code = kExitOk;
  for (const std::string& name : inputs) {
    auto input = open_input(name);
    auto decoder =
        input ? open_decoder(*input, options) : Result<std::unique_ptr<Decoder>>(input.error());
    if (!decoder) {
      const std::string& message = decoder.error().message;
      fmt::print(stderr, "tessera: {}\n",
                 message.starts_with(name + ":") ? message : name + ": " + message);
      code = kExitFailed;
      continue;
    }
    if (json) {
      all.push_back(header_json(name, (*decoder)->header()));
    } else {
      print_header(name, (*decoder)->header());
    }
  }
  if (json) fmt::print("{}\n", all.dump(2));
  return code;
}

int run_demo(const CommonArgs& common) {
  if (Status s = check_encode_args(common.encode); !s)
    return usage_error("demo", s.error().message);
  auto output =
      make_output(common.output, kGridTemplate,
                  describe_run("demo", fmt::format("grid {}", kDemoTile), common, {}), false);
  if (!output) return output_error("demo", output.error());
  auto input = make_demo_input();
  if (!input) {
    fmt::print(stderr, "tessera: demo: cannot encode the demo image: {}\n", input.error().message);
    return kExitFailed;
  }
  auto encode = encode_options_from(common.encode);
  GridSpec grid;
  grid.tile_width = grid.tile_height = kDemoTile;
  const std::vector<Job> jobs{
      Job{"", std::move(input).value(), PlanSpec(grid), *encode, common.run.skip_blank}};
  if (!common.run.quiet && !common.run.json) {
    fmt::print(output->to_stdout ? stderr : stdout,
               "demo: a {}x{} RGB image, JPEG q{} 4:4:4 in memory, cut into {}x{} tiles\n",
               kDemoSide, kDemoSide, kDemoQuality, kDemoTile, kDemoTile);
  }
  struct VectorSource final : JobSource {
    explicit VectorSource(const std::vector<Job>& all) : jobs(all) {}
    std::optional<Job> next() override {
      return i < jobs.size() ? std::optional<Job>(jobs[i++]) : std::nullopt;
    }
    const std::vector<Job>& jobs;
    std::size_t i = 0;
  } source(jobs);
  RunSetup setup;
  setup.command = "demo";
  setup.totals = {1, static_cast<std::size_t>((kDemoSide / kDemoTile) * (kDemoSide / kDemoTile))};
  return run_jobs(source, *output, common, setup);
}

int run_manifest(const std::string& manifest, const PlanArgs& plan, const CommonArgs& common,
                 bool line_codec) {
  std::optional<PlanSpec> defaults;
  if (auto spec = plan_from(plan)) {
    if (!*spec) return usage_error("manifest", spec->error().message);
    defaults = std::move(*spec).value();
  }
  if (Status s = check_encode_args(common.encode); !s)
    return usage_error("manifest", s.error().message);
  const std::string plan_text = defaults ? describe(*defaults) : std::string("per manifest line");
  nlohmann::json run = describe_run("manifest", plan_text, common, {manifest});
  auto share = share_of(common.output, run);
  if (!share) return usage_error("manifest", share.error().message);
  JobNotes notes;
  FormatNotice notice(notice_stream(common.run), common.encode);
  auto source = ManifestSource::open(manifest,
                                     JobDefaults{defaults, common.encode, common.run.skip_blank,
                                                 common.run.auto_orient, line_codec, &notice},
                                     notes, share->spec);
  if (!source) return usage_error("manifest", source.error().message);
  ManifestSource& lines = **source;
  if (common.output.list_only) {
    const int code = list_plan(lines, share->output, common,
                               ListSetup{"manifest", kGridTemplate, true, &notes}, stdout);
    // Bad lines were reported as they were read; they fail a run too.
    return code == kExitOk && lines.bad_lines() > 0 ? kExitFailed : code;
  }
  run["manifest_inputs"] = (*source)->describe_inputs();
  auto output = make_output(share->output, kGridTemplate, run, true);
  if (!output) return output_error("manifest", output.error());
  RunSetup setup;
  setup.command = "manifest";
  setup.notes = &notes;
  return run_jobs(lines, *output, common, setup, [&lines] { return lines.bad_lines(); });
}

int run_index(const std::vector<std::string>& shards, bool verify, const std::string& out) {
  const ShardIndex index = index_shards(shards, verify);
  for (const std::string& problem : index.problems)
    fmt::print(stderr, "tessera index: {}\n", problem);
  const std::string text = index_json(index).dump(2) + "\n";
  if (out.empty()) {
    fmt::print("{}", text);
  } else if (Status s = write_file_atomically(out, text); !s) {
    fmt::print(stderr, "tessera index: {}\n", s.error().message);
    return kExitFailed;
  }
  if (!index.problems.empty()) {
    fmt::print(stderr, "tessera index: {} problem{} in {} shard{}\n", index.problems.size(),
               index.problems.size() == 1 ? "" : "s", shards.size(), shards.size() == 1 ? "" : "s");
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tessera::cli
