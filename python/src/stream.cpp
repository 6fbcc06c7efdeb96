#include "stream.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <pybind11/numpy.h>

#include "errors.hpp"

namespace tessera::python {
namespace py = pybind11;
using namespace std::chrono_literals;

namespace {

// How long the Python thread waits, GIL released, before it checks for Ctrl-C again: well
// inside the second a KeyboardInterrupt may take.
constexpr auto kSignalCheck = 50ms;

std::mutex live_mutex;
std::vector<std::weak_ptr<RunCore>> live_runs;

class JobList final : public JobSource {
 public:
  explicit JobList(std::vector<Job> jobs) : jobs_(std::move(jobs)) {}
  std::optional<Job> next() override {
    if (next_ == jobs_.size()) return std::nullopt;
    return jobs_[next_++];
  }

 private:
  std::vector<Job> jobs_;
  std::size_t next_ = 0;
};

// Raises the Python exception a signal handler left pending (KeyboardInterrupt), after
// stopping the run so that nothing is left running or half-written behind it.
void check_signals(RunCore& core) {
  if (PyErr_CheckSignals() == 0) return;
  py::error_already_set pending;
  without_gil([&] { return core.stop(), true; });
  throw pending;
}

py::object pixel_array(const QueuedItem& item, bool channel_axis) {
  const int channels = channel_count(item.pixel_format);
  const auto h = static_cast<py::ssize_t>(item.roi.h), w = static_cast<py::ssize_t>(item.roi.w);
  if (item.bytes.size() != static_cast<std::size_t>(h * w * channels)) {
    raise(Error{ErrorCode::kInternal, fmt::format("raw crop {} holds {} bytes, not {}x{}x{}",
                                                  item.index, item.bytes.size(), w, h, channels)});
  }
  py::array_t<std::uint8_t> array = channels == 1 && !channel_axis
                                        ? py::array_t<std::uint8_t>({h, w})
                                        : py::array_t<std::uint8_t>({h, w, py::ssize_t{channels}});
  std::memcpy(array.mutable_data(), item.bytes.data(), item.bytes.size());
  return array;
}

}  // namespace

RunCore::~RunCore() {
  stop();
}

void RunCore::start(const EngineOptions& options, JobSource& jobs, Sink& front, bool queued) {
  run_ = std::make_unique<BackgroundRun>(options, jobs, front, queued ? &queue_ : nullptr);
}

void RunCore::stop() noexcept {
  if (!run_) return;
  run_->cancel();
  while (!run_->wait_for(1s)) {
  }
}

std::optional<QueuedItem> RunCore::next_item() {
  for (;;) {
    QueuedItem item;
    const CropQueue::Wait wait = without_gil([&] { return queue_.pop(item, kSignalCheck); });
    if (wait == CropQueue::Wait::kItem) return item;
    if (wait == CropQueue::Wait::kClosed) return std::nullopt;
    check_signals(*this);
  }
}

const RunStats& RunCore::wait() {
  for (;;) {
    if (without_gil([&] { return run_->wait_for(kSignalCheck); })) return run_->stats();
    check_signals(*this);
  }
}

std::shared_ptr<RunCore> make_run() {
  auto core = std::make_shared<RunCore>();
  std::lock_guard lock(live_mutex);
  std::erase_if(live_runs, [](const auto& run) { return run.expired(); });
  live_runs.push_back(core);
  return core;
}

void stop_all_runs() {
  std::vector<std::shared_ptr<RunCore>> runs;
  {
    std::lock_guard lock(live_mutex);
    for (const auto& run : live_runs) {
      if (auto alive = run.lock()) runs.push_back(std::move(alive));
    }
  }
  without_gil([&] {
    for (const auto& run : runs) run->stop();
    runs.clear();  // the last owner may be here: a RunCore holds no Python object
    return true;
  });
}

Crop take_crop(QueuedItem& item, bool channel_axis) {
  Crop crop;
  crop.index = item.index;
  crop.x = item.roi.x;
  crop.y = item.roi.y;
  crop.w = item.roi.w;
  crop.h = item.roi.h;
  crop.key = item.key.empty() ? py::none() : py::object(py::str(item.key));
  crop.source = item.job->source;
  crop.format = to_string(item.format);
  if (item.format == OutputFormat::kRaw) {
    crop.data = pixel_array(item, channel_axis);
  } else {
    crop.data = py::bytes(reinterpret_cast<const char*>(item.bytes.data()), item.bytes.size());
  }
  item.hold.release();  // copied: the buffer may take the next crop
  return crop;
}

CropIterator::CropIterator(Source source, Job job, const EngineOptions& options)
    : source_(std::move(source)), channel_axis_(source_.channel_axis()), core_(make_run()) {
  source_.apply(job);
  auto& jobs = core_->keep(std::make_unique<JobList>(std::vector<Job>{std::move(job)}));
  core_->start(options, jobs, core_->queue(), true);
}

CropIterator::~CropIterator() {
  close();
}

void CropIterator::close() {
  done_ = true;
  without_gil([&] { return core_->stop(), true; });
}

Crop CropIterator::next() {
  while (!done_) {
    std::optional<QueuedItem> item = core_->next_item();
    if (!item) {
      done_ = true;
      const RunStats& stats = core_->wait();
      if (stats.fatal) raise(*stats.fatal);
      break;
    }
    switch (item->kind) {
      case QueuedItem::Kind::kCrop: return take_crop(*item, channel_axis_);
      case QueuedItem::Kind::kFailure: close(); raise(item->error);
      case QueuedItem::Kind::kWarning: {
        const std::string text = fmt::format("{}: {}", item->source, item->error.message);
        if (PyErr_WarnEx(PyExc_RuntimeWarning, text.c_str(), 1) != 0) {
          close();
          throw py::error_already_set();
        }
        break;
      }
    }
  }
  throw py::stop_iteration();
}

}  // namespace tessera::python
