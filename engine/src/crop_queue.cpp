#include "tessera/engine/crop_queue.hpp"

#include <exception>
#include <utility>

#include <fmt/format.h>

namespace tessera {

Status CropQueue::consume(const CropResult& crop) {
  if (crop.hold == nullptr) {
    return Error{ErrorCode::kInternal,
                 "a CropQueue takes crops only from the engine, which hands it each crop's hold"};
  }
  QueuedItem item;
  item.kind = QueuedItem::Kind::kCrop;
  item.job = crop.job;
  item.index = crop.index;
  item.roi = crop.roi;
  item.key = crop.key;
  item.format = crop.format;
  item.pixel_format = crop.job != nullptr ? crop.job->pixel_format : PixelFormat::kRgb8;
  item.bytes = crop.bytes;
  {
    std::lock_guard lock(mutex_);
    // Cancelled: the hold stays with the caller of consume(), which releases it on return.
    if (cancelled_) return {};
    item.hold = std::move(*crop.hold);
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
  return {};
}

void CropQueue::on_failure(const CropFailure& failure) {
  std::lock_guard lock(mutex_);
  // A decoding error fails every remaining crop of its job: they become one item, so that a
  // failed job never queues more than a few.
  if (!items_.empty()) {
    QueuedItem& last = items_.back();
    if (last.kind == QueuedItem::Kind::kFailure && last.index != CropFailure::kWholeJob &&
        failure.index != CropFailure::kWholeJob && failure.job != nullptr &&
        last.source == failure.job->source && last.error.message == failure.error->message) {
      ++last.failed_crops;
      return;
    }
  }
  QueuedItem item;
  item.kind = QueuedItem::Kind::kFailure;
  item.source = failure.job != nullptr ? failure.job->source : std::string();
  item.index = failure.index;
  item.roi = failure.roi;
  item.error = failure.error != nullptr ? *failure.error : Error{};
  item.failed_crops = failure.index == CropFailure::kWholeJob ? 0 : 1;
  items_.push_back(std::move(item));
  ready_.notify_one();
}

void CropQueue::on_warning(const JobInfo& job, std::string_view warning) {
  QueuedItem item;
  item.kind = QueuedItem::Kind::kWarning;
  item.source = job.source;
  item.error = Error{ErrorCode::kCorruptData, std::string(warning)};
  {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
}

CropQueue::Wait CropQueue::pop(QueuedItem& item, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; }))
    return Wait::kTimeout;
  if (items_.empty()) return Wait::kClosed;
  item = std::move(items_.front());
  items_.pop_front();
  return Wait::kItem;
}

void CropQueue::close() noexcept {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

void CropQueue::cancel() noexcept {
  std::deque<QueuedItem> given_back;
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (auto it = items_.begin(); it != items_.end();) {
      if (it->kind == QueuedItem::Kind::kCrop) {
        given_back.push_back(std::move(*it));
        it = items_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Released outside the lock: a release enters the run's graph.
  given_back.clear();
  ready_.notify_all();
}

BackgroundRun::BackgroundRun(EngineOptions options, JobSource& jobs, Sink& sink, CropQueue* queue)
    : queue_(queue) {
  options.cancel = &cancel_;
  thread_ = std::thread([this, options, &jobs, &sink] { run(options, jobs, sink); });
}

BackgroundRun::~BackgroundRun() {
  cancel();
  if (thread_.joinable()) thread_.join();
}

void BackgroundRun::run(EngineOptions options, JobSource& jobs, Sink& sink) noexcept {
  RunStats stats;
  try {
    stats = Engine(options).run(jobs, sink);
  } catch (const std::exception& e) {
    stats.fatal = Error{ErrorCode::kInternal, fmt::format("the run failed: {}", e.what())};
  } catch (...) {
    stats.fatal = Error{ErrorCode::kInternal, "the run failed with an unknown exception"};
  }
  // The queue first: once ended_ is seen, the caller may destroy the queue, the sink and
  // this object, so nothing here may touch them after the notification.
  if (queue_ != nullptr) queue_->close();
  std::lock_guard lock(mutex_);
  stats_ = std::move(stats);
  ended_ = true;
  ended_cv_.notify_all();
}

void BackgroundRun::cancel() noexcept {
  cancel_.store(true);
  // Crops the queue holds would keep the run from ending.
  if (queue_ != nullptr) queue_->cancel();
}

bool BackgroundRun::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return ended_cv_.wait_for(lock, timeout, [&] { return ended_; });
}

}  // namespace tessera
