// PyramidScheduler: the one place that decides what a pyramid run does next. Every level is a
// band stream with its own ring of rows (a BandWindow) and its own tile grid. A decode step
// adds a band to level 0 and, in the same step, the rows each smaller level can now make from
// the level above. A tile row goes out to encode, tile by tile in one fixed order, as soon as
// its last row is resident; its rows are kept until its every tile is delivered. A band is
// decoded only when no level would overwrite a row still needed (by a pending tile or by the
// level below). Encode buffers are tokens, handed out in tile order.
// It knows nothing of TBB or pixels; what it decides leaves through a PyramidOutlet, and every
// event is handled under one lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "job_state.hpp"
#include "pyramid_geometry.hpp"

namespace tessera::detail {

struct TileTask {
  int level = 0;
  int col = 0;
  int row = 0;
  std::uint64_t sequence = 0;  // the tile's place in the one delivery order
  Buffer* buffer = nullptr;
};

// The rows a decode step writes: level k gets rows [from[k], to[k]).
struct PyramidBand {
  std::vector<int> from;
  std::vector<int> to;
};

class PyramidOutlet {
 public:
  virtual ~PyramidOutlet() = default;
  virtual void encode(const TileTask& task) = 0;
  virtual void decode(const PyramidBand& band) = 0;
};

struct PyramidSchedulerOptions {
  int band_rows = 64;  // level-0 rows per decode step
  int tokens = 8;      // encode buffers
};

class PyramidScheduler {
 public:
  PyramidScheduler(const PyramidGeometry& geometry, PyramidSchedulerOptions options,
                   const std::atomic<bool>& stop);

  // Rows each level's window must hold so that decoding can always go on: two tile rows (one
  // being encoded while the next fills) plus the rows one step writes.
  std::vector<int> window_rows() const;

  void start(PyramidOutlet& out);
  // The decode step wrote `band`.
  void on_band(const PyramidBand& band, PyramidOutlet& out);
  // A tile left delivery (written, skipped or failed): its buffer and rows are free.
  void on_delivered(const TileTask& task, PyramidOutlet& out);

  // Every tile delivered and every row decoded.
  bool complete() const;
  std::uint64_t tiles_delivered() const;

 private:
  struct HeldTileRow {
    int first_row = 0;
    int pending = 0;  // tiles not yet delivered
  };
  struct LevelState {
    int rows = 0;           // rows written
    int next_tile_row = 0;  // tile rows not yet sent out start here
    std::deque<HeldTileRow> held;
  };

  PyramidBand next_band() const;
  int low_water(int level) const;
  bool space_for(const PyramidBand& band) const;
  void emit_ready_tile_rows();
  void dispatch(PyramidOutlet& out);
  void maybe_decode(PyramidOutlet& out);

  const PyramidGeometry& geometry_;
  PyramidSchedulerOptions options_;
  const std::atomic<bool>& stop_;
  std::vector<int> capacity_;
  mutable std::mutex mutex_;
  std::vector<LevelState> levels_;
  std::deque<TileTask> ready_;  // sent out in this order, which is the delivery order
  std::uint64_t next_sequence_ = 0;
  std::uint64_t delivered_ = 0;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<Buffer*> free_buffers_;
  bool decoding_ = false;
};

}  // namespace tessera::detail
