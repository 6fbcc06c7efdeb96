#include "scheduler.hpp"

#include <algorithm>
#include <climits>

namespace tessera::detail {

Scheduler::Scheduler(SchedulerOptions options, const std::atomic<bool>& stop)
    : options_(options), stop_(stop) {
  buffers_.reserve(static_cast<std::size_t>(options_.tokens));
  free_buffers_.reserve(static_cast<std::size_t>(options_.tokens));
  for (int i = 0; i < options_.tokens; ++i) {
    buffers_.push_back(std::make_unique<Buffer>());
    free_buffers_.push_back(buffers_.back().get());
  }
}

void Scheduler::on_opened(JobState* job, Outlet& out) {
  std::lock_guard lock(mutex_);
  const auto at = std::lower_bound(active_.begin(), active_.end(), job,
                                   [](auto* a, auto* b) { return a->info.index < b->info.index; });
  active_.insert(at, job);
  if (job->open_error) {
    job->failed = true;
    job->decode_done = true;
    out.deliver(JobEvent{job, true, 0, job->open_error, {}});
  } else {
    out.deliver(JobEvent{job, false, 0, std::nullopt, {}});
    if (!job->plan_warning.empty()) {
      out.deliver(JobEvent{job, false, 0, std::nullopt, job->plan_warning});
    }
    window_bytes_ += job->window.bytes() + job->coefficient_window.bytes();
    peak_window_bytes_ = std::max(peak_window_bytes_, window_bytes_);
    peak_window_rows_ = std::max(
        peak_window_rows_, std::max(job->window.capacity(), job->coefficient_window.capacity()));
    if (job->crop_count == 0) job->decode_done = true;
    maybe_decode(*job, out);
  }
  maybe_complete(*job, out);
}

void Scheduler::on_band(JobState* job, Result<int> rows, Outlet& out) {
  std::lock_guard lock(mutex_);
  job->decoding = false;
  if (!rows) {
    job->failed = true;
    job->decode_done = true;
    job->decoder.reset();
    job->coefficients.reset();
    // Crops whose rows are all decoded still go out; the rest fail with the codec's message.
    out.deliver(JobEvent{job, true, job->ready_end, std::move(rows).error(), {}});
  } else {
    job->rows_decoded += *rows;
    while (job->ready_end < job->crop_count &&
           end_row(job->source_roi_at(job->ready_end), job->stored_height) <= job->rows_decoded) {
      ++job->ready_end;
    }
    if (job->rows_decoded >= job->rows_needed) {
      job->decode_done = true;
      if (job->decoder && !job->decoder->warnings().empty()) {
        out.deliver(JobEvent{job, false, 0, std::nullopt, job->decoder->warnings()});
      }
      job->decoder.reset();
      job->coefficients.reset();
    }
  }
  dispatch_ready(out);
  maybe_decode(*job, out);
  maybe_complete(*job, out);
}

void Scheduler::on_release(const ReleaseMsg& msg, Outlet& out) {
  std::lock_guard lock(mutex_);
  JobState& job = *msg.job;
  if (msg.buffer != nullptr) free_buffers_.push_back(msg.buffer);
  if (msg.first_row >= 0) {
    auto it = std::find(job.inflight_tops.begin(), job.inflight_tops.end(), msg.first_row);
    *it = job.inflight_tops.back();
    job.inflight_tops.pop_back();
  }
  job.accounted += msg.accounted;
  dispatch_ready(out);
  maybe_decode(job, out);
  maybe_complete(job, out);
}

void Scheduler::poke(Outlet& out) {
  std::lock_guard lock(mutex_);
  dispatch_ready(out);
  for (JobState* job : std::vector<JobState*>(active_)) maybe_decode(*job, out);
}

// Decoding rows [r, r + n) overwrites the ring slots of rows [r + n - capacity, r), so every
// crop still waiting (dispatched or not) must start at or after r + n - capacity.
bool Scheduler::space_for_next_band(const JobState& job) const {
  const int n = std::min(job.band_rows, job.rows_needed - job.rows_decoded);
  const int lowest_overwritten = job.rows_decoded + n - job.ring_rows();
  int low_water = job.suffix_min_top[job.next_dispatch];
  for (int top : job.inflight_tops) low_water = std::min(low_water, top);
  return low_water >= lowest_overwritten;
}

void Scheduler::maybe_decode(JobState& job, Outlet& out) {
  if (stop_.load(std::memory_order_relaxed) || job.decoding || job.decode_done || job.failed)
    return;
  if (!space_for_next_band(job)) return;  // a release of this job's crops will call again
  job.decoding = true;
  out.decode(&job);
}

// With ordered delivery, the oldest active job holds the crop delivery waits for: the next
// one after everything it has accounted for.
bool Scheduler::may_take_token(const JobState& job) const {
  if (free_buffers_.empty()) return false;
  if (!options_.ordered || free_buffers_.size() > 1) return true;
  return &job == active_.front() && job.next_dispatch == job.accounted;
}

void Scheduler::dispatch_ready(Outlet& out) {
  if (stop_.load(std::memory_order_relaxed)) return;
  for (JobState* job : active_) {
    while (job->next_dispatch < job->ready_end && may_take_token(*job)) {
      const auto position = static_cast<std::uint32_t>(job->next_dispatch++);
      job->inflight_tops.push_back(first_row(job->source_roi_at(position)));
      out.encode(CropTask{job, position, take_buffer()});
    }
  }
}

Buffer* Scheduler::take_buffer() {
  Buffer* buffer = free_buffers_.back();
  free_buffers_.pop_back();
  return buffer;
}

void Scheduler::maybe_complete(JobState& job, Outlet& out) {
  if (job.complete || job.decoding || !job.decode_done || job.accounted < job.crop_count) return;
  job.complete = true;
  window_bytes_ -= job.window.bytes() + job.coefficient_window.bytes();
  job.window = BandWindow();
  job.coefficient_window = BandWindow();
  job.decoder.reset();
  active_.erase(std::find(active_.begin(), active_.end(), &job));
  out.open_next_job();
  dispatch_ready(out);  // the next job may now take the reserved token
}

std::uint64_t Scheduler::pool_bytes() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& b : buffers_) total += b->capacity;
  return total;
}

std::uint64_t Scheduler::peak_window_bytes() const {
  std::lock_guard lock(mutex_);
  return peak_window_bytes_;
}

int Scheduler::peak_window_rows() const {
  std::lock_guard lock(mutex_);
  return peak_window_rows_;
}

}  // namespace tessera::detail
