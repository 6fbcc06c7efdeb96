// The state of one job as it moves through the graph, and the messages that carry it.
// Fields are grouped by who owns them: set once at open, then owned by the scheduler (under
// its lock), the decoding step (one at a time per job), or the delivery step.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "band_window.hpp"
#include "output_names.hpp"
#include "tessera/codecs/coefficients.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/engine/engine.hpp"

namespace tessera::detail {

// An encode buffer from the pool. It grows to the largest crop it has served and then stays.
struct Buffer {
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t capacity = 0;
};

// How one crop of a lossless job is cut (JobState::paths).
enum class CropPath : std::uint8_t {
  kPixels,        // from the decoded pixels (a pixel job, or an unaligned crop under kAuto)
  kCoefficients,  // from the DCT coefficients
  kUnaligned,     // off the MCU grid under kOn: fails with a message naming the grid
};

struct JobState {
  // Set once, before the job is opened.
  JobInfo info;
  Job job;

  // Set by open_job(), read-only afterwards.
  std::optional<Error> open_error;
  std::unique_ptr<Decoder> decoder;  // released once the last needed row is decoded
  BandWindow window;
  PixelFormat format = PixelFormat::kRgb8;
  int stored_width = 0;  // as decoded; info.image_* is the upright size crops are planned in
  int stored_height = 0;
  int orientation = 1;  // EXIF tag applied to crops: 1 unless auto-orient asked for another
  Plan plan;
  std::string plan_warning;          // coverage_warning(): sent to the sink once the job is open
  std::vector<Roi> stored_rois;      // by plan index, when orientation != 1
  std::vector<std::uint32_t> order;  // plan positions in dispatch order: by bottom row, then index
  std::vector<int> suffix_min_top;   // min first-needed row over order[p..]; INT_MAX past the end
  std::size_t crop_count = 0;        // plan.crops.size(), kept after the plan is freed
  int rows_needed = 0;               // the last row any crop needs; decoding stops there
  int band_rows = 0;
  std::uint64_t bytes_in = 0;

  // Set by open_job() for a lossless job (Job::lossless), read-only afterwards; see lossless.hpp.
  // Its pixel decoder and window above exist only when some crop is cut from pixels.
  std::unique_ptr<CoefficientReader> coefficients;  // released with the decoder
  CoefficientLayout layout;
  BandWindow coefficient_window;  // MCU row m at row(m * mcu_height), mcu_height rows long
  std::vector<CropPath> paths;    // by plan index; empty for a pixel job
  std::size_t unaligned = 0;      // crops off the MCU grid
  int mcu_height = 0;             // 0 for a pixel job

  // Rows the ring overwrite rule may count on (Scheduler::space_for_next_band). A coefficient
  // band always writes whole MCU rows, up to mcu_height - 1 rows past the rows it reports at
  // the image's end, so that much of the rings is kept in reserve.
  int ring_rows() const noexcept {
    if (mcu_height == 0) return window.capacity();
    const int rows = window.capacity() == 0
                         ? coefficient_window.capacity()
                         : std::min(window.capacity(), coefficient_window.capacity());
    return rows - mcu_height;
  }

  // Owned by the scheduler.
  int rows_decoded = 0;
  std::size_t ready_end = 0;       // order[0, ready_end) have every row decoded
  std::size_t next_dispatch = 0;   // order[0, next_dispatch) have been sent to encode
  std::size_t accounted = 0;       // crops delivered, skipped or failed
  std::vector<int> inflight_tops;  // first rows of dispatched crops not yet accounted
  bool decoding = false;           // a decode step is in flight
  bool decode_done = false;
  bool failed = false;
  bool complete = false;

  // The stored pixels a crop reads: its ROI, or with auto-orient the ROI mapped back from the
  // upright image.
  const Roi& source_roi(std::uint32_t plan_index) const {
    return stored_rois.empty() ? plan.crops[plan_index].roi : stored_rois[plan_index];
  }
  const Roi& source_roi_at(std::size_t order_position) const {
    return source_roi(order[order_position]);
  }

  // Owned by the decoding step.
  double decode_s = 0;

  // Owned by the delivery step.
  std::size_t fail_from = SIZE_MAX;  // order positions from here on failed (decode error)
  std::optional<Error> failure;
  std::size_t delivered = 0;  // ordered delivery: order positions handed to the sink
  std::atomic<bool> reported_failed{false};
  std::atomic<bool> warned{false};  // counted once in RunStats::jobs_warned
};

// What the sink is told about a planned crop of `job`, with its encoded bytes (empty when
// asking Sink::exists).
inline CropResult crop_result(const JobState& job, const PlannedCrop& crop,
                              std::span<const std::uint8_t> bytes) {
  CropResult result{&job.info, crop.index,           crop.roi, crop.key, job.job.encode.format,
                    bytes,     crop.shares_position, crop.col, crop.row};
  result.fields = crop.fields.get();
  return result;
}

// First and one-past-last image rows a crop needs (a padded crop may reach past the image).
inline int first_row(const Roi& roi) {
  return roi.y < 0 ? 0 : roi.y;
}
inline int end_row(const Roi& roi, int height) {
  return roi.bottom() > height ? height : roi.bottom();
}

struct CropTask {
  JobState* job = nullptr;
  std::uint32_t position = 0;  // in job->order
  Buffer* buffer = nullptr;
};

struct CropDone {
  JobState* job = nullptr;
  std::uint32_t position = 0;
  Buffer* buffer = nullptr;
  std::size_t size = 0;
  bool skipped = false;
  bool resumed = false;  // the sink already holds this crop
  std::optional<Error> error;
  bool lossless = false;  // cut from DCT coefficients
};

// A job-level event for the delivery step: the job is open (its crops may follow), or it
// failed, from order position `from` on (0 with an open error: the whole job), or its
// decoding ended with an accepted warning.
struct JobEvent {
  JobState* job = nullptr;
  bool failed = false;
  std::size_t from = 0;
  std::optional<Error> error;
  std::string warning;
};

using DeliverMsg = std::variant<CropDone, JobEvent>;

// Sent after delivery: give back the buffer and account for `accounted` crops of the job.
struct ReleaseMsg {
  JobState* job = nullptr;
  Buffer* buffer = nullptr;
  int first_row = -1;  // of the delivered crop, or -1 when it held no rows (a failure)
  std::size_t accounted = 0;
};

// Gives a new job its JobInfo as a run names it: position `index`, source, a stem unique in
// the run (the stems of the jobs passed over are claimed first) and plan description. Called
// once per job, in job order; the run and `tessera plan` both start jobs here.
void start_job(JobState& state, Job job, std::size_t index, StemRegistry& stems);

// Sorts the plan into dispatch order and derives what the scheduler needs from it.
void plan_dispatch_order(JobState& job);

// The job's input: its bytes in memory, or its file opened.
Result<InputBytes> job_input(const Job& job);

// Plans the job's crops in info.image_width x image_height, marks names shared by several
// crops and lets the sink check them; the errors name the job's source.
Status plan_crops(JobState& job, const EngineOptions& options, const Sink& sink);

// The job's band window for `capacity` rows of the decoded image (pixel path, and the pixel
// side of --lossless=auto); the error names the source.
Status create_pixel_window(JobState& job, const ImageHeader& header, int capacity);

// open_job() for the pixel path: decoder, plan, dispatch order and band window.
Status open_pixel_job(JobState& job, const EngineOptions& options, const Sink& sink);

// Opens the input, reads the header, plans the crops (checking their names with
// sink.check_plan) and creates the band window; on failure sets job.open_error. Never throws
// for bad input.
void open_job(JobState& job, const EngineOptions& options, const Sink& sink);

}  // namespace tessera::detail
