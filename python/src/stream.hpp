// One engine run as Python sees it. The run goes on a thread of its own (BackgroundRun); the
// Python thread only ever waits for it with the GIL released, 50 ms at a time, checking for
// Ctrl-C in between; crops come through a CropQueue, which keeps each crop's pooled buffer until
// Python has copied the bytes, so a slow consumer stops the engine from dispatching more and
// never makes a worker thread wait (docs/ARCHITECTURE.md, "Python").
//
// RunCore holds no Python object, so whoever drops it last, with or without the GIL, may
// destroy it; live runs are listed so that interpreter exit can stop them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "sources.hpp"
#include "tessera/engine/crop_queue.hpp"

namespace tessera::python {

class RunCore {
 public:
  RunCore() = default;
  RunCore(const RunCore&) = delete;
  RunCore& operator=(const RunCore&) = delete;
  ~RunCore();

  // Keeps a piece the run reads or writes (a job source, a sink) until the run has ended.
  template <class T>
  T& keep(std::unique_ptr<T> piece) {
    T& ref = *piece;
    pieces_.push_back(std::shared_ptr<void>(std::move(piece)));
    return ref;
  }
  CropQueue& queue() noexcept { return queue_; }

  // Starts the run; `front` is the sink the engine calls, which is or forwards to queue()
  // when `queued`.
  void start(const EngineOptions& options, JobSource& jobs, Sink& front, bool queued);
  // Cancels the run and waits until it has ended (the sink has then removed partial outputs).
  // Call without the GIL.
  void stop() noexcept;

  // The next crop, failure or warning with the GIL released, or nothing once the run has
  // ended. On Ctrl-C (or any pending Python signal exception) stops the run, then rethrows.
  std::optional<QueuedItem> next_item();
  // Waits for the end of the run the same way, and returns its statistics.
  const RunStats& wait();

 private:
  std::vector<std::shared_ptr<void>> pieces_;
  CropQueue queue_;
  std::unique_ptr<BackgroundRun> run_;  // last: its thread is joined before the rest goes
};

// Runs `wait` with the GIL released and takes the GIL back afterwards. Not a scoped guard on
// purpose: at interpreter exit, a daemon thread that takes the GIL back is ended by
// pthread_exit, whose unwinding aborts the process when it starts inside a destructor (which
// is noexcept), as it would in pybind11's gil_scoped_release; here it starts in a plain call.
template <class F>
auto without_gil(F&& wait) {
  PyThreadState* state = PyEval_SaveThread();
  std::optional<decltype(wait())> result;
  try {
    result.emplace(wait());
  } catch (...) {
    PyEval_RestoreThread(state);
    throw;
  }
  PyEval_RestoreThread(state);  // outside the try: its pthread_exit must not be caught
  return std::move(*result);
}

// A new run, listed until it is destroyed.
std::shared_ptr<RunCore> make_run();
// Stops every live run: registered with atexit, so that an abandoned iterator never keeps
// the interpreter from exiting.
void stop_all_runs();

// One crop as Python receives it.
struct Crop {
  std::uint32_t index = 0;
  int x = 0, y = 0, w = 0, h = 0;
  pybind11::object key;  // str, or None
  std::string source;
  std::string format;
  pybind11::object data;  // bytes, or a NumPy array for raw
};

// Copies a queued crop into a Crop (bytes, or an array for raw) and gives its buffer back.
// Call with the GIL.
Crop take_crop(QueuedItem& item, bool channel_axis);

// The iterator crop(), tile() and random() return.
class CropIterator {
 public:
  CropIterator(Source source, Job job, const EngineOptions& options);
  ~CropIterator();
  CropIterator(const CropIterator&) = delete;
  CropIterator& operator=(const CropIterator&) = delete;

  // The next crop; StopIteration at the end; tessera.Error or ValueError when the image fails.
  Crop next();
  // Stops the run now (also on del, on leaving a with block, and at interpreter exit).
  void close();

 private:
  Source source_;  // the pixels or bytes the run reads: released only after it has ended
  bool channel_axis_ = false;
  std::shared_ptr<RunCore> core_;
  bool done_ = false;
};

}  // namespace tessera::python
