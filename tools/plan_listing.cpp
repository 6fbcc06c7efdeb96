#include "plan_listing.hpp"

#include <memory>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "output.hpp"
#include "report.hpp"
#include "shuffle_args.hpp"
#include "signals.hpp"

namespace tessera::cli {
namespace {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// Names crops as the output of `args` would, without touching it: checked as make_output()
// checks, but nothing is created, locked or recorded.
Result<std::unique_ptr<Sink>> make_namer(const OutputArgs& args, const ListSetup& setup,
                                         NameListener listener) {
  if (Status s = check_output_args(args); !s) return std::move(s).error();
  if (args.out.empty()) {
    return std::unique_ptr<Sink>(
        std::make_unique<CallbackSink>([listener = std::move(listener)](const CropResult& crop) {
          listener(crop, ListedName{});
          return Status{};
        }));
  }
  if (is_tar_output(args.out)) {
    TarSinkOptions options;
    options.path = args.out;
    if (!args.shard_size.empty()) {
      auto limit = parse_shard_size(args.shard_size);
      if (!limit) return std::move(limit).error();
      options.max_shard_bytes = limit->bytes;
      options.max_shard_samples = limit->samples;
    }
    auto shuffle = shuffle_from(args);
    if (!shuffle) return std::move(shuffle).error();
    options.shuffle = *shuffle;
    return make_tar_namer(options, std::move(listener));
  }
  DirectorySinkOptions options;
  options.directory = args.out;
  options.name_template = args.name_template.empty() ? setup.default_template : args.name_template;
  options.several_jobs = setup.several_jobs;
  return make_directory_namer(options, std::move(listener));
}

}  // namespace

std::string plan_csv_line(const CropResult& crop, const ListedName& name) {
  const JobInfo* job = crop.job;
  return fmt::format("{},{},{},{},{},{},{},{},{},{}", csv_field(job ? job->source : ""),
                     job ? job->number() : 0, crop.index, crop.roi.x, crop.roi.y, crop.roi.w,
                     crop.roi.h, csv_field(crop.key), csv_field(name.shard), csv_field(name.path));
}

std::string plan_json_line(const CropResult& crop, const ListedName& name) {
  const JobInfo* job = crop.job;
  nlohmann::ordered_json line;
  line["source"] = job ? job->source : "";
  line["job"] = job ? job->number() : 0;
  line["index"] = crop.index;
  line["x"] = crop.roi.x;
  line["y"] = crop.roi.y;
  line["w"] = crop.roi.w;
  line["h"] = crop.roi.h;
  line["key"] = std::string(crop.key);
  line["shard"] =
      name.shard.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(name.shard);
  line["output"] =
      name.path.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(name.path);
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

int list_plan(JobSource& source, const OutputArgs& output, const CommonArgs& common,
              const ListSetup& setup, std::FILE* out) {
  const bool jsonl = output.list_jsonl;
  auto namer = make_namer(output, setup, [out, jsonl](const CropResult& crop, const ListedName& n) {
    const std::string line = jsonl ? plan_json_line(crop, n) : plan_csv_line(crop, n);
    std::fwrite(line.data(), 1, line.size(), out);
    std::fputc('\n', out);
  });
  if (!namer) {
    fmt::print(stderr, "tessera plan {}: {}\nRun 'tessera plan {} --help' for usage.\n",
               setup.command, namer.error().message, setup.command);
    return kExitUsage;
  }
  if (!jsonl) fmt::print(out, "{}\n", fmt::join(kPlanColumns, ","));

  const JobNotes no_notes;
  const JobNotes& notes = setup.notes != nullptr ? *setup.notes : no_notes;
  Sink* sink = namer->get();
  std::unique_ptr<KeyPrefixSink> prefixes;
  if (setup.notes != nullptr) {
    prefixes = std::make_unique<KeyPrefixSink>(*sink, notes);
    sink = prefixes.get();
  }
  FailureLog failures(*sink, notes);

  EngineOptions options = engine_options_from(common.run);
  options.cancel = &install_interrupt_handlers();
  auto stats = list_crops(source, failures, options);
  std::fflush(out);
  failures.print(stderr);
  if (!stats) {
    fmt::print(stderr, "tessera plan {}: {}\n", setup.command, stats.error().message);
    return kExitFailed;
  }
  if (options.cancel->load()) return kExitInterrupted;
  if (!common.run.quiet) {
    fmt::print(stderr, "plan {}: {} image{}, {} crop{} listed, {} failed\n", setup.command,
               stats->jobs, stats->jobs == 1 ? "" : "s", stats->crops, stats->crops == 1 ? "" : "s",
               stats->jobs_failed);
  }
  const bool failed = stats->jobs_failed > 0 || stats->crops_failed > 0;
  return failed ? kExitFailed : kExitOk;
}

}  // namespace tessera::cli
