#include "pyramid_scheduler.hpp"

#include <algorithm>
#include <climits>

namespace tessera::detail {
namespace {

// Rows of a level once the level above holds `above_rows` of its `above_height` rows: each row
// needs two rows above, and the last row of an odd height needs only the one.
int rows_made_from(int above_rows, int above_height, int height) {
  return above_rows >= above_height ? height : above_rows / 2;
}

}  // namespace

PyramidScheduler::PyramidScheduler(const PyramidGeometry& geometry, PyramidSchedulerOptions options,
                                   const std::atomic<bool>& stop)
    : geometry_(geometry),
      options_(options),
      stop_(stop),
      levels_(static_cast<std::size_t>(geometry.level_count())) {
  const int span = geometry.tile_size() + 2 * geometry.overlap();
  for (int k = 0; k < geometry.level_count(); ++k) {
    // A step adds at most band_rows / 2^k rows to level k, plus one for rounding and one more
    // when an odd last row completes the level.
    const int step = (options_.band_rows >> std::min(k, 30)) + 2;
    capacity_.push_back(std::min(geometry.level(k).height, 2 * span + step));
  }
  for (int i = 0; i < options_.tokens; ++i) {
    buffers_.push_back(std::make_unique<Buffer>());
    free_buffers_.push_back(buffers_.back().get());
  }
}

std::vector<int> PyramidScheduler::window_rows() const {
  return capacity_;
}

void PyramidScheduler::start(PyramidOutlet& out) {
  std::lock_guard lock(mutex_);
  maybe_decode(out);
}

void PyramidScheduler::on_band(const PyramidBand& band, PyramidOutlet& out) {
  std::lock_guard lock(mutex_);
  decoding_ = false;
  for (std::size_t k = 0; k < levels_.size(); ++k) levels_[k].rows = band.to[k];
  emit_ready_tile_rows();
  dispatch(out);
  maybe_decode(out);
}

void PyramidScheduler::on_delivered(const TileTask& task, PyramidOutlet& out) {
  std::lock_guard lock(mutex_);
  free_buffers_.push_back(task.buffer);
  ++delivered_;
  LevelState& level = levels_[static_cast<std::size_t>(task.level)];
  // held covers tile rows [next_tile_row - held.size(), next_tile_row), oldest first.
  const auto first_held = static_cast<int>(level.next_tile_row - std::ssize(level.held));
  --level.held[static_cast<std::size_t>(task.row - first_held)].pending;
  while (!level.held.empty() && level.held.front().pending == 0) level.held.pop_front();
  dispatch(out);
  maybe_decode(out);
}

bool PyramidScheduler::complete() const {
  std::lock_guard lock(mutex_);
  return !decoding_ && delivered_ == geometry_.tile_count() &&
         levels_.front().rows == geometry_.level(0).height;
}

std::uint64_t PyramidScheduler::tiles_delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

// Level 0 gets the next band_rows rows; every other level, what the level above then allows.
PyramidBand PyramidScheduler::next_band() const {
  PyramidBand band;
  int above_to = 0;
  for (int k = 0; k < geometry_.level_count(); ++k) {
    const PyramidLevel& level = geometry_.level(k);
    const int from = levels_[static_cast<std::size_t>(k)].rows;
    const int to = k == 0 ? std::min(level.height, from + options_.band_rows)
                          : rows_made_from(above_to, geometry_.level(k - 1).height, level.height);
    band.from.push_back(from);
    band.to.push_back(to);
    above_to = to;
  }
  return band;
}

// The first row of a level still needed: by a tile row sent out but not delivered, by the next
// tile row to go out, or by the level below, which makes its next row from rows 2r and 2r + 1.
int PyramidScheduler::low_water(int k) const {
  const LevelState& level = levels_[static_cast<std::size_t>(k)];
  int low = INT_MAX;
  if (!level.held.empty()) low = level.held.front().first_row;
  if (level.next_tile_row < geometry_.level(k).tiles_y) {
    low = std::min(low, geometry_.tile_row_first(k, level.next_tile_row));
  }
  if (k + 1 < geometry_.level_count()) {
    low = std::min(low, 2 * levels_[static_cast<std::size_t>(k) + 1].rows);
  }
  return low;
}

// Writing rows [from, to) of a ring of `capacity` rows overwrites rows [from, to) - capacity.
bool PyramidScheduler::space_for(const PyramidBand& band) const {
  for (int k = 0; k < geometry_.level_count(); ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (band.to[i] > band.from[i] && band.to[i] - capacity_[i] > low_water(k)) return false;
  }
  return true;
}

// Tile rows go out level by level, top to bottom, tiles left to right: the order depends only
// on which rows are resident, so it is the same for any thread count.
void PyramidScheduler::emit_ready_tile_rows() {
  for (int k = 0; k < geometry_.level_count(); ++k) {
    LevelState& level = levels_[static_cast<std::size_t>(k)];
    const PyramidLevel& shape = geometry_.level(k);
    while (level.next_tile_row < shape.tiles_y &&
           geometry_.tile_row_end(k, level.next_tile_row) <= level.rows) {
      const int row = level.next_tile_row++;
      level.held.push_back(HeldTileRow{geometry_.tile_row_first(k, row), shape.tiles_x});
      for (int col = 0; col < shape.tiles_x; ++col) {
        ready_.push_back(TileTask{k, col, row, next_sequence_++, nullptr});
      }
    }
  }
}

void PyramidScheduler::dispatch(PyramidOutlet& out) {
  if (stop_.load(std::memory_order_relaxed)) return;
  while (!ready_.empty() && !free_buffers_.empty()) {
    TileTask task = ready_.front();
    ready_.pop_front();
    task.buffer = free_buffers_.back();
    free_buffers_.pop_back();
    out.encode(task);
  }
}

void PyramidScheduler::maybe_decode(PyramidOutlet& out) {
  if (stop_.load(std::memory_order_relaxed) || decoding_) return;
  if (levels_.front().rows >= geometry_.level(0).height) return;
  PyramidBand band = next_band();
  if (!space_for(band)) return;  // a delivery will free rows and call again
  decoding_ = true;
  out.decode(band);
}

}  // namespace tessera::detail
