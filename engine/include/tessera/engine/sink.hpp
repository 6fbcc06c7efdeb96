// Sinks receive encoded crops. The engine calls consume() from one thread at a time, in a
// deterministic order, unless the sink declares itself concurrent. The bytes are only valid
// during the call: the buffer returns to the pool when consume() returns.
// A sink never sees pixels or codecs, only bytes and where they came from.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/result.hpp"
#include "tessera/engine/plan.hpp"
#include "tessera/engine/sample_fields.hpp"

namespace tessera {

namespace detail {
class HeldCrops;
}

// A crop's pooled encode buffer, kept past Sink::consume() by a sink that hands crops to
// another thread (Sink::holds_crops()). While it is held the run encodes nothing into that
// buffer: a consumer that falls behind stops dispatch instead of growing memory, and no worker
// thread ever waits for it. Releasing the hold, or destroying it, from any thread, gives the
// buffer back to the run, which does not end before every hold is released. Move-only.
class CropHold {
 public:
  CropHold() = default;
  CropHold(detail::HeldCrops& owner, std::uint32_t slot) noexcept : owner_(&owner), slot_(slot) {}
  CropHold(CropHold&& other) noexcept : owner_(other.owner_), slot_(other.slot_) {
    other.owner_ = nullptr;
  }
  CropHold& operator=(CropHold&& other) noexcept {
    if (this != &other) {
      release();
      owner_ = other.owner_;
      slot_ = other.slot_;
      other.owner_ = nullptr;
    }
    return *this;
  }
  CropHold(const CropHold&) = delete;
  CropHold& operator=(const CropHold&) = delete;
  ~CropHold() { release(); }

  // Gives the buffer back; the crop's bytes are invalid from here on. Idempotent.
  void release() noexcept;
  explicit operator bool() const noexcept { return owner_ != nullptr; }

 private:
  detail::HeldCrops* owner_ = nullptr;
  std::uint32_t slot_ = 0;
};

// Where a crop came from: one per job, alive for the whole run.
struct JobInfo {
  std::size_t index = 0;  // position of the job in the run: the order of delivery
  std::string source;     // the input's name (path, or "-" for stdin)
  std::string plan;       // describe(plan spec)
  int image_width = 0;
  int image_height = 0;
  // The input's stem, unique within the run: a stem already used by an earlier job gets
  // "_j<dataset_index>" (docs/ARCHITECTURE.md, Output names). Empty when the job did not come
  // through the engine's feeder.
  std::string stem;
  // The job's index in the whole dataset when the run does only part of it (Job::dataset_index).
  std::optional<std::size_t> dataset_index{};

  // What names ({job}, "_j<job>") and sample metadata ("job") carry: the dataset index, else
  // the position in the run. So the outputs of a shard are those of the same jobs in a run of
  // the whole dataset.
  std::size_t number() const noexcept { return dataset_index.value_or(index); }

  // The decoded pixels crops are cut from; a raw crop's bytes are rows of this format.
  PixelFormat pixel_format = PixelFormat::kRgb8;

  SharedFields fields{};  // Job::fields: every crop's sample carries them
};

struct CropResult {
  const JobInfo* job = nullptr;
  std::uint32_t index = 0;  // plan order within the job
  Roi roi;
  std::string_view key;  // from the ROI list, or empty
  OutputFormat format = OutputFormat::kJpeg;
  std::span<const std::uint8_t> bytes;
  bool shares_position = false;  // PlannedCrop::shares_position
  int col = -1;                  // PlannedCrop::col and row: the grid cell, -1 outside grids
  int row = -1;
  // Only for a sink whose holds_crops() is true: moving from *hold keeps `bytes` (and `job`)
  // valid after consume() returns, until the hold is released. Null for every other sink.
  CropHold* hold = nullptr;
  // The crop's own label and extra fields (PlannedCrop::fields), besides its job's
  // (JobInfo::fields); null when it has none.
  const SampleFields* fields = nullptr;
};

// A crop that could not be produced, or (index == kWholeJob) a job that failed before it
// could be planned, for example an unreadable file.
struct CropFailure {
  static constexpr std::uint32_t kWholeJob = 0xffffffffu;
  const JobInfo* job = nullptr;
  std::uint32_t index = kWholeJob;
  Roi roi;
  const Error* error = nullptr;
};

class Sink {
 public:
  virtual ~Sink() = default;

  // True if consume() may run on several threads at once.
  virtual bool concurrent() const noexcept { return false; }

  // True if consume() may keep crops past its return through CropResult::hold, to hand them
  // to another thread. Such a sink must never wait in consume() for a hold to be released,
  // and must release every hold it keeps (the run ends only after that).
  virtual bool holds_crops() const noexcept { return false; }

  // Takes one crop. A failed Status (or an exception) is fatal: the run stops, and
  // abort() is called so that partial outputs are removed. The one non-fatal code is
  // kInvalidArgument: this crop's own data is unusable (e.g. a key that would escape the
  // output directory), the sink has written nothing for it, and the engine counts it as a
  // failed crop and goes on.
  virtual Status consume(const CropResult& crop) = 0;

  // Whether this crop's output is already complete from an earlier run (--resume). Called
  // before the crop is encoded, from any thread at once (so it must be thread-safe); `crop`
  // carries everything but the bytes, which are empty. A crop that exists is not encoded.
  virtual bool exists(const CropResult& /*crop*/) const { return false; }

  // A job's plan, before any of its crops is encoded: a sink whose names cannot tell these
  // crops apart, or this job's from another's, returns an error that fails the job (nothing
  // of it is written). Called once per job, in job order, from one thread at a time.
  virtual Status check_plan(const JobInfo& /*job*/, std::span<const PlannedCrop> /*crops*/) const {
    return {};
  }

  // A warning about a job that still runs: its plan leaves part of the image uncovered
  // (coverage_warning), or its decoding ended with a warning it was allowed to pass (for
  // example accepted truncation). Called like consume().
  virtual void on_warning(const JobInfo& /*job*/, std::string_view /*warning*/) {}

  // A crop or job that failed; the run goes on. Called like consume().
  virtual void on_failure(const CropFailure& /*failure*/) {}

  // Every crop of the run has been delivered: flush, close, rename into place.
  virtual Status finish() { return {}; }

  // The run failed or was cancelled: remove anything incomplete, keep what is complete.
  virtual void abort() noexcept {}
};

// Library use: each crop's bytes arrive in the caller's function, with no disk round trip.
class CallbackSink final : public Sink {
 public:
  using Callback = std::function<Status(const CropResult&)>;
  explicit CallbackSink(Callback callback, bool concurrent = false)
      : callback_(std::move(callback)), concurrent_(concurrent) {}
  bool concurrent() const noexcept override { return concurrent_; }
  Status consume(const CropResult& crop) override { return callback_(crop); }

 private:
  Callback callback_;
  bool concurrent_;
};

// Counts and discards, for benchmarks.
class NullSink final : public Sink {
 public:
  bool concurrent() const noexcept override { return true; }
  Status consume(const CropResult& crop) override {
    crops_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(crop.bytes.size(), std::memory_order_relaxed);
    return {};
  }
  std::uint64_t crops() const noexcept { return crops_.load(); }
  std::uint64_t bytes() const noexcept { return bytes_.load(); }

 private:
  std::atomic<std::uint64_t> crops_{0};
  std::atomic<std::uint64_t> bytes_{0};
};

}  // namespace tessera
