#include "progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace tessera::cli {
namespace {

constexpr auto kTtyInterval = std::chrono::milliseconds(250);
constexpr auto kPlainInterval = std::chrono::seconds(5);

std::string eta_text(double fraction, double elapsed_s) {
  if (fraction <= 0.0 || fraction >= 1.0) return "";
  const auto remaining = static_cast<long>(elapsed_s * (1.0 - fraction) / fraction + 0.5);
  return fmt::format(", ETA {}:{:02}", remaining / 60, remaining % 60);
}

}  // namespace

Status ProgressSink::consume(const CropResult& crop) {
  Status status = ForwardingSink::consume(crop);
  if (status) {
    crops_.fetch_add(1, std::memory_order_relaxed);
    pixels_.fetch_add(
        static_cast<std::uint64_t>(crop.roi.w) * static_cast<std::uint64_t>(crop.roi.h),
        std::memory_order_relaxed);
  }
  if (crop.job != nullptr) note_job(crop.job->index);
  return status;
}

void ProgressSink::on_failure(const CropFailure& failure) {
  ForwardingSink::on_failure(failure);
  if (failure.job != nullptr) note_job(failure.job->index);
}

void ProgressSink::note_job(std::size_t index) noexcept {
  std::size_t seen = images_.load(std::memory_order_relaxed);
  while (index > seen && !images_.compare_exchange_weak(seen, index, std::memory_order_relaxed)) {
  }
}

ProgressReporter::ProgressReporter(const ProgressSink& counts, ProgressTotals totals,
                                   std::FILE* stream)
    : counts_(counts),
      totals_(totals),
      stream_(stream),
      tty_(::isatty(::fileno(stream)) == 1),
      start_(std::chrono::steady_clock::now()),
      thread_([this] { loop(); }) {}

ProgressReporter::~ProgressReporter() {
  stop();
}

void ProgressReporter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (tty_ && printed_) {
    fmt::print(stream_, "\r\033[K");
    std::fflush(stream_);
  }
}

std::string ProgressReporter::format_line(std::size_t crops, std::size_t crops_total,
                                          std::size_t images, std::size_t images_total,
                                          std::uint64_t pixels, double elapsed_s) {
  std::string line = crops_total > 0 ? fmt::format("crops {}/{}", crops, crops_total)
                                     : fmt::format("crops {}", crops);
  line += images_total > 0 ? fmt::format(", images {}/{}", images, images_total)
                           : fmt::format(", images {}", images);
  const double mps = elapsed_s > 0 ? static_cast<double>(pixels) / 1e6 / elapsed_s : 0.0;
  line += fmt::format(", {:.1f} MP/s", mps);
  if (crops_total > 0) {
    line += eta_text(static_cast<double>(crops) / static_cast<double>(crops_total), elapsed_s);
  } else if (images_total > 0) {
    line += eta_text(static_cast<double>(images) / static_cast<double>(images_total), elapsed_s);
  }
  return line;
}

void ProgressReporter::loop() {
  const auto interval = tty_
                            ? std::chrono::duration_cast<std::chrono::milliseconds>(kTtyInterval)
                            : std::chrono::duration_cast<std::chrono::milliseconds>(kPlainInterval);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line = format_line(counts_.crops_done(), totals_.crops, counts_.images_done(),
                                         totals_.images, counts_.pixels_done(), elapsed);
    if (tty_) {
      fmt::print(stream_, "\r\033[K{}", line);
    } else {
      fmt::print(stream_, "tessera: {}\n", line);
    }
    std::fflush(stream_);
    printed_ = true;
  }
}

}  // namespace tessera::cli
