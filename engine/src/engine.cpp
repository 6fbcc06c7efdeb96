#include "tessera/engine/engine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "flow_graph.hpp"

namespace tessera {
namespace {

class SpanJobSource final : public JobSource {
 public:
  explicit SpanJobSource(std::span<const Job> jobs) : jobs_(jobs) {}
  std::optional<Job> next() override {
    if (next_ == jobs_.size()) return std::nullopt;
    return jobs_[next_++];
  }

 private:
  std::span<const Job> jobs_;
  std::size_t next_ = 0;
};

// Keeps every crop in memory, and the first failure.
class CollectingSink final : public Sink {
 public:
  Status consume(const CropResult& crop) override {
    crops.push_back(EncodedCrop{crop.index, crop.roi, std::string(crop.key),
                                std::vector<std::uint8_t>(crop.bytes.begin(), crop.bytes.end())});
    return {};
  }
  void on_failure(const CropFailure& failure_) override {
    if (!failure) failure = *failure_.error;
  }

  std::vector<EncodedCrop> crops;
  std::optional<Error> failure;
};

Status check_cap(const char* name, int value, int cap) {
  if (value >= 0 && value <= cap) return {};
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("{} is {}; it must be between 0 and {}", name, value, cap)};
}

}  // namespace

Status validate(const EngineOptions& options) {
  for (Status s : {check_cap("threads", options.threads, kMaxThreads),
                   check_cap("crops in flight", options.crops_in_flight, kMaxCropsInFlight),
                   check_cap("band rows", options.band_rows, kMaxBandRows),
                   check_cap("jobs in flight", options.jobs_in_flight, kMaxJobsInFlight)}) {
    if (!s) return s;
  }
  if (options.plan_limits.max_crops == 0 || options.plan_limits.max_crop_pixels == 0) {
    return Error{ErrorCode::kInvalidArgument,
                 "the plan limits (max crops, max crop pixels) must be at least 1"};
  }
  return {};
}

Engine::Engine(EngineOptions options) : options_(options) {}

RunStats Engine::run(JobSource& jobs, Sink& sink) {
  if (Status valid = validate(options_); !valid) {
    RunStats stats;
    stats.fatal = std::move(valid).error();
    return stats;
  }
  return detail::run_graph(jobs, sink, options_);
}

RunStats Engine::run(std::span<const Job> jobs, Sink& sink) {
  SpanJobSource source(jobs);
  return run(source, sink);
}

Result<std::vector<EncodedCrop>> encode_crops(InputBytes input, const PlanSpec& plan,
                                              const EncodeOptions& encode,
                                              const EngineOptions& options) {
  const Job job{"", std::move(input), plan, encode, -1};
  CollectingSink sink;
  auto stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
  if (stats.fatal) return *stats.fatal;
  if (sink.failure) return *sink.failure;
  std::sort(sink.crops.begin(), sink.crops.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  return std::move(sink.crops);
}

}  // namespace tessera
