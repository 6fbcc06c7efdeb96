#include "report.hpp"

#include <sys/resource.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shuffle_args.hpp"

namespace tessera::cli {
namespace {

constexpr double kMega = 1e6;

// Engine messages usually start with the input's name already; the log adds it only once.
std::string without_source_prefix(const std::string& message, const std::string& source) {
  const std::string prefix = source + ": ";
  return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

std::string plural(std::size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

void FailureLog::on_failure(const CropFailure& failure) {
  if (failure.job != nullptr && failure.error != nullptr) {
    std::lock_guard lock(mutex_);
    JobFailure& job = jobs_[failure.job->index];
    if (job.reason.empty()) {
      job.source = failure.job->source;
      job.reason = without_source_prefix(failure.error->message, job.source);
      if (auto line = notes_.line(failure.job->index))
        job.source = fmt::format("{} (manifest line {})", job.source, *line);
    }
    if (failure.index != CropFailure::kWholeJob) ++job.crops;
  }
  ForwardingSink::on_failure(failure);
}

void FailureLog::on_warning(const JobInfo& job, std::string_view warning) {
  keep_warning(job.index, fmt::format("{}: warning: {}", job.source,
                                      without_source_prefix(std::string(warning), job.source)));
  ForwardingSink::on_warning(job, warning);
}

// Keeps the earliest jobs' warnings, although delivery is not always in job order.
void FailureLog::keep_warning(std::size_t job, std::string text) {
  std::lock_guard lock(mutex_);
  if (warnings_kept_ == kMaxWarnings) {
    const auto last = std::prev(warnings_.end());
    if (last->first <= job) {
      ++warnings_dropped_;
      return;
    }
    warnings_dropped_ += last->second.size();
    warnings_kept_ -= last->second.size();
    warnings_.erase(last);
  }
  ++warnings_kept_;
  warnings_[job].push_back(std::move(text));
}

std::size_t FailureLog::print(std::FILE* stream) const {
  std::lock_guard lock(mutex_);
  for (const auto& [index, texts] : warnings_) {
    for (const std::string& text : texts) fmt::print(stream, "tessera: {}\n", text);
  }
  if (warnings_dropped_ > 0) {
    fmt::print(stream, "tessera: ... and {} more\n", plural(warnings_dropped_, "warning"));
  }
  for (const auto& [index, job] : jobs_) {
    if (job.crops > 1) {
      fmt::print(stream, "tessera: {}: {} ({} failed)\n", job.source, job.reason,
                 plural(job.crops, "crop"));
    } else {
      fmt::print(stream, "tessera: {}: {}\n", job.source, job.reason);
    }
  }
  return jobs_.size();
}

nlohmann::json FailureLog::failures_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& [index, job] : jobs_) {
    all.push_back({{"source", job.source}, {"reason", job.reason}, {"crops", job.crops}});
  }
  return all;
}

nlohmann::json FailureLog::warnings_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& [index, text] : warnings_) all.push_back(text);
  return all;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

void print_human_summary(std::FILE* stream, const RunStats& stats, const SummaryContext& context) {
  const double wall = stats.wall_s > 0 ? stats.wall_s : 1e-9;
  if (stats.fatal) {
    // The sink stopped the run: crops it took before may not have been kept, so nothing here
    // may read as success.
    fmt::print(stream, "{}: FAILED: the output failed: {}\n", context.command,
               stats.fatal->message);
  }
  const std::size_t images_ok = stats.fatal ? 0 : stats.jobs - stats.jobs_failed;
  fmt::print(stream, "{}: {} ({} ok), {} {}, {} failed, {} skipped as blank", context.command,
             plural(stats.jobs, "image"), images_ok, plural(stats.crops, "crop"),
             stats.fatal ? "handed to the output before it failed" : "written", stats.crops_failed,
             stats.crops_skipped);
  if (stats.crops_resumed > 0)
    fmt::print(stream, ", {} already present (--resume)", stats.crops_resumed);
  fmt::print(stream, "\n");
  if (stats.crops_lossless > 0 || stats.crops_unaligned > 0) {
    fmt::print(stream, "  lossless: {} cut from DCT coefficients, {} off the MCU grid\n",
               stats.crops_lossless, stats.crops_unaligned);
  }
  fmt::print(
      stream, "  {:.1f} MB out in {:.2f} s: {:.1f} MP/s decoded, {:.0f} crops/s, {:.1f} MB/s\n",
      static_cast<double>(stats.bytes_out) / kMega, stats.wall_s,
      static_cast<double>(stats.pixels_decoded) / kMega / wall,
      static_cast<double>(stats.crops) / wall, static_cast<double>(stats.bytes_out) / kMega / wall);
  fmt::print(
      stream,
      "  decode {:.2f} s, encode {:.2f} s CPU; peak RSS {:.0f} MB, peak band window {:.1f} MB\n",
      stats.decode_s, stats.encode_cpu_s, peak_rss_mb(),
      static_cast<double>(stats.peak_window_bytes) / kMega);
  fmt::print(stream, "  output: {}\n", context.output);
  if (!context.shard_pattern.empty())
    fmt::print(stream, "  shards for a loader: {}\n", context.shard_pattern);
  if (context.shuffle != nullptr) {
    fmt::print(stream, "  shuffled with seed {}: buffer peak {} samples, {:.1f} MB\n",
               context.shuffle->seed, context.shuffle->peak_samples,
               static_cast<double>(context.shuffle->peak_bytes) / kMega);
  }
  if (stats.cancelled)
    fmt::print(stream, "  interrupted: completed outputs were kept, partial ones removed\n");
}

// "failed" whenever the exit code is not 0 or interrupted: the output failed, or an image or
// crop did.
const char* run_status(const RunStats& stats) {
  if (stats.cancelled) return "interrupted";
  if (stats.fatal || stats.jobs_failed > 0 || stats.crops_failed > 0) return "failed";
  return "ok";
}

nlohmann::json json_summary(const RunStats& stats, const SummaryContext& context) {
  nlohmann::json summary{
      {"command", context.command},
      {"images", stats.jobs},
      {"failed_images", stats.jobs_failed},
      {"warned_images", stats.jobs_warned},
      {"crops", stats.crops},
      {"failed", stats.crops_failed},
      {"skipped", stats.crops_skipped},
      {"resumed", stats.crops_resumed},
      {"lossless", stats.crops_lossless},
      {"unaligned", stats.crops_unaligned},
      {"bytes_in", stats.bytes_in},
      {"bytes_out", stats.bytes_out},
      {"pixels_decoded", stats.pixels_decoded},
      {"wall_s", stats.wall_s},
      {"decode_s", stats.decode_s},
      {"encode_cpu_s", stats.encode_cpu_s},
      {"peak_rss_mb", peak_rss_mb()},
      {"peak_window_mb", static_cast<double>(stats.peak_window_bytes) / kMega},
      {"peak_window_rows", stats.peak_window_rows},
      {"pool_buffers", stats.pool_buffers},
      {"output", context.output},
      {"cancelled", stats.cancelled},
      {"error", stats.fatal ? nlohmann::json(stats.fatal->message) : nlohmann::json(nullptr)},
      {"status", run_status(stats)},
  };
  summary["outputs"] = context.outputs;
  if (context.shuffle != nullptr) summary["shuffle"] = shuffle_json(*context.shuffle);
  return summary;
}

void print_json_summary(std::FILE* stream, const RunStats& stats, const SummaryContext& context) {
  fmt::print(stream, "{}\n", json_summary(stats, context).dump());
  std::fflush(stream);
}

namespace {

nlohmann::json common_header_json(const std::string& name, const ImageHeader& h) {
  return {{"input", name},
          {"width", h.width},
          {"height", h.height},
          {"format", to_string(h.container)},
          {"channels", h.file_channels},
          {"bit_depth", h.bit_depth},
          {"pixel_format", to_string(h.format)},
          {"subsampling", to_string(h.subsampling)},
          {"progressive", h.progressive},
          {"restart_markers", h.restart_markers},
          {"streamable", h.streamable}};
}

}  // namespace

nlohmann::json header_json(const std::string& name, const ImageHeader& h) {
  nlohmann::json json = common_header_json(name, h);
  switch (h.container) {  // no default: a new format decides here what its header adds
    case ContainerFormat::kTiff: {
      const TiffLayout& t = h.tiff;
      json["tiff"] = {{"layout", t.tiled ? "tiles" : "strips"},
                      {"compression", t.compression},
                      {"bigtiff", t.bigtiff},
                      {"page", t.page}};
      if (t.tiled) {
        json["tiff"]["tile_width"] = t.block_width;
        json["tiff"]["tile_height"] = t.block_height;
      } else {
        json["tiff"]["rows_per_strip"] = t.block_height;
      }
      break;
    }
    case ContainerFormat::kJpeg:
      json["mcu_width"] = h.mcu_width;
      json["mcu_height"] = h.mcu_height;
      break;
    case ContainerFormat::kPng:
    case ContainerFormat::kOther: break;
  }
  return json;
}

}  // namespace tessera::cli
