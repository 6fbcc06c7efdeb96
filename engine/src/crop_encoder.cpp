#include "crop_encoder.hpp"

#include "lossless.hpp"
#include "orientation.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace tessera::detail {
namespace {

// The fill colour as pixels of the image's format (grey from the red channel).
void fill_pixel(std::uint8_t* px, const Rgba& fill, PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8: px[0] = fill[0]; break;
    case PixelFormat::kGrayAlpha8:
      px[0] = fill[0];
      px[1] = fill[3];
      break;
    case PixelFormat::kRgb8: std::memcpy(px, fill.data(), 3); break;
    case PixelFormat::kRgba8: std::memcpy(px, fill.data(), 4); break;
  }
}

Roi clip_to_image(const Roi& roi, int width, int height) {
  const int x0 = std::max(roi.x, 0), y0 = std::max(roi.y, 0);
  const int x1 = std::min(roi.right(), width), y1 = std::min(roi.bottom(), height);
  return Roi{x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

double pixel_stddev(const ImageView& view) {
  // Sums in integers: exact, and the same on every machine.
  std::uint64_t sum = 0, sum_sq = 0;
  for (int y = 0; y < view.height; ++y) {
    const std::uint8_t* row = view.row(y);
    for (std::size_t i = 0; i < view.row_bytes(); ++i) {
      sum += row[i];
      sum_sq += static_cast<std::uint64_t>(row[i]) * row[i];
    }
  }
  const double n = static_cast<double>(view.row_bytes()) * view.height;
  if (n == 0) return 0;
  const double mean = static_cast<double>(sum) / n;
  return std::sqrt(std::max(0.0, static_cast<double>(sum_sq) / n - mean * mean));
}

ImageView CropEncoder::padded_view(const ImageView& inside, const Roi& roi, const Roi& inside_roi,
                                   const Rgba& fill, PixelFormat format) {
  const std::size_t channels = static_cast<std::size_t>(channel_count(format));
  const std::size_t stride = static_cast<std::size_t>(roi.w) * channels;
  pad_scratch_.resize(std::max(pad_scratch_.size(), stride * static_cast<std::size_t>(roi.h)));
  for (std::size_t i = 0; i < stride * static_cast<std::size_t>(roi.h); i += channels) {
    fill_pixel(pad_scratch_.data() + i, fill, format);
  }
  const std::size_t dx = static_cast<std::size_t>(inside_roi.x - roi.x) * channels;
  for (int y = 0; y < inside.height; ++y) {
    std::memcpy(
        pad_scratch_.data() + static_cast<std::size_t>(inside_roi.y - roi.y + y) * stride + dx,
        inside.row(y), inside.row_bytes());
  }
  return ImageView{pad_scratch_.data(), roi.w, roi.h, stride, format};
}

ImageView CropEncoder::upright_view(const ImageView& stored, int orientation) {
  const int width = swaps_axes(orientation) ? stored.height : stored.width;
  const int height = swaps_axes(orientation) ? stored.width : stored.height;
  const std::size_t stride =
      static_cast<std::size_t>(width) * static_cast<std::size_t>(stored.channels());
  orient_scratch_.resize(
      std::max(orient_scratch_.size(), stride * static_cast<std::size_t>(height)));
  write_upright(stored, orientation, orient_scratch_.data(), stride);
  return ImageView{orient_scratch_.data(), width, height, stride, stored.format};
}

// The crop's pixels as they are to be encoded: a zero-copy view into the band window unless
// the crop reaches past the image (padded copy) or must be turned upright (oriented copy).
ImageView CropEncoder::crop_view(const JobState& job, std::uint32_t plan_index) {
  const Roi& roi = job.source_roi(plan_index);
  const Roi inside_roi = clip_to_image(roi, job.stored_width, job.stored_height);
  ImageView view =
      job.window.view(inside_roi.x, inside_roi.y, inside_roi.w, inside_roi.h, job.format);
  if (inside_roi != roi) view = padded_view(view, roi, inside_roi, job.plan.fill, job.format);
  if (job.orientation != 1) view = upright_view(view, job.orientation);
  return view;
}

Encoder& CropEncoder::encoder_for(OutputFormat format) {
  const auto index = static_cast<std::size_t>(format);
  if (encoders_.size() <= index) encoders_.resize(index + 1);
  auto& slot = encoders_[index];
  if (!slot) slot = make_encoder(format);
  return *slot;
}

namespace {

// Grows once to the largest crop it serves; steady state never reallocates.
void reserve(Buffer& buffer, std::size_t needed, std::atomic<std::uint64_t>& buffer_allocations) {
  if (buffer.capacity >= needed) return;
  buffer.data = std::make_unique_for_overwrite<std::uint8_t[]>(needed);
  buffer.capacity = needed;
  buffer_allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void CropEncoder::encode_coefficients(const JobState& job, const Roi& roi, Buffer& buffer,
                                      CropDone& done,
                                      std::atomic<std::uint64_t>& buffer_allocations) {
  if (!coefficient_encoder_) coefficient_encoder_ = make_coefficient_encoder();
  reserve(buffer, max_coefficient_encoded_size(job.layout, roi.w, roi.h), buffer_allocations);
  auto size = coefficient_encoder_->encode(coefficient_crop(job, roi), job.job.encode.jpeg,
                                           {buffer.data.get(), buffer.capacity});
  if (size) {
    done.size = *size;
    done.lossless = true;
  } else {
    done.error = Error{size.error().code,
                       fmt::format("{}: {}", job.info.source, std::move(size).error().message)};
  }
}

CropDone CropEncoder::encode(const CropTask& task, const Sink& sink,
                             std::atomic<std::uint64_t>& buffer_allocations) {
  JobState& job = *task.job;
  const std::uint32_t plan_index = job.order[task.position];
  const PlannedCrop& crop = job.plan.crops[plan_index];
  CropDone done{task.job, task.position, task.buffer, 0, false, false, std::nullopt};
  const CropPath path = job.paths.empty() ? CropPath::kPixels : job.paths[plan_index];
  if (path == CropPath::kUnaligned) {
    done.error = unaligned_crop_error(job, crop.roi);
    return done;
  }
  if (sink.exists(crop_result(job, crop, {}))) {
    done.resumed = true;
    return done;
  }
  if (path == CropPath::kCoefficients) {
    encode_coefficients(job, crop.roi, *task.buffer, done, buffer_allocations);
    return done;
  }
  const ImageView view = crop_view(job, job.order[task.position]);
  if (job.job.skip_blank >= 0 && pixel_stddev(view) < job.job.skip_blank) {
    done.skipped = true;
    return done;
  }
  const EncodeOptions& options = job.job.encode;
  const std::size_t needed = max_encoded_size(view.width, view.height, view.format, options);
  Buffer& buffer = *task.buffer;
  reserve(buffer, needed, buffer_allocations);
  auto size =
      encoder_for(options.format).encode(view, options, {buffer.data.get(), buffer.capacity});
  if (size) {
    done.size = *size;
  } else {
    done.error = std::move(size).error();
  }
  return done;
}

}  // namespace tessera::detail
