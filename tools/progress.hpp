// Progress on stderr while a run goes: a sink decorator counts what passes through it, and a
// reporter thread prints from those counts. On a TTY one line updates in place a few times a
// second; otherwise a plain line every few seconds. The reporter sleeps on a condition
// variable, so it costs nothing between lines, and a short run prints nothing at all.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "forwarding_sink.hpp"

namespace tessera::cli {

// Totals known before the run (0: unknown).
struct ProgressTotals {
  std::size_t images = 0;
  std::size_t crops = 0;
};

class ProgressSink final : public ForwardingSink {
 public:
  explicit ProgressSink(Sink& inner) : ForwardingSink(inner) {}
  Status consume(const CropResult& crop) override;
  void on_failure(const CropFailure& failure) override;

  std::size_t crops_done() const noexcept { return crops_.load(std::memory_order_relaxed); }
  std::uint64_t pixels_done() const noexcept { return pixels_.load(std::memory_order_relaxed); }
  // Jobs before the newest job seen: with ordered delivery these are complete.
  std::size_t images_done() const noexcept { return images_.load(std::memory_order_relaxed); }

 private:
  void note_job(std::size_t index) noexcept;

  std::atomic<std::size_t> crops_{0};
  std::atomic<std::uint64_t> pixels_{0};
  std::atomic<std::size_t> images_{0};
};

class ProgressReporter {
 public:
  ProgressReporter(const ProgressSink& counts, ProgressTotals totals, std::FILE* stream);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Stops the thread and, on a TTY, clears the line so the summary starts clean.
  void stop();

  // The text of one progress line, for a given elapsed time.
  static std::string format_line(std::size_t crops, std::size_t crops_total, std::size_t images,
                                 std::size_t images_total, std::uint64_t pixels, double elapsed_s);

 private:
  void loop();

  const ProgressSink& counts_;
  ProgressTotals totals_;
  std::FILE* stream_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool printed_ = false;
  std::thread thread_;
};

}  // namespace tessera::cli
