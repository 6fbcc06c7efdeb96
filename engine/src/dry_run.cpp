#include "tessera/engine/dry_run.hpp"

#include <utility>

#include <fmt/format.h>

#include "job_state.hpp"
#include "lossless.hpp"
#include "output_names.hpp"
#include "tar_keys.hpp"
#include "tar_layout.hpp"

namespace tessera {
namespace {

class DirectoryNamer final : public Sink {
 public:
  DirectoryNamer(std::string directory, detail::NameTemplate names, NameListener listener)
      : directory_(std::move(directory)),
        names_(std::move(names)),
        listener_(std::move(listener)) {}

  Status check_plan(const JobInfo& job, std::span<const PlannedCrop> crops) const override {
    return detail::check_directory_plan(names_, job, crops);
  }

  Status consume(const CropResult& crop) override {
    auto relative = names_.expand(crop);
    if (!relative) return std::move(relative).error();
    ListedName name;
    name.path = fmt::format("{}/{}", directory_, *relative);
    listener_(crop, name);
    return {};
  }

 private:
  std::string directory_;
  detail::NameTemplate names_;
  NameListener listener_;
};

class TarNamer final : public Sink {
 public:
  TarNamer(std::string base, const TarSinkOptions& options, NameListener listener)
      : base_(std::move(base)),
        max_samples_(options.max_shard_samples),
        // Where a shard ends depends on encoded sizes, or on the shuffle's order.
        shards_known_(options.max_shard_bytes == 0 && !options.shuffle),
        listener_(std::move(listener)) {}

  Status consume(const CropResult& crop) override {
    auto key = keys_.claim(crop);
    if (!key) return std::move(key).error();
    ListedName name;
    name.path = fmt::format("{}.{}", *key, file_extension(crop.format));
    name.key = std::move(*key);
    if (base_.empty()) {
      name.shard.push_back('-');  // not = "-": GCC 12 warns falsely (-Wrestrict) there
    } else if (shards_known_) {
      const std::uint64_t shard = max_samples_ == 0 ? 0 : samples_ / max_samples_;
      name.shard = detail::shard_path(base_, static_cast<std::size_t>(shard));
    }
    ++samples_;
    listener_(crop, name);
    return {};
  }

 private:
  std::string base_;  // "dir/out" for "dir/out.tar"; empty for stdout
  std::uint64_t max_samples_;
  bool shards_known_;
  NameListener listener_;
  detail::TarKeys keys_;
  std::uint64_t samples_ = 0;
};

void report(Sink& sink, const CropFailure& failure) {
  try {
    sink.on_failure(failure);
  } catch (...) {
    // As in a run: a sink that cannot record a failure does not stop the listing.
  }
}

// One job, as open_job() and delivery treat it. Returns a fatal error from the sink.
Status list_job(detail::JobState& job, Sink& sink, const EngineOptions& options, ListStats& stats) {
  detail::open_job(job, options, sink);
  if (job.open_error) {
    ++stats.jobs_failed;
    report(sink, CropFailure{&job.info, CropFailure::kWholeJob, Roi{}, &*job.open_error});
    return {};
  }
  if (!job.plan_warning.empty()) {
    ++stats.jobs_warned;
    sink.on_warning(job.info, job.plan_warning);
  }
  bool failed = false;
  const auto fail = [&](const PlannedCrop& crop, const Error& error) {
    ++stats.crops_failed;
    failed = true;
    report(sink, CropFailure{&job.info, crop.index, crop.roi, &error});
  };
  for (std::size_t p = 0; p < job.crop_count; ++p) {
    const std::uint32_t index = job.order[p];
    const PlannedCrop& crop = job.plan.crops[index];
    // As the encode step does: a crop off the MCU grid under --lossless fails, never reaches
    // the sink, and takes no place in a shard.
    if (!job.paths.empty() && job.paths[index] == detail::CropPath::kUnaligned) {
      fail(crop, detail::unaligned_crop_error(job, crop.roi));
      continue;
    }
    Status status = sink.consume(detail::crop_result(job, crop, {}));
    if (status) {
      ++stats.crops;
    } else if (status.error().code == ErrorCode::kInvalidArgument) {
      fail(crop, status.error());
    } else {
      return status;
    }
  }
  if (failed) ++stats.jobs_failed;
  return {};
}

}  // namespace

Result<std::unique_ptr<Sink>> make_directory_namer(const DirectorySinkOptions& options,
                                                   NameListener listener) {
  auto names = detail::NameTemplate::parse(options.name_template);
  if (!names) return std::move(names).error();
  if (options.several_jobs) {
    if (Status s = names->check_several_jobs(); !s) return std::move(s).error();
  }
  std::string directory = options.directory;
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  return std::unique_ptr<Sink>(std::make_unique<DirectoryNamer>(
      std::move(directory), std::move(*names), std::move(listener)));
}

Result<std::unique_ptr<Sink>> make_tar_namer(const TarSinkOptions& options, NameListener listener) {
  std::string base;
  if (options.path != "-") {
    auto shard_base = detail::shard_base(options.path);
    if (!shard_base) return std::move(shard_base).error();
    base = std::move(*shard_base);
  }
  return std::unique_ptr<Sink>(
      std::make_unique<TarNamer>(std::move(base), options, std::move(listener)));
}

Result<ListStats> list_crops(JobSource& jobs, Sink& sink, const EngineOptions& options) {
  if (Status valid = validate(options); !valid) return std::move(valid).error();
  EngineOptions resolved = options;
  const EngineSettings settings = resolved_settings(options);
  resolved.band_rows = settings.band_rows;
  resolved.crops_in_flight = settings.crops_in_flight;
  ListStats stats;
  detail::StemRegistry stems;
  for (std::size_t index = 0;; ++index) {
    if (options.cancel != nullptr && options.cancel->load()) break;
    std::optional<Job> job = jobs.next();
    if (!job) break;
    // One job at a time: its header, plan and names, then it is gone.
    detail::JobState state;
    detail::start_job(state, std::move(*job), index, stems);
    ++stats.jobs;
    if (Status s = list_job(state, sink, resolved, stats); !s) return std::move(s).error();
  }
  return stats;
}

}  // namespace tessera
