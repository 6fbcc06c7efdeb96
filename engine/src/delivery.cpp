#include "delivery.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/format.h>

namespace tessera {

void CropHold::release() noexcept {
  if (owner_ == nullptr) return;
  detail::HeldCrops* owner = std::exchange(owner_, nullptr);
  owner->release(slot_);
}

}  // namespace tessera

namespace tessera::detail {

void RunCounters::set_fatal(Error error) {
  std::lock_guard lock(mutex_);
  if (!fatal_) fatal_ = std::move(error);
  stop.store(true);
}

std::optional<Error> RunCounters::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

HeldCrops::HeldCrops(int tokens) {
  slots_.reserve(static_cast<std::size_t>(tokens));
  free_.reserve(static_cast<std::size_t>(tokens));
}

CropHold HeldCrops::hold(const ReleaseMsg& msg) {
  keep_run_alive();
  std::lock_guard lock(mutex_);
  std::uint32_t slot = 0;
  if (free_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(msg);
  } else {
    slot = free_.back();
    free_.pop_back();
    slots_[slot] = msg;
  }
  return CropHold(*this, slot);
}

void HeldCrops::release(std::uint32_t slot) noexcept {
  ReleaseMsg msg;
  {
    std::lock_guard lock(mutex_);
    msg = slots_[slot];
    free_.push_back(slot);  // reserved for every buffer up front: never allocates
  }
  send(msg);
}

Delivery::Delivery(Sink& sink, RunCounters& counters, bool ordered, int tokens, HeldCrops* held)
    : sink_(sink), counters_(counters), ordered_(ordered), held_(held) {
  waiting_.reserve(static_cast<std::size_t>(tokens));
}

void Delivery::accept(DeliverMsg&& msg, ReleaseOutlet& out) {
  if (auto* event = std::get_if<JobEvent>(&msg)) {
    JobState& job = *event->job;
    if (!event->warning.empty()) {
      warn(job, event->warning);
      return;
    }
    if (!ordered_) {
      // Concurrent delivery may run a job's open event and its failure event at once. Only
      // the failure event (a job has at most one) touches the job, so the two never race.
      if (event->failed) {
        job.failure = std::move(event->error);
        fail_remaining(job, event->from, out);
      }
      return;
    }
    if (event->failed) {
      job.failure = std::move(event->error);
      job.fail_from = event->from;
    }
    if (jobs_.size() <= job.info.index) jobs_.resize(job.info.index + 1, nullptr);
    jobs_[job.info.index] = &job;
  } else {
    CropDone& done = std::get<CropDone>(msg);
    if (!ordered_) {
      deliver_crop(done, out);
      return;
    }
    waiting_.push_back(std::move(done));
  }
  drain(out);
}

// Delivers everything that is next in order, job by job.
void Delivery::drain(ReleaseOutlet& out) {
  while (head_job_ < jobs_.size() && jobs_[head_job_] != nullptr) {
    JobState& job = *jobs_[head_job_];
    if (job.delivered >= job.fail_from) fail_remaining(job, job.delivered, out);
    if (job.delivered == job.crop_count) {
      jobs_[head_job_++] = nullptr;
      continue;
    }
    auto next = std::find_if(waiting_.begin(), waiting_.end(), [&](const CropDone& d) {
      return d.job == &job && d.position == job.delivered;
    });
    if (next == waiting_.end()) return;
    CropDone done = std::move(*next);
    *next = std::move(waiting_.back());
    waiting_.pop_back();
    ++job.delivered;
    deliver_crop(done, out);
  }
}

void Delivery::deliver_crop(CropDone& done, ReleaseOutlet& out) {
  JobState& job = *done.job;
  const PlannedCrop& crop = job.plan.crops[job.order[done.position]];
  const int first = first_row(job.source_roi_at(done.position));
  // A holding sink may keep the crop's buffer: the buffer then goes back only when the hold is
  // released (a hold the sink did not take releases at the end of this function). The crop is
  // accounted for, and its rows freed, now: it is delivered, and a consumer holding crops must
  // not keep the head of the delivery order from its reserved token.
  CropHold hold = held_ != nullptr ? held_->hold(ReleaseMsg{&job, done.buffer, -1, 0}) : CropHold();
  if (done.skipped) {
    counters_.crops_skipped.fetch_add(1, std::memory_order_relaxed);
  } else if (done.resumed) {
    counters_.crops_resumed.fetch_add(1, std::memory_order_relaxed);
  } else if (done.error) {
    report(CropFailure{&job.info, crop.index, crop.roi, &*done.error});
    note_job_failed(job);
  } else if (!counters_.stop.load(std::memory_order_relaxed)) {
    CropResult result = crop_result(job, crop, {done.buffer->data.get(), done.size});
    result.hold = held_ != nullptr ? &hold : nullptr;
    Status status;
    try {
      status = sink_.consume(result);
    } catch (const std::exception& e) {
      status = Error{ErrorCode::kIo, fmt::format("the sink failed: {}", e.what())};
    } catch (...) {
      status = Error{ErrorCode::kInternal, "the sink threw an unknown exception"};
    }
    if (status) {
      counters_.crops.fetch_add(1, std::memory_order_relaxed);
      if (done.lossless) counters_.crops_lossless.fetch_add(1, std::memory_order_relaxed);
      counters_.bytes_out.fetch_add(done.size, std::memory_order_relaxed);
    } else if (status.error().code == ErrorCode::kInvalidArgument) {
      report(CropFailure{&job.info, crop.index, crop.roi, &status.error()});
      note_job_failed(job);
    } else {
      counters_.set_fatal(std::move(status).error());
    }
  }
  out.release(ReleaseMsg{&job, held_ != nullptr ? nullptr : done.buffer, first, 1});
}

void Delivery::fail_remaining(JobState& job, std::size_t from, ReleaseOutlet& out) {
  const Error& error = *job.failure;
  if (job.open_error) {
    report(CropFailure{&job.info, CropFailure::kWholeJob, Roi{}, &error});
  }
  for (std::size_t p = from; p < job.crop_count; ++p) {
    const PlannedCrop& crop = job.plan.crops[job.order[p]];
    report(CropFailure{&job.info, crop.index, crop.roi, &error});
  }
  note_job_failed(job);
  const std::size_t count = job.crop_count - std::min(from, job.crop_count);
  job.delivered = job.crop_count;
  job.fail_from = SIZE_MAX;
  if (count > 0) out.release(ReleaseMsg{&job, nullptr, -1, count});
}

void Delivery::warn(JobState& job, const std::string& warning) {
  if (!job.warned.exchange(true)) counters_.jobs_warned.fetch_add(1);
  try {
    sink_.on_warning(job.info, warning);
  } catch (...) {
    // As with failures: a sink that cannot record a warning must not stop the run.
  }
}

void Delivery::report(const CropFailure& failure) {
  if (failure.index != CropFailure::kWholeJob) counters_.crops_failed.fetch_add(1);
  try {
    sink_.on_failure(failure);
  } catch (...) {
    // A sink that cannot even record a failure must not stop the other jobs.
  }
}

void Delivery::note_job_failed(JobState& job) {
  if (!job.reported_failed.exchange(true)) counters_.jobs_failed.fetch_add(1);
}

}  // namespace tessera::detail
