#include "shard.hpp"

#include <charconv>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

namespace tessera::cli {
namespace {

constexpr std::size_t kLabelDigits = 4;
constexpr std::string_view kAuto = "auto";
constexpr std::string_view kTarSuffix = ".tar";

Error shard_error(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An environment variable that must hold a whole number when it is set.
Result<std::optional<std::size_t>> number_from(const Environment& environment, const char* name) {
  const auto text = environment(name);
  if (!text) return std::optional<std::size_t>();
  const auto value = whole_number(*text);
  if (!value) {
    return shard_error(fmt::format("--shard auto: {}={:?} is not a whole number", name, *text));
  }
  return std::optional<std::size_t>(*value);
}

Result<ShardSpec> checked(std::size_t index, std::size_t count, std::string_view origin) {
  if (count == 0 || count > kMaxShards) {
    return shard_error(
        fmt::format("--shard {}: the task count must be 1 to {}", origin, kMaxShards));
  }
  if (index >= count) {
    return shard_error(fmt::format(
        "--shard {}: task {} does not exist among {} tasks (tasks are numbered 0 to {})", origin,
        index, count, count - 1));
  }
  return ShardSpec{index, count};
}

// "auto": everything from Slurm, for the submission of the whole array.
Result<ShardSpec> from_slurm_array(const Environment& environment) {
  auto id = number_from(environment, "SLURM_ARRAY_TASK_ID");
  if (!id) return std::move(id).error();
  if (!*id) {
    if (environment("JOB_COMPLETION_INDEX")) {
      return shard_error(
          "--shard auto: a Kubernetes Indexed Job gives the task index but not the count; pass "
          "--shard auto/N with N the Job's completions");
    }
    return shard_error(
        "--shard auto: this is not a Slurm array task (no SLURM_ARRAY_TASK_ID) nor a Kubernetes "
        "Indexed Job (no JOB_COMPLETION_INDEX); pass --shard I/N, e.g. --shard 0/4");
  }
  auto min = number_from(environment, "SLURM_ARRAY_TASK_MIN");
  auto max = number_from(environment, "SLURM_ARRAY_TASK_MAX");
  auto count = number_from(environment, "SLURM_ARRAY_TASK_COUNT");
  auto step = number_from(environment, "SLURM_ARRAY_TASK_STEP");
  for (const auto* value : {&min, &max, &count, &step}) {
    if (!*value) return value->error();
  }
  const std::size_t first = min->value_or(0);
  if ((*step && **step != 1) || (*max && *count && **max - first + 1 != **count)) {
    return shard_error(
        "--shard auto: the Slurm array is not one range with step 1 (such as --array=0-15); "
        "pass --shard auto/N, which takes the task index from SLURM_ARRAY_TASK_ID");
  }
  std::optional<std::size_t> tasks = *count;
  if (!tasks && *max) tasks = **max - first + 1;
  if (!tasks) {
    return shard_error(
        "--shard auto: Slurm gives no task count (SLURM_ARRAY_TASK_COUNT or "
        "SLURM_ARRAY_TASK_MIN/MAX); pass --shard auto/N");
  }
  if (**id < first) {
    return shard_error(
        fmt::format("--shard auto: SLURM_ARRAY_TASK_ID {} is below "
                    "SLURM_ARRAY_TASK_MIN {}",
                    **id, first));
  }
  return checked(**id - first, *tasks, "auto");
}

// "auto/N": the index from the cluster, the count as given.
Result<ShardSpec> from_task_index(const Environment& environment, std::size_t count,
                                  std::string_view origin) {
  for (const char* name : {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}) {
    auto index = number_from(environment, name);
    if (!index) return std::move(index).error();
    if (*index) return checked(**index, count, origin);
  }
  return shard_error(fmt::format(
      "--shard {}: neither SLURM_ARRAY_TASK_ID (a Slurm array task) nor JOB_COMPLETION_INDEX "
      "(a Kubernetes Indexed Job) is set; pass --shard I/{} with this task's index I",
      origin, count));
}

}  // namespace

std::string ShardSpec::text() const {
  return fmt::format("{}/{}", index, count);
}

std::string ShardSpec::label() const {
  return fmt::format("s{:0{}}of{:0{}}", index, kLabelDigits, count, kLabelDigits);
}

Environment process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<ShardSpec> parse_shard(const std::string& text, const Environment& environment) {
  if (text == kAuto) return from_slurm_array(environment);
  const auto slash = text.find('/');
  const std::string_view first = std::string_view(text).substr(0, slash);
  const std::string_view second =
      slash == std::string::npos ? std::string_view() : std::string_view(text).substr(slash + 1);
  const std::size_t count = whole_number(second).value_or(0);
  const auto index = whole_number(first);
  if (count == 0 || (first != kAuto && !index)) {
    return shard_error(fmt::format(
        "--shard {:?}: expected I/N (task I of N tasks, counted from 0, e.g. 3/16), auto (a Slurm "
        "array task) or auto/N (the task index from Slurm or a Kubernetes Indexed Job)",
        text));
  }
  if (first == kAuto) return from_task_index(environment, count, text);
  return checked(index.value_or(0), count, text);
}

std::string shard_output(const std::string& out, const ShardSpec& shard) {
  if (out.empty() || out == "-") return out;
  if (out.ends_with(kTarSuffix)) {
    return fmt::format("{}-{}{}", out.substr(0, out.size() - kTarSuffix.size()), shard.label(),
                       kTarSuffix);
  }
  std::string directory = out;
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  return fmt::format("{}/{}", directory, shard.label());
}

}  // namespace tessera::cli
