#include "output.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "shuffle_args.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera::cli {

namespace {

Error usage(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

}  // namespace

nlohmann::json describe_run(const std::string& command, const std::string& plan,
                            const CommonArgs& common, const std::vector<std::string>& inputs) {
  const EncodeArgs& e = common.encode;
  nlohmann::json run{{"command", command},
                     {"plan", plan},
                     {"encode",
                      {{"format", e.format},
                       {"quality", e.quality},
                       {"subsampling", e.subsampling},
                       {"fast_dct", e.fast_dct},
                       {"progressive", e.progressive},
                       {"optimize", e.optimize},
                       {"png_level", e.png_level},
                       {"png_filter", e.png_filter},
                       {"png_strategy", e.png_strategy},
                       {"png_encoder", e.png_encoder}}},
                     {"skip_blank", common.run.skip_blank},
                     {"auto_orient", common.run.auto_orient},
                     {"page", common.run.page},
                     {"inputs", nlohmann::json::array()}};
  // Only when given, so that the records of runs without it stay as they were.
  if (!e.lossless.empty()) run["encode"]["lossless"] = e.lossless;
  for (const std::string& input : inputs) run["inputs"].push_back(describe_input(input));
  // Absent without --shuffle, so the records of unshuffled runs stay as they were.
  if (auto shuffle = shuffle_from(common.output); shuffle && *shuffle)
    run["shuffle"] = shuffle_record(**shuffle);
  return run;
}

Status check_output_target(const std::string& out) {
  static constexpr std::string_view kArchiveEndings[] = {".gz",  ".tgz", ".bz2", ".tbz2", ".xz",
                                                         ".txz", ".zst", ".zip", ".7z"};
  if (out.empty()) return usage("-o is empty; name a directory, NAME.tar or - (stdout)");
  if (out.find("://") != std::string::npos) {
    return usage(fmt::format(
        "-o {} is a URL, and tessera writes local files only; write to a directory or NAME.tar "
        "and upload it afterwards",
        out));
  }
  for (std::string_view ending : kArchiveEndings) {
    if (!out.ends_with(ending)) continue;
    return usage(fmt::format(
        "-o {} names a compressed archive, and tessera writes plain .tar shards only; use -o "
        "NAME.tar and compress the shards afterwards (e.g. gzip NAME-*.tar)",
        out));
  }
  return {};
}

bool is_tar_output(const std::string& out) {
  return out == "-" || out.ends_with(".tar");
}

Status check_output_args(const OutputArgs& args) {
  if (!args.out.empty()) {
    if (Status s = check_output_target(args.out); !s) return s;
  }
  const bool tar = is_tar_output(args.out);
  auto shuffle = shuffle_from(args);
  if (!shuffle) return std::move(shuffle).error();
  if (*shuffle && (!tar || args.out == "-")) {
    return Error{ErrorCode::kInvalidArgument,
                 "--shuffle reorders the samples of tar shards; use -o NAME.tar (not a "
                 "directory, -o - or no -o)"};
  }
  if (!args.shard_size.empty() && !tar) {
    return Error{
        ErrorCode::kInvalidArgument,
        "--shard-size only applies to tar output; use -o out.tar (shards) or -o - (stdout)"};
  }
  if (args.resume && (args.out.empty() || args.out == "-")) {
    return Error{ErrorCode::kInvalidArgument,
                 "--resume needs outputs to look at; use it with -o DIR or -o out.tar, not with -o "
                 "- or no -o"};
  }
  return {};
}

Result<Output> make_output(const OutputArgs& args, const std::string& default_template,
                           const nlohmann::json& run, bool several_jobs) {
  Output output;
  if (Status s = check_output_args(args); !s) return std::move(s).error();
  const bool tar = is_tar_output(args.out);
  auto shuffle = shuffle_from(args);
  if (!shuffle) return std::move(shuffle).error();
  if (args.out.empty()) {
    output.sink = std::make_unique<NullSink>();
    output.description =
        "nothing written (null sink; pass -o DIR, -o out.tar or -o - to keep the crops)";
    output.discards = true;
    return output;
  }
  if (tar) {
    TarSinkOptions options;
    options.path = args.out;
    options.resume = args.resume;
    options.overwrite = args.overwrite;
    if (args.out != "-") options.run = run.dump();
    if (*shuffle) {
      output.shuffle = std::make_unique<ShuffleStats>();
      options.shuffle = **shuffle;
      options.shuffle_stats = output.shuffle.get();
    }
    if (!args.shard_size.empty()) {
      if (args.out == "-") {
        return Error{ErrorCode::kInvalidArgument,
                     "--shard-size needs shard files; use -o out.tar instead of -o -"};
      }
      auto limit = parse_shard_size(args.shard_size);
      if (!limit) return std::move(limit).error();
      options.max_shard_bytes = limit->bytes;
      options.max_shard_samples = limit->samples;
    }
    output.shards = std::make_shared<std::vector<ShardReport>>();
    options.on_shard = [shards = output.shards](const ShardReport& shard) {
      shards->push_back(shard);
    };
    auto sink = make_tar_sink(options);
    if (!sink) return std::move(sink).error();
    output.sink = std::move(sink).value();
    output.to_stdout = args.out == "-";
    output.description = output.to_stdout ? std::string("tar stream on stdout")
                                          : fmt::format("tar shards {}-NNNNNN.tar",
                                                        args.out.substr(0, args.out.size() - 4));
    return output;
  }
  DirectorySinkOptions options;
  options.directory = args.out;
  options.name_template = args.name_template.empty() ? default_template : args.name_template;
  options.resume = args.resume;
  options.overwrite = args.overwrite;
  options.run = run.dump();
  options.several_jobs = several_jobs;
  auto sink = make_directory_sink(options);
  if (!sink) return std::move(sink).error();
  output.sink = std::move(sink).value();
  output.description = fmt::format("directory {} (names {})", args.out, options.name_template);
  output.directory = args.out;
  return output;
}

nlohmann::json outputs_json(const Output& output, const RunStats& stats) {
  if (output.shards != nullptr) {
    nlohmann::json shards = nlohmann::json::array();
    for (const ShardReport& shard : *output.shards) {
      shards.push_back({{"path", shard.path}, {"samples", shard.samples}, {"bytes", shard.bytes}});
    }
    nlohmann::json outputs{{"kind", "tar"}, {"shards", std::move(shards)}};
    if (const std::string pattern = shard_pattern(*output.shards); !pattern.empty())
      outputs["pattern"] = pattern;
    return outputs;
  }
  if (!output.directory.empty()) {
    return {{"kind", "directory"},
            {"directory", output.directory},
            {"files", stats.crops},
            {"bytes", stats.bytes_out}};
  }
  return nullptr;
}

std::string shard_pattern(const std::vector<ShardReport>& shards) {
  // "NAME-000003.tar": the number is the six digits before ".tar".
  constexpr std::size_t kNumberAndSuffix = 6 + 4;
  if (shards.empty() || shards.front().path == "-") return {};
  const std::string& first = shards.front().path;
  const std::string& last = shards.back().path;
  if (shards.size() == 1) return first;
  const std::string prefix = first.substr(0, first.size() - kNumberAndSuffix);
  return fmt::format("{}{{{}..{}}}.tar", prefix, first.substr(prefix.size(), 6),
                     last.substr(last.size() - kNumberAndSuffix, 6));
}

std::string KeyPrefixSink::prefixed_key(const CropResult& crop) const {
  const std::string prefix =
      crop.job == nullptr ? std::string() : notes_.key_prefix(crop.job->index);
  if (prefix.empty()) return {};
  if (!crop.key.empty()) return fmt::format("{}_{}", prefix, crop.key);
  return generated_key(prefix, crop);
}

Status KeyPrefixSink::consume(const CropResult& crop) {
  const std::string key = prefixed_key(crop);
  if (key.empty()) return inner().consume(crop);
  CropResult renamed = crop;
  renamed.key = key;
  return inner().consume(renamed);
}

// The inner sink must look for the name consume() would write.
bool KeyPrefixSink::exists(const CropResult& crop) const {
  const std::string key = prefixed_key(crop);
  if (key.empty()) return ForwardingSink::exists(crop);
  CropResult renamed = crop;
  renamed.key = key;
  return ForwardingSink::exists(renamed);
}

}  // namespace tessera::cli
