#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "output_names.hpp"
#include "posix_io.hpp"
#include "run_record.hpp"
#include "shard_scan.hpp"
#include "shard_writer.hpp"
#include "shuffle_buffer.hpp"
#include "tar_keys.hpp"
#include "tar_layout.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera {

namespace {

using detail::ExistingShards;

constexpr std::string_view kRunRecordSuffix = ".run.json";  // "dir/out.run.json" for "out.tar"

// Writes each crop as a WebDataset sample (KEY.EXT and KEY.json) into numbered shards,
// starting the next shard when the current one would grow past its limits.
class TarSink final : public Sink {
 public:
  TarSink(std::string base, std::uint64_t max_bytes, std::uint64_t max_samples,
          std::function<void(const ShardReport&)> on_shard)
      : base_(std::move(base)),
        max_bytes_(max_bytes),
        max_samples_(max_samples),
        on_shard_(std::move(on_shard)) {}

  // Held for the whole run; the record is marked complete by finish().
  void keep(detail::OutputLock lock, std::string record_path, nlohmann::json run) {
    lock_.emplace(std::move(lock));
    record_path_ = std::move(record_path);
    run_ = std::move(run);
  }

  // Continues after the shards of an earlier run: their keys stay taken, so that a new crop
  // gets the same unique key it would have had in one uninterrupted run.
  void resume_after(ExistingShards existing) {
    shard_index_ = existing.next_index;
    for (const std::string& key : existing.keys) keys_.reserve(key);
    existing_ = std::move(existing.crops);
  }

  // Read-only after construction, so safe from any thread.
  bool exists(const CropResult& crop) const override {
    if (existing_.empty() || crop.job == nullptr) return false;
    return existing_.contains(detail::crop_id(crop.job->number(), crop.index));
  }

  // Samples are named in delivery order, before any shuffle, so keys never depend on it.
  void shuffle_with(const ShuffleOptions& options, ShuffleStats* stats) {
    shuffle_.emplace(options);
    shuffle_stats_ = stats;
    publish_shuffle_stats();
  }

  Status consume(const CropResult& crop) override {
    if (failed_) return failed_error();
    auto key = keys_.claim(crop);
    if (!key) return std::move(key).error();

    std::string image_name = *key + "." + file_extension(crop.format);
    std::string json_name = *key + std::string(detail::kMetadataSuffix);
    std::string json = detail::sample_metadata(crop);
    const auto label = detail::sample_label(crop);
    std::string cls_name = label ? *key + std::string(detail::kClassSuffix) : std::string();
    std::string cls = label ? detail::class_text(*label) : std::string();
    if (!shuffle_) return write_sample(image_name, crop.bytes, cls_name, cls, json_name, json);
    // Copied out of the pooled buffer, which goes back to the pool when consume() returns.
    detail::BufferedSample sample{std::move(image_name), {crop.bytes.begin(), crop.bytes.end()},
                                  std::move(json_name),  std::move(json),
                                  std::move(cls_name),   std::move(cls)};
    Status pushed = shuffle_->push(
        std::move(sample), [this](detail::BufferedSample&& held) { return write_buffered(held); });
    publish_shuffle_stats();
    return pushed;
  }

  // An empty run leaves no shard on disk, since an empty shard is only noise in a dataset;
  // on stdout it still writes an empty archive, because a reader waits at the other end.
  Status finish() override {
    if (failed_) return failed_error();
    if (shuffle_) {
      Status drained =
          shuffle_->drain([this](detail::BufferedSample&& held) { return write_buffered(held); });
      if (!drained) return drained;
    }
    if (!shard_.is_open() && streaming()) {
      if (Status s = open_shard(); !s) return s;
    }
    if (shard_.is_open()) {
      if (Status s = close_shard(); !s) return s;
    }
    if (record_path_.empty()) return {};
    return detail::write_run_record(record_path_, detail::RunRecord{run_, true});
  }

  // Completed shards stay; the shard being written is removed, and buffered samples dropped.
  void abort() noexcept override {
    if (shuffle_) shuffle_->clear();
    shard_.abort();
  }

 private:
  bool streaming() const { return base_.empty(); }

  void publish_shuffle_stats() {
    if (shuffle_stats_ != nullptr) *shuffle_stats_ = shuffle_->stats();
  }

  Status write_buffered(const detail::BufferedSample& held) {
    return write_sample(held.image_name, held.image, held.cls_name, held.cls, held.json_name,
                        held.json);
  }

  // One sample's members: the image, the class when it has a label (cls_name not empty), then
  // the JSON. A shard boundary never falls inside a sample.
  Status write_sample(const std::string& image_name, std::span<const std::uint8_t> image,
                      const std::string& cls_name, const std::string& cls,
                      const std::string& json_name, const std::string& json) {
    const bool labelled = !cls_name.empty();
    const std::uint64_t sample = detail::member_bytes(image_name, image.size()) +
                                 (labelled ? detail::member_bytes(cls_name, cls.size()) : 0) +
                                 detail::member_bytes(json_name, json.size());

    if (shard_.is_open() && shard_full(sample)) {
      if (Status s = close_shard(); !s) return s;
    }
    if (!shard_.is_open()) {
      if (Status s = open_shard(); !s) return s;
    }
    if (Status s = stop_on_error(shard_.write_member(image_name, image)); !s) return s;
    if (labelled) {
      const auto* cls_bytes = reinterpret_cast<const std::uint8_t*>(cls.data());
      if (Status s = stop_on_error(shard_.write_member(cls_name, {cls_bytes, cls.size()})); !s)
        return s;
    }
    const auto* json_bytes = reinterpret_cast<const std::uint8_t*>(json.data());
    if (Status s = stop_on_error(shard_.write_member(json_name, {json_bytes, json.size()})); !s)
      return s;
    ++shard_samples_;
    return {};
  }

  bool shard_full(std::uint64_t sample) const {
    if (streaming() || shard_samples_ == 0) return false;
    if (max_samples_ != 0 && shard_samples_ >= max_samples_) return true;
    return max_bytes_ != 0 && shard_.size() + sample + detail::kEndOfArchive > max_bytes_;
  }

  Status open_shard() {
    shard_samples_ = 0;
    if (streaming()) return stop_on_error(shard_.open_stdout());
    return stop_on_error(
        shard_.open_file(detail::shard_path(base_, shard_index_), detail::new_file_mode()));
  }

  Status close_shard() {
    if (Status s = stop_on_error(shard_.close()); !s) return s;
    if (on_shard_) {
      on_shard_(
          ShardReport{streaming() ? std::string("-") : detail::shard_path(base_, shard_index_),
                      shard_samples_, shard_.size()});
    }
    if (!streaming()) ++shard_index_;
    return {};
  }

  // A failed write leaves the shard unusable: the run stops and abort() removes the temp file.
  Status stop_on_error(Status status) {
    if (!status) {
      failed_ = true;
      failed_message_ = status.error().message;
    }
    return status;
  }

  Error failed_error() const {
    return Error{ErrorCode::kIo, "the tar sink stopped after an earlier error: " + failed_message_};
  }

  std::string base_;  // "dir/out" for "dir/out.tar"; empty for stdout
  std::uint64_t max_bytes_;
  std::uint64_t max_samples_;
  std::function<void(const ShardReport&)> on_shard_;
  detail::ShardWriter shard_;
  detail::TarKeys keys_;
  std::optional<detail::ShuffleBuffer> shuffle_;
  ShuffleStats* shuffle_stats_ = nullptr;
  std::unordered_set<std::uint64_t> existing_;  // samples of an earlier run (--resume)
  std::size_t shard_index_ = 0;
  std::uint64_t shard_samples_ = 0;
  bool failed_ = false;
  std::string failed_message_;
  std::optional<detail::OutputLock> lock_;
  std::string record_path_;  // empty: no run record
  nlohmann::json run_;
};

// Takes the output for this run: locks it, reads its run record and shards, refuses a
// different run, removes what a replaced run left, and records this run before any shard.
Status claim_shards(TarSink& sink, const std::string& base, const TarSinkOptions& options) {
  const detail::PathParts parts = detail::split_path(base);
  const std::string output = options.path;
  auto lock = detail::OutputLock::acquire(
      fmt::format("{}.{}{}.lock", parts.directory, parts.name, detail::kTarSuffix), output);
  if (!lock) return std::move(lock).error();
  auto files = detail::list_shards(base);
  if (!files) return std::move(files).error();
  const std::string record_path = base + std::string(kRunRecordSuffix);
  nlohmann::json run;
  auto claim = detail::Claim::kFresh;
  if (!options.run.empty()) {
    auto described = detail::run_of(options.run);
    if (!described) return std::move(described).error();
    run = std::move(described).value();
    auto old = detail::read_run_record(record_path);
    if (!old) return std::move(old).error();
    auto decided = detail::claim_output(
        {output, &*old, !files->empty(), &run, options.resume, options.overwrite});
    if (!decided) return std::move(decided).error();
    claim = *decided;
  } else if (options.resume) {
    claim = detail::Claim::kResume;
  }
  if (claim == detail::Claim::kReplace) {
    if (Status s = detail::remove_shards(*files); !s) return s;
  } else if (claim == detail::Claim::kResume) {
    auto existing = detail::scan_shards(*files);
    if (!existing) return std::move(existing).error();
    sink.resume_after(std::move(existing).value());
  }
  if (!options.run.empty()) {
    if (Status s = detail::write_run_record(record_path, {run, false}); !s) return s;
  }
  sink.keep(std::move(lock).value(), options.run.empty() ? std::string() : record_path,
            std::move(run));
  return {};
}

}  // namespace

Result<std::unique_ptr<Sink>> make_tar_sink(const TarSinkOptions& options) {
  const std::string& path = options.path;
  if (options.shuffle && (options.shuffle->max_samples == 0 || options.shuffle->max_bytes == 0)) {
    return Error{ErrorCode::kInvalidArgument,
                 "the shuffle buffer must hold at least one sample and one byte"};
  }
  if (path == "-") {
    auto sink = std::make_unique<TarSink>(std::string(), 0, 0, options.on_shard);
    if (options.shuffle) sink->shuffle_with(*options.shuffle, options.shuffle_stats);
    return std::unique_ptr<Sink>(std::move(sink));
  }

  auto shard_base = detail::shard_base(path);
  if (!shard_base) return std::move(shard_base).error();
  if (!detail::split_path(path).directory.empty()) {
    const std::string directory = detail::parent_directory(path);
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) return detail::io_error("create the output directory", directory, error.value());
  }
  const std::string& base = *shard_base;
  auto sink = std::make_unique<TarSink>(base, options.max_shard_bytes, options.max_shard_samples,
                                        options.on_shard);
  if (options.shuffle) sink->shuffle_with(*options.shuffle, options.shuffle_stats);
  if (Status s = claim_shards(*sink, base, options); !s) return std::move(s).error();
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace tessera
