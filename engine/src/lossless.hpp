// Lossless JPEG crops in the engine, without TBB: opening a lossless job (coefficient reader,
// crop paths, a coefficient band window beside or instead of the pixel one), decoding a band
// of MCU rows, and the view of a crop's coefficients that the per-thread encoder writes.
// The scheduler, ordered delivery, the buffer pool and the sinks are the pixel path's: the
// coefficient window is addressed in pixel rows (MCU row m starts at row m * mcu_height), so
// the ring overwrite rule and dispatch by bottom row apply unchanged.
#pragma once

#include "job_state.hpp"
#include "tessera/codecs/coefficients.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::detail {

// open_job() for Job::lossless != kOff. A crop on the MCU grid is cut from coefficients and
// dispatched once its last MCU row is read; under kAuto the others, and every crop of an input
// that is not a JPEG, go through the pixel path.
Status open_lossless_job(JobState& job, const EngineOptions& options, const Sink& sink);

// Reads the next band: whole MCU rows into the coefficient window and, when some crops are cut
// from pixels, the same rows into the pixel window. Returns the image rows it made resident.
Result<int> decode_coefficient_band(JobState& job);

// The crop's blocks where they lie in the coefficient window.
CoefficientCrop coefficient_crop(const JobState& job, const Roi& roi);

// Why an unaligned crop of a kOn job cannot be cut: names the crop, the grid and what to do.
Error unaligned_crop_error(const JobState& job, const Roi& roi);

}  // namespace tessera::detail
