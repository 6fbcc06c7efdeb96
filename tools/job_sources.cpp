#include "job_sources.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tessera/engine/file_sinks.hpp"

namespace tessera::cli {
namespace {

using nlohmann::json;

Error line_error(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

// A path or key with "\u0000" would be cut at the NUL by every system call, and name another
// file than the one written: such a line is refused, whichever field holds it.
std::optional<std::string> field_with_nul(const json& value, const std::string& name) {
  if (value.is_string() && value.get_ref<const std::string&>().find('\0') != std::string::npos) {
    return name;
  }
  if (!value.is_structured()) return std::nullopt;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string inner = value.is_object() ? it.key() : name;
    if (auto found = field_with_nul(*it, inner)) return found;
  }
  return std::nullopt;
}

// Plan options in a manifest may be numbers or strings ("256" and 256 alike).
std::optional<std::string> text_of(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return it->dump();
}

// A manifest's "fill" may be a JSON array [R, G, B(, A)] as well as the option's "R,G,B" text.
std::string fill_text(const json& plan) {
  auto fill = plan.find("fill");
  if (fill == plan.end() || !fill->is_array()) return text_of(plan, "fill").value_or("");
  std::string joined;
  for (const auto& v : *fill) joined += (joined.empty() ? "" : ",") + v.dump();
  return joined;
}

// The grid and ROI-file keys of a line's plan as the command line's options, so that both
// build their plans with the same functions.
PlanArgs plan_args_from_json(const json& plan) {
  PlanArgs args;
  args.rois = text_of(plan, "rois").value_or("");
  args.tile = text_of(plan, "tile").value_or("");
  args.stride = text_of(plan, "stride").value_or("");
  args.overlap = text_of(plan, "overlap").value_or("");
  args.edge = text_of(plan, "edge").value_or("");
  args.fill = fill_text(plan);
  return args;
}

Result<PlanSpec> random_plan_from_json(const json& random) {
  if (!random.is_object())
    return line_error(
        "\"random\" must be an object such as {\"count\": 10, \"size\": \"64:128\", \"seed\": 1}");
  PlanArgs args;
  auto count = random.find("count");
  if (count != random.end() && count->is_number_unsigned()) args.count = count->get<std::size_t>();
  args.size = text_of(random, "size").value_or("");
  auto seed = random.find("seed");
  if (seed != random.end()) {
    if (!seed->is_number_unsigned())
      return line_error("\"seed\" must be a whole number of at least 0");
    args.seed = seed->get<std::uint64_t>();
  }
  auto spec = random_from(args);
  if (!spec) return std::move(spec).error();
  return PlanSpec(*spec);
}

// A line's plan sits under "plan" or at the top level of the line; "tile" wins over "rois",
// which wins over "random"; a line with none of them takes the command line's plan.
// `resolve` makes a ROI file's path relative to the manifest.
Result<PlanSpec> line_plan(const json& line, const std::optional<PlanSpec>& fallback,
                           const std::function<std::string(const std::string&)>& resolve) {
  const json* plan = &line;
  if (auto p = line.find("plan"); p != line.end()) {
    if (!p->is_object()) return line_error("\"plan\" must be an object such as {\"tile\": 256}");
    plan = &*p;
  }
  PlanArgs args = plan_args_from_json(*plan);
  if (plan->contains("tile")) {
    auto grid = grid_from(args);
    if (!grid) return std::move(grid).error();
    return PlanSpec(*grid);
  }
  if (text_of(*plan, "rois")) {
    args.rois = resolve(args.rois);
    auto list = rois_from(args);
    if (!list) return line_error(list.error().message);
    return PlanSpec(std::move(list).value());
  }
  if (auto random = plan->find("random"); random != plan->end())
    return random_plan_from_json(*random);
  if (fallback) return *fallback;
  return line_error(
      "no plan: give this line a \"plan\" ({\"tile\": 256}, {\"rois\": \"file.csv\"} or "
      "{\"random\": {...}}), or pass --tile or --count on the command line");
}

// A line's own codec options, named as the Python module's keywords. They are reserved names,
// never extra fields, so that a line that means to change the codec is never taken for
// metadata.
constexpr std::string_view kLineCodecFields[] = {
    "format",   "quality",   "subsampling", "fast_dct",     "progressive",
    "optimize", "png_level", "png_filter",  "png_strategy", "png_encoder"};

bool is_codec_field(std::string_view name) {
  return std::find(std::begin(kLineCodecFields), std::end(kLineCodecFields), name) !=
         std::end(kLineCodecFields);
}

Status set_codec_field(const std::string& name, const json& value, EncodeArgs& args) {
  const auto wrong = [&](const char* what) {
    return line_error(fmt::format("\"{}\" must be {}, found {}", name, what, value.dump()));
  };
  if (name == "quality" || name == "png_level") {
    if (!value.is_number_integer() || !std::in_range<int>(value.get<std::int64_t>()))
      return wrong("an integer");
    (name == "quality" ? args.quality : args.png_level) = value.get<int>();
  } else if (name == "fast_dct" || name == "progressive" || name == "optimize") {
    if (!value.is_boolean()) return wrong("true or false");
    bool& flag = name == "fast_dct"      ? args.fast_dct
                 : name == "progressive" ? args.progressive
                                         : args.optimize;
    flag = value.get<bool>();
  } else {
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_number_integer()) {
      text = std::to_string(value.get<std::int64_t>());  // "subsampling": 420
    } else {
      return wrong("a string");
    }
    (name == "format"        ? args.format
     : name == "subsampling" ? args.subsampling
     : name == "png_filter"  ? args.png_filter
     : name == "png_encoder" ? args.png_encoder
                             : args.png_strategy) = std::move(text);
  }
  return {};
}

// The run's codec settings with the line's own applied; a line that has some is refused
// unless the run allows it, since one run writes one format with one set of settings.
Result<EncodeOptions> line_encode(const json& line, const JobDefaults& defaults) {
  EncodeArgs args = defaults.encode;
  for (auto it = line.begin(); it != line.end(); ++it) {
    if (!is_codec_field(it.key())) continue;
    if (!defaults.line_codec) {
      return line_error(fmt::format(
          "this line sets its own codec option \"{}\", but a run writes one format with one "
          "set of codec settings; pass --allow-per-line-codec to let lines set their own, or "
          "remove it",
          it.key()));
    }
    if (Status s = set_codec_field(it.key(), *it, args); !s) return std::move(s).error();
  }
  auto options = encode_options_from(args);
  if (!options) return line_error("codec options: " + options.error().message);
  return options;
}

// What a manifest line means to tessera itself; every other member is a field of its samples.
constexpr std::string_view kLineNames[] = {"input", "plan", "tile", "stride", "overlap",
                                           "edge",  "fill", "rois", "random", "key_prefix"};

// Options of a whole run that a line might seem to set: refused, so that a line meaning to set
// one is never taken for metadata.
constexpr std::string_view kRunOnlyNames[] = {"lossless", "skip_blank", "auto_orient", "max_pixels",
                                              "allow_truncated"};

bool is_run_only_name(std::string_view name) {
  return std::find(std::begin(kRunOnlyNames), std::end(kRunOnlyNames), name) !=
         std::end(kRunOnlyNames);
}

bool is_line_name(std::string_view name) {
  return std::find(std::begin(kLineNames), std::end(kLineNames), name) != std::end(kLineNames) ||
         is_codec_field(name);
}

// The line's label and extra fields, which may not name a field its ROIs give too.
Result<SharedFields> line_fields(const json& line, const PlanSpec& plan) {
  SampleFieldsBuilder builder;
  for (auto it = line.begin(); it != line.end(); ++it) {
    if (is_line_name(it.key())) continue;
    if (is_run_only_name(it.key())) {
      return line_error(
          fmt::format("a line cannot set \"{}\", an option of the whole run; "
                      "give it to the run, or rename the field if it is data",
                      it.key()));
    }
    auto value = field_value_of(*it);
    if (!value) return line_error(fmt::format("field \"{}\": {}", it.key(), value.error().message));
    if (Status s = builder.add(it.key(), *value); !s) return line_error(s.error().message);
  }
  SharedFields fields = builder.finish();
  const auto* rois = std::get_if<RoiListSpec>(&plan);
  if (fields == nullptr || rois == nullptr) return fields;
  for (std::size_t i = 0; i < rois->rois.size(); ++i) {
    if (rois->rois[i].fields == nullptr) continue;
    if (Status s = check_disjoint(*fields, *rois->rois[i].fields); !s)
      return line_error(fmt::format("ROI {}: {}", i, s.error().message));
  }
  return fields;
}

}  // namespace

Result<PlanSpec> plan_from_json(const nlohmann::json& plan) {
  if (!plan.is_object()) return line_error("a plan must be an object such as {\"tile\": 256}");
  return line_plan(plan, std::nullopt, [](const std::string& path) { return path; });
}

ContainerFormat sniff_file(const std::string& path) {
  // InputBytes opens without blocking: a FIFO is refused here and again, with its message,
  // when the job opens.
  const auto input = InputBytes::open_file(path);
  return input ? detect_format(input->head()) : ContainerFormat::kOther;
}

void FormatNotice::saw(ContainerFormat input) {
  if (input != ContainerFormat::kPng || !pending() || spoken_.exchange(true)) return;
  fmt::print(stream_,
             "tessera: note: PNG inputs are written as JPEG, the output format of every run "
             "without -f; pass -f png to keep them lossless\n");
}

void JobNotes::set_line(std::size_t job, std::size_t line) {
  std::lock_guard lock(mutex_);
  lines_[job] = line;
}

void JobNotes::set_key_prefix(std::size_t job, std::string prefix) {
  std::lock_guard lock(mutex_);
  prefixes_[job] = std::move(prefix);
  has_prefix_.store(true);
}

std::optional<std::size_t> JobNotes::line(std::size_t job) const {
  std::lock_guard lock(mutex_);
  auto it = lines_.find(job);
  if (it == lines_.end()) return std::nullopt;
  return it->second;
}

std::string JobNotes::key_prefix(std::size_t job) const {
  std::lock_guard lock(mutex_);
  auto it = prefixes_.find(job);
  return it == prefixes_.end() ? std::string() : it->second;
}

InputListSource::InputListSource(std::vector<std::string> inputs, JobDefaults defaults,
                                 ShardSpec shard)
    : inputs_(std::move(inputs)), defaults_(std::move(defaults)), shard_(shard) {}

std::optional<Job> InputListSource::next() {
  Job job;
  while (next_ < inputs_.size() && !shard_.takes(next_)) {
    job.passed_over.push_back(PassedOverJob{next_, inputs_[next_]});
    ++next_;
  }
  if (next_ == inputs_.size()) return std::nullopt;
  job.dataset_index = next_;
  const std::string& name = inputs_[next_++];
  job.plan = *defaults_.plan;
  job.skip_blank = defaults_.skip_blank;
  job.auto_orient = defaults_.auto_orient;
  job.lossless = lossless_mode(defaults_.encode);
  if (name == "-") {
    auto bytes = InputBytes::open_stdin();
    // An unreadable stdin stays an empty input, which fails this job with a message naming "-".
    job.input = bytes ? std::move(bytes).value() : InputBytes::from_vector({}, "-");
    if (defaults_.notice != nullptr) defaults_.notice->saw(detect_format(job.input.head()));
  } else {
    job.path = name;
    if (defaults_.notice != nullptr && defaults_.notice->pending())
      defaults_.notice->saw(sniff_file(name));
  }
  // Checked before the run, so this cannot fail here; a failure would still only fail the job.
  auto encode = encode_options_from(defaults_.encode);
  if (encode) job.encode = *encode;
  return job;
}

nlohmann::json describe_input(const std::string& path) {
  nlohmann::json input{{"path", path}};
  struct stat status {};
  if (path != "-" && ::stat(path.c_str(), &status) == 0) {
    input["size"] = static_cast<std::uint64_t>(status.st_size);
    input["mtime_ns"] =
        static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
  }
  return input;
}

namespace {

// FNV-1a, 64 bits: fully specified, so a record written by one build compares with another's.
class Fnv1a {
 public:
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 0x100000001b3ULL;
  }
  std::string hex() const { return fmt::format("{:016x}", hash_); }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

nlohmann::json ManifestSource::describe_inputs() const {
  Fnv1a digest;
  std::size_t files = 0;
  const auto add = [&](const std::string& path) {
    digest.add(describe_input(resolve(path)).dump());
    digest.add("\n");
    ++files;
  };
  std::istringstream lines(stream_.str());
  std::string text;
  while (std::getline(lines, text)) {
    const json line = json::parse(text, nullptr, false);
    if (!line.is_object()) continue;
    if (auto input = text_of(line, "input")) add(*input);
    if (auto plan = line.find("plan"); plan != line.end() && plan->is_object()) {
      if (auto rois = text_of(*plan, "rois")) add(*rois);
    }
  }
  return {{"files", files}, {"digest", digest.hex()}};
}

Result<std::unique_ptr<ManifestSource>> ManifestSource::open(const std::string& path,
                                                             JobDefaults defaults, JobNotes& notes,
                                                             ShardSpec shard) {
  auto text = read_text_file(path, "manifest");
  if (!text) return std::move(text).error();
  std::string directory = std::filesystem::path(path).parent_path().string();
  return std::unique_ptr<ManifestSource>(
      new ManifestSource(path, std::move(directory), std::istringstream(std::move(text).value()),
                         std::move(defaults), notes, shard));
}

std::unique_ptr<ManifestSource> ManifestSource::from_text(std::string name, std::string text,
                                                          JobDefaults defaults, JobNotes& notes) {
  return std::unique_ptr<ManifestSource>(new ManifestSource(
      std::move(name), "", std::istringstream(std::move(text)), std::move(defaults), notes, {}));
}

ManifestSource::ManifestSource(std::string path, std::string directory, std::istringstream stream,
                               JobDefaults defaults, JobNotes& notes, ShardSpec shard)
    : path_(std::move(path)),
      directory_(std::move(directory)),
      stream_(std::move(stream)),
      defaults_(std::move(defaults)),
      notes_(notes),
      shard_(shard) {}

std::string ManifestSource::resolve(const std::string& path) const {
  if (path.empty() || path.front() == '/' || directory_.empty()) return path;
  return directory_ + "/" + path;
}

std::optional<Job> ManifestSource::next() {
  std::string text;
  while (std::getline(stream_, text)) {
    ++line_number_;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::size_t dataset_index = dataset_index_++;
    if (!shard_.takes(dataset_index)) {
      pass_over(text, dataset_index);
      continue;
    }
    auto job = parse_line(text);
    if (!job) {
      ++bad_lines_;
      const std::string message =
          fmt::format("{}:{}: {}", path_, line_number_, job.error().message);
      if (report_) {
        report_(message);
      } else {
        fmt::print(stderr, "tessera: {}\n", message);
      }
      pass_over(text, dataset_index);
      continue;
    }
    job->dataset_index = dataset_index;
    job->passed_over = std::move(passed_over_);
    passed_over_.clear();
    notes_.set_line(jobs_++, line_number_);
    return std::move(job).value();
  }
  return std::nullopt;
}

// Only the line's "input" matters: the stem it takes. A line without one takes none, on
// every task alike, since this reads nothing but the line.
void ManifestSource::pass_over(const std::string& text, std::size_t dataset_index) {
  const json line = json::parse(text, nullptr, false);
  if (!line.is_object()) return;
  auto input = line.find("input");
  if (input == line.end() || !input->is_string() || input->get_ref<const std::string&>().empty())
    return;
  passed_over_.push_back(PassedOverJob{dataset_index, resolve(input->get<std::string>())});
}

Result<Job> ManifestSource::parse_line(const std::string& text) {
  const json line = json::parse(text, nullptr, false);
  if (line.is_discarded() || !line.is_object()) {
    return line_error("not a JSON object; each line must look like {\"input\": \"image.jpg\"}");
  }
  if (auto field = field_with_nul(line, "input")) {
    return line_error(fmt::format(
        "\"{}\" contains a NUL byte (\\u0000), which no path or key may hold; remove it", *field));
  }
  auto input = line.find("input");
  if (input == line.end() || !input->is_string() || input->get<std::string>().empty()) {
    return line_error(
        "missing \"input\": each line names its image, e.g. {\"input\": \"image.jpg\"}");
  }
  Job job;
  job.path = resolve(input->get<std::string>());
  job.skip_blank = defaults_.skip_blank;
  job.auto_orient = defaults_.auto_orient;

  auto plan =
      line_plan(line, defaults_.plan, [this](const std::string& path) { return resolve(path); });
  if (!plan) return std::move(plan).error();
  job.plan = std::move(plan).value();

  auto fields = line_fields(line, job.plan);
  if (!fields) return std::move(fields).error();
  job.fields = std::move(fields).value();
  auto encode = line_encode(line, defaults_);
  if (!encode) return std::move(encode).error();
  job.encode = *encode;
  // Last: a note is kept only for a line that is a job, since the next job takes its number.
  if (auto prefix = text_of(line, "key_prefix"); prefix && !prefix->empty()) {
    auto checked = checked_key(*prefix);
    if (!checked) return line_error(fmt::format("\"key_prefix\": {}", checked.error().message));
    notes_.set_key_prefix(jobs_, *checked);
  }
  if (defaults_.notice != nullptr && defaults_.notice->pending() && !line.contains("format"))
    defaults_.notice->saw(sniff_file(job.path));
  return job;
}

}  // namespace tessera::cli
