// The state of one pyramid run and the steps the pyramid graph forwards to, without TBB:
// decode a band (and shrink it into every smaller level), encode a tile, deliver tiles in
// order to the container. Fields are grouped by who owns them.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "band_window.hpp"
#include "pyramid_container.hpp"
#include "pyramid_geometry.hpp"
#include "pyramid_scheduler.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"

namespace tessera::detail {

struct TileDone {
  TileTask task;
  std::size_t size = 0;
  bool skipped = false;
  std::optional<Error> error;
};

struct PyramidRun {
  PyramidRun(const PyramidGeometry& shape, PyramidSchedulerOptions options)
      : geometry(shape), scheduler(shape, options, stop) {}

  // Set before the run, read-only during it.
  const PyramidGeometry& geometry;
  PixelFormat format = PixelFormat::kRgb8;
  std::vector<BandWindow> windows;  // one per level
  EncodeOptions encode;
  double skip_blank = -1;
  std::string name;  // of the pyramid: NAME.dzi, NAME_files
  const std::atomic<bool>* cancel = nullptr;

  std::atomic<bool> stop{false};
  PyramidScheduler scheduler;  // under its own lock

  // Owned by the decode step (one at a time).
  std::unique_ptr<Decoder> decoder;
  double decode_s = 0;
  double shrink_s = 0;

  // Owned by the delivery step (serial).
  PyramidContainer* container = nullptr;
  std::vector<std::optional<TileDone>> reorder;  // by sequence % tokens
  std::uint64_t next_delivery = 0;
  std::uint64_t tiles = 0;
  std::uint64_t skipped = 0;
  std::uint64_t bytes_out = 0;

  std::atomic<std::uint64_t> encode_ns{0};

  // The first error of any step; it stops the run.
  void fail(Error error);
  std::optional<Error> failure() const;
  // Turns an outside cancellation into the stop flag.
  void check_cancel();

 private:
  mutable std::mutex failure_mutex_;
  std::optional<Error> failure_;
};

// Decodes level 0's rows of `band` into its window and makes every smaller level's rows of the
// band from the level above.
Status decode_band(PyramidRun& run, const PyramidBand& band);

// One per worker thread: its encoder, created once.
class TileEncoder {
 public:
  TileDone encode(PyramidRun& run, const TileTask& task);

 private:
  std::unique_ptr<Encoder> encoder_;
};

// Takes finished tiles in any order and writes them to the container in sequence order;
// `delivered` is called for each tile once it is written (or skipped, or dropped after a
// failure), so its buffer and rows can be given back.
template <class Delivered>
void deliver_in_order(PyramidRun& run, TileDone done, Delivered&& delivered);

Status write_tile(PyramidRun& run, const TileDone& done);

template <class Delivered>
void deliver_in_order(PyramidRun& run, TileDone done, Delivered&& delivered) {
  const std::size_t slots = run.reorder.size();
  run.reorder[done.task.sequence % slots] = std::move(done);
  for (;;) {
    auto& slot = run.reorder[run.next_delivery % slots];
    if (!slot || slot->task.sequence != run.next_delivery) return;
    TileDone next = std::move(*slot);
    slot.reset();
    ++run.next_delivery;
    if (next.error) {
      run.fail(std::move(*next.error));
    } else if (!run.stop.load()) {
      if (Status s = write_tile(run, next); !s) run.fail(std::move(s).error());
    }
    delivered(next.task);
  }
}

// Runs the graph (pyramid_graph.cpp) until every tile is delivered or the run stopped.
void run_pyramid_graph(PyramidRun& run, int threads);

}  // namespace tessera::detail
