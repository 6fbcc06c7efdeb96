// Scheduler: the one place that decides what runs next. It hands out encode buffers (the
// tokens that bound memory), sends crops to encode once their last row is decoded, lets a
// job decode its next band only when the rows it would overwrite are no longer needed, and
// pulls the next job when one completes. It is driven by three events (a job opened, a band
// decoded, a crop released), each handled under one lock, and it never blocks a thread:
// work that cannot start now is started by the event that makes it possible.
// It knows nothing of TBB; what it decides leaves through an Outlet.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "job_state.hpp"

namespace tessera::detail {

class Outlet {
 public:
  virtual ~Outlet() = default;
  virtual void encode(const CropTask& task) = 0;
  virtual void decode(JobState* job) = 0;
  virtual void deliver(JobEvent event) = 0;
  virtual void open_next_job() = 0;
};

struct SchedulerOptions {
  int tokens = 8;
  // With an ordered (serial) sink, results wait in a reorder buffer holding their tokens; the
  // last free token is then kept for the crop delivery is waiting on, so it cannot starve.
  bool ordered = true;
};

class Scheduler {
 public:
  Scheduler(SchedulerOptions options, const std::atomic<bool>& stop);

  // A job finished opening (successfully or not). It joins the active jobs in index order.
  void on_opened(JobState* job, Outlet& out);
  // A decode step wrote `rows` rows, or failed.
  void on_band(JobState* job, Result<int> rows, Outlet& out);
  // A crop (or a run of failed crops) left delivery.
  void on_release(const ReleaseMsg& msg, Outlet& out);

  // Re-examines every job, for example after the stop flag was set.
  void poke(Outlet& out);

  std::uint64_t pool_bytes() const;
  std::uint64_t peak_window_bytes() const;
  int peak_window_rows() const;

 private:
  bool space_for_next_band(const JobState& job) const;
  void maybe_decode(JobState& job, Outlet& out);
  void dispatch_ready(Outlet& out);
  bool may_take_token(const JobState& job) const;
  void maybe_complete(JobState& job, Outlet& out);
  Buffer* take_buffer();

  SchedulerOptions options_;
  const std::atomic<bool>& stop_;
  mutable std::mutex mutex_;
  std::vector<JobState*> active_;  // opened, not complete, by job index
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<Buffer*> free_buffers_;
  std::uint64_t window_bytes_ = 0;
  std::uint64_t peak_window_bytes_ = 0;
  int peak_window_rows_ = 0;
};

}  // namespace tessera::detail
