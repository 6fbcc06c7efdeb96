#include <time.h>

#include <fmt/format.h>

#include "crop_encoder.hpp"
#include "pyramid_run.hpp"
#include "pyramid_shrink.hpp"

namespace tessera::detail {
namespace {

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Status decode_rows(PyramidRun& run, int from, int to) {
  const BandWindow& window = run.windows.front();
  int row = from;
  while (row < to) {
    auto rows = run.decoder->read_rows(window.row(row), window.stride(), to - row);
    if (!rows) return std::move(rows).error();
    if (*rows == 0) {
      return Error{ErrorCode::kTruncatedData, fmt::format("the decoder stopped at row {} of {}",
                                                          row, run.geometry.level(0).height)};
    }
    row += *rows;
  }
  return {};
}

void shrink_level(PyramidRun& run, int level, int from, int to) {
  const BandWindow& above = run.windows[static_cast<std::size_t>(level) - 1];
  const BandWindow& here = run.windows[static_cast<std::size_t>(level)];
  const int above_width = run.geometry.level(level - 1).width;
  const int above_last = run.geometry.level(level - 1).height - 1;
  const int channels = channel_count(run.format);
  for (int y = from; y < to; ++y) {
    shrink_rows(above.row(2 * y), above.row(std::min(2 * y + 1, above_last)), above_width, channels,
                here.row(y));
  }
}

}  // namespace

void PyramidRun::fail(Error error) {
  {
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = std::move(error);
  }
  stop.store(true);
}

std::optional<Error> PyramidRun::failure() const {
  std::lock_guard lock(failure_mutex_);
  return failure_;
}

void PyramidRun::check_cancel() {
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) stop.store(true);
}

Status decode_band(PyramidRun& run, const PyramidBand& band) {
  const double start = thread_seconds();
  if (Status s = decode_rows(run, band.from.front(), band.to.front()); !s) return s;
  const double decoded = thread_seconds();
  run.decode_s += decoded - start;
  for (std::size_t k = 1; k < band.from.size(); ++k) {
    shrink_level(run, static_cast<int>(k), band.from[k], band.to[k]);
  }
  run.shrink_s += thread_seconds() - decoded;
  if (band.to.front() == run.geometry.level(0).height) run.decoder.reset();
  return {};
}

TileDone TileEncoder::encode(PyramidRun& run, const TileTask& task) {
  const double start = thread_seconds();
  TileDone done{task, 0, false, std::nullopt};
  const Roi rect = run.geometry.tile_rect(task.level, task.col, task.row);
  const ImageView view = run.windows[static_cast<std::size_t>(task.level)].view(
      rect.x, rect.y, rect.w, rect.h, run.format);
  if (run.skip_blank >= 0 && pixel_stddev(view) < run.skip_blank) {
    done.skipped = true;
  } else {
    const std::size_t needed = max_encoded_size(view.width, view.height, view.format, run.encode);
    Buffer& buffer = *task.buffer;
    if (buffer.capacity < needed) {
      // Grows once to the largest tile it serves.
      buffer.data = std::make_unique_for_overwrite<std::uint8_t[]>(needed);
      buffer.capacity = needed;
    }
    if (!encoder_) encoder_ = make_encoder(run.encode.format);
    auto size = encoder_->encode(view, run.encode, {buffer.data.get(), buffer.capacity});
    if (size) {
      done.size = *size;
    } else {
      done.error = std::move(size).error();
    }
  }
  run.encode_ns.fetch_add(static_cast<std::uint64_t>((thread_seconds() - start) * 1e9),
                          std::memory_order_relaxed);
  return done;
}

Status write_tile(PyramidRun& run, const TileDone& done) {
  if (done.skipped) {
    ++run.skipped;
    return {};
  }
  const TileTask& task = done.task;
  const std::string path = run.geometry.tile_path(run.name, task.level, task.col, task.row,
                                                  file_extension(run.encode.format));
  if (Status s = run.container->add(path, {task.buffer->data.get(), done.size}); !s) return s;
  ++run.tiles;
  run.bytes_out += done.size;
  return {};
}

}  // namespace tessera::detail
