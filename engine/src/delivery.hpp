// Delivery: hands encoded crops and failures to the sink, and accounts for every planned crop
// exactly once. With a serial sink it delivers in a fixed order (job by job, each job's crops
// in dispatch order) whatever the thread count, holding early arrivals in a reorder buffer no
// larger than the number of tokens; with a concurrent sink it delivers as crops arrive.
// A failed consume() is fatal for the run unless it says the crop itself was bad
// (kInvalidArgument, such as an unsafe key), which fails only that crop.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "job_state.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::detail {

struct RunCounters {
  std::atomic<std::size_t> crops{0};
  std::atomic<std::size_t> crops_failed{0};
  std::atomic<std::size_t> crops_skipped{0};
  std::atomic<std::size_t> crops_resumed{0};
  std::atomic<std::size_t> crops_lossless{0};
  std::atomic<std::size_t> jobs_failed{0};
  std::atomic<std::size_t> jobs_warned{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> buffer_allocations{0};
  std::atomic<bool> stop{false};  // set on a fatal error or cancellation

  void set_fatal(Error error);
  std::optional<Error> fatal() const;

 private:
  mutable std::mutex mutex_;
  std::optional<Error> fatal_;
};

class ReleaseOutlet {
 public:
  virtual ~ReleaseOutlet() = default;
  virtual void release(const ReleaseMsg& msg) = 0;
};

// The crops a holding sink (Sink::holds_crops()) kept past consume(). Such a crop is accounted
// for and its rows are freed when it is delivered; only its buffer waits, in a slot, until its
// CropHold is released from whatever thread, and then goes back to the scheduler. The run must not
// end while a slot is taken: keep_run_alive() and send() tell the graph so. Slots are made once per
// buffer, never per crop.
class HeldCrops {
 public:
  explicit HeldCrops(int tokens);
  virtual ~HeldCrops() = default;
  HeldCrops(const HeldCrops&) = delete;
  HeldCrops& operator=(const HeldCrops&) = delete;

  CropHold hold(const ReleaseMsg& msg);
  // Called by CropHold::release(); the last thing it does is send(), after which this object
  // may already be gone (the run ended).
  void release(std::uint32_t slot) noexcept;

 protected:
  // One call per hold, before the hold exists: the run must wait for its release.
  virtual void keep_run_alive() = 0;
  // Hands the release to the scheduler, then lets the run end if nothing else remains.
  virtual void send(const ReleaseMsg& msg) noexcept = 0;

 private:
  std::mutex mutex_;
  std::vector<ReleaseMsg> slots_;
  std::vector<std::uint32_t> free_;
};

class Delivery {
 public:
  // `held` is required when the sink holds crops, and unused otherwise.
  Delivery(Sink& sink, RunCounters& counters, bool ordered, int tokens, HeldCrops* held = nullptr);

  // Takes one message; calls out.release() for every crop or failure it accounts for.
  // Thread contract: serial when ordered, otherwise any number of threads at once.
  void accept(DeliverMsg&& msg, ReleaseOutlet& out);

 private:
  void drain(ReleaseOutlet& out);
  void deliver_crop(CropDone& done, ReleaseOutlet& out);
  void fail_remaining(JobState& job, std::size_t from, ReleaseOutlet& out);
  void report(const CropFailure& failure);
  void warn(JobState& job, const std::string& warning);
  void note_job_failed(JobState& job);

  Sink& sink_;
  RunCounters& counters_;
  bool ordered_;
  HeldCrops* held_;  // null unless the sink holds crops
  // Ordered mode only.
  std::vector<JobState*> jobs_;    // by job index, as their open events arrive
  std::size_t head_job_ = 0;       // the job delivery is waiting on
  std::vector<CropDone> waiting_;  // crops that arrived before their turn
};

}  // namespace tessera::detail
