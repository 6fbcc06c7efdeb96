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

class Delivery {
 public:
  Delivery(Sink& sink, RunCounters& counters, bool ordered, int tokens);

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
  // Ordered mode only.
  std::vector<JobState*> jobs_;    // by job index, as their open events arrive
  std::size_t head_job_ = 0;       // the job delivery is waiting on
  std::vector<CropDone> waiting_;  // crops that arrived before their turn
};

}  // namespace tessera::detail
