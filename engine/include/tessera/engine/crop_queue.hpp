// Crops pulled one at a time by a thread of the caller's, while the run goes on in a thread of
// its own: the way into the engine for code that iterates, such as the Python module.
// CropQueue is a sink that keeps each crop's pooled buffer (CropHold) until the caller is done
// with it, so a caller that falls behind stops the run from dispatching more crops, memory
// stays bounded by the buffers in flight, and no worker thread ever waits for the caller.
// BackgroundRun runs the engine on its own thread, so the caller only ever waits with a timeout
// (to check for Ctrl-C) and can cancel the run at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "tessera/engine/engine.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera {

// What the run handed the queue, in delivery order.
struct QueuedItem {
  enum class Kind : std::uint8_t {
    kCrop,     // job, index, roi, key, format, bytes and hold are set
    kFailure,  // a crop or (index == CropFailure::kWholeJob) a whole job failed: source, error
    kWarning,  // a job decoded with an accepted warning: source, error.message
  };
  Kind kind = Kind::kCrop;
  // Valid only while `hold` is held: the run, and with it the job, lives at least that long.
  const JobInfo* job = nullptr;
  std::string source;  // the job's input, copied: failures outlive the run
  std::uint32_t index = 0;
  Roi roi;
  std::string key;
  OutputFormat format = OutputFormat::kJpeg;
  PixelFormat pixel_format = PixelFormat::kRgb8;  // of the image, which raw bytes are rows of
  std::span<const std::uint8_t> bytes;            // valid while `hold` is held
  CropHold hold;
  Error error;
  std::size_t failed_crops = 0;  // kFailure: consecutive failed crops of this job merged here
};

class CropQueue final : public Sink {
 public:
  enum class Wait : std::uint8_t { kItem, kTimeout, kClosed };

  bool holds_crops() const noexcept override { return true; }
  Status consume(const CropResult& crop) override;
  void on_failure(const CropFailure& failure) override;
  void on_warning(const JobInfo& job, std::string_view warning) override;

  // Waits at most `timeout` for the next item. kClosed once the run has ended and every item
  // has been taken.
  Wait pop(QueuedItem& item, std::chrono::milliseconds timeout);
  // The run has ended: nothing more will arrive.
  void close() noexcept;
  // The caller stops taking crops: every queued crop is given back now, and every later one
  // as soon as it arrives, so that a cancelled run can finish. Failures are still queued.
  void cancel() noexcept;

 private:
  void push(QueuedItem item);

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<QueuedItem> items_;
  bool closed_ = false;
  bool cancelled_ = false;
};

// Runs jobs through the engine on a thread of its own. The jobs, the sink and the queue must
// outlive this object. Destroying it cancels the run and waits for it to end.
class BackgroundRun {
 public:
  // `options.cancel` is replaced by this object's own flag. `queue`, when the sink is or feeds
  // a CropQueue, is closed when the run ends and cancelled with it.
  BackgroundRun(EngineOptions options, JobSource& jobs, Sink& sink, CropQueue* queue = nullptr);
  ~BackgroundRun();
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;

  // Stops the run as soon as the crops in flight are done; the sink's abort() removes partial
  // outputs. Safe from any thread, and more than once.
  void cancel() noexcept;
  // Waits at most `timeout`; true once the run has ended.
  bool wait_for(std::chrono::milliseconds timeout);
  // The run's statistics, once wait_for() has returned true.
  const RunStats& stats() const noexcept { return stats_; }

 private:
  void run(EngineOptions options, JobSource& jobs, Sink& sink) noexcept;

  CropQueue* queue_;
  std::atomic<bool> cancel_{false};
  std::mutex mutex_;
  std::condition_variable ended_cv_;
  bool ended_ = false;
  RunStats stats_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tessera
