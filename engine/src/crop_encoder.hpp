// The per-crop work, without TBB: take the crop's view out of the band window (padding it
// when it reaches past the image), skip it if blank, and encode it into its pooled buffer.
// One CropEncoder per worker thread: it holds that thread's codec handles and pad scratch,
// created once and reused, so a crop in steady state allocates nothing.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "job_state.hpp"
#include "tessera/codecs/coefficients.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::detail {

// Standard deviation of all channel values of the view.
double pixel_stddev(const ImageView& view);

class CropEncoder {
 public:
  // Skips crops the sink already holds (resume) and blank ones, else encodes.
  CropDone encode(const CropTask& task, const Sink& sink,
                  std::atomic<std::uint64_t>& buffer_allocations);

 private:
  ImageView crop_view(const JobState& job, std::uint32_t plan_index);
  ImageView padded_view(const ImageView& inside, const Roi& roi, const Roi& inside_roi,
                        const Rgba& fill, PixelFormat format);
  ImageView upright_view(const ImageView& stored, int orientation);
  Encoder& encoder_for(OutputFormat format);
  // A crop of a lossless job cut from its coefficients into the task's buffer.
  void encode_coefficients(const JobState& job, const Roi& roi, Buffer& buffer, CropDone& done,
                           std::atomic<std::uint64_t>& buffer_allocations);

  // One encoder per output format this thread has written, indexed by the format's value and
  // created on first use, so a job mix of any formats never re-creates codec state.
  std::vector<std::unique_ptr<Encoder>> encoders_;
  std::unique_ptr<CoefficientEncoder> coefficient_encoder_;  // created on the first lossless crop
  std::vector<std::uint8_t> pad_scratch_;
  std::vector<std::uint8_t> orient_scratch_;
};

}  // namespace tessera::detail
