#include "lossless.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tessera::detail {
namespace {

int round_up(int value, int multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

bool inside(const Roi& roi, const CoefficientLayout& layout) {
  return roi.x >= 0 && roi.y >= 0 && roi.right() <= layout.width && roi.bottom() <= layout.height;
}

bool on_grid(const Roi& roi, const CoefficientLayout& layout) {
  return inside(roi, layout) && roi.x % layout.mcu_width() == 0 && roi.y % layout.mcu_height() == 0;
}

// "4:2:0", "gray", ...: what a user recognises, for messages.
std::string sampling_name(const CoefficientLayout& layout) {
  if (layout.components == 1) return "gray";
  const CoefficientComponent& luma = layout.component[0];
  const CoefficientComponent& chroma = layout.component[1];
  if (luma.h % chroma.h == 0 && luma.v % chroma.v == 0) {
    const int h = luma.h / chroma.h, v = luma.v / chroma.v;
    if (h == 1 && v == 1) return "4:4:4";
    if (h == 2 && v == 1) return "4:2:2";
    if (h == 2 && v == 2) return "4:2:0";
    if (h == 1 && v == 2) return "4:4:0";
    if (h == 4 && v == 1) return "4:1:1";
  }
  return fmt::format("sampling {}x{}", layout.max_h, layout.max_v);
}

Error refuse(const JobState& job, const char* what) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("{}: --lossless {}", job.info.source, what)};
}

Status check_lossless_job(const JobState& job) {
  const Job& j = job.job;
  if (j.pixels.data != nullptr)
    return refuse(job, "cuts JPEG files; pixels in memory have no coefficients; drop it");
  if (j.encode.format != OutputFormat::kJpeg)
    return refuse(job, "writes JPEG only; drop -f or drop --lossless");
  if (j.auto_orient)
    return refuse(job, "cuts crops as stored and cannot turn them upright; drop --auto-orient");
  if (j.skip_blank >= 0)
    return refuse(job, "never sees pixels, so it cannot tell blank crops; drop --skip-blank");
  return {};
}

// A lossless crop needs every MCU row it touches: its bottom is rounded down the grid.
Roi rows_of_coefficient_crop(const Roi& roi, int mcu_height) {
  return Roi{roi.x, roi.y, roi.w, round_up(roi.bottom(), mcu_height) - roi.y};
}

// Sorts each crop onto its path; stored_rois then say which rows each one needs.
void choose_paths(JobState& job) {
  const bool automatic = job.job.lossless == LosslessMode::kAuto;
  job.paths.resize(job.crop_count);
  job.stored_rois.resize(job.crop_count);
  job.unaligned = 0;
  for (std::size_t i = 0; i < job.crop_count; ++i) {
    const Roi& roi = job.plan.crops[i].roi;
    if (on_grid(roi, job.layout)) {
      job.paths[i] = CropPath::kCoefficients;
      job.stored_rois[i] = rows_of_coefficient_crop(roi, job.layout.mcu_height());
      continue;
    }
    ++job.unaligned;
    job.paths[i] = automatic ? CropPath::kPixels : CropPath::kUnaligned;
    // An unaligned crop of a kOn job reads nothing; it only fails once dispatched.
    job.stored_rois[i] = automatic ? roi : Roi{0, 0, 0, 0};
  }
}

Status open_pixel_rows(JobState& job, const InputBytes& input, const EngineOptions& options,
                       int capacity) {
  auto decoder = open_decoder(input, options.decode);
  if (!decoder) return std::move(decoder).error();
  const ImageHeader& header = (*decoder)->header();
  if (header.width != job.layout.width || header.height != job.layout.height) {
    return Error{ErrorCode::kInternal,
                 fmt::format("{}: the pixel decoder sees {}x{} where the coefficients are {}x{}",
                             job.info.source, header.width, header.height, job.layout.width,
                             job.layout.height)};
  }
  job.format = header.format;
  job.info.pixel_format = header.format;
  if (Status made = create_pixel_window(job, header, capacity); !made) return made;
  job.decoder = std::move(decoder).value();
  return {};
}

}  // namespace

Status open_lossless_job(JobState& job, const EngineOptions& options, const Sink& sink) {
  if (Status ok = check_lossless_job(job); !ok) return ok;
  auto input = job_input(job.job);
  if (!input) return std::move(input).error();
  if (detect_format(input->head()) != ContainerFormat::kJpeg) {
    if (job.job.lossless == LosslessMode::kAuto) return open_pixel_job(job, options, sink);
    return refuse(job,
                  "cuts JPEG input only; use --lossless=auto to cut other formats from "
                  "pixels");
  }
  job.bytes_in = input->size().value_or(0);
  auto reader = open_coefficient_reader(*input, options.decode);
  if (!reader) return std::move(reader).error();
  job.layout = (*reader)->layout();
  const CoefficientLayout& layout = job.layout;
  job.stored_width = layout.width;
  job.stored_height = layout.height;
  job.orientation = 1;
  job.info.image_width = layout.width;
  job.info.image_height = layout.height;
  job.format = layout.color == JpegColorModel::kGray ? PixelFormat::kGray8 : PixelFormat::kRgb8;
  job.info.pixel_format = job.format;

  if (Status planned = plan_crops(job, options, sink); !planned) return planned;
  job.crop_count = job.plan.crops.size();
  choose_paths(job);
  const bool any_coefficients =
      std::find(job.paths.begin(), job.paths.end(), CropPath::kCoefficients) != job.paths.end();
  const bool any_pixels =
      std::find(job.paths.begin(), job.paths.end(), CropPath::kPixels) != job.paths.end();
  if (!any_coefficients && any_pixels) {
    // Nothing to cut from coefficients: the plain pixel path, which plans the same crops.
    const std::size_t unaligned = job.unaligned;
    job.paths.clear();
    job.stored_rois.clear();
    Status opened = open_pixel_job(job, options, sink);
    job.unaligned = unaligned;
    return opened;
  }
  plan_dispatch_order(job);

  const int mcu_height = layout.mcu_height();
  job.mcu_height = mcu_height;
  // Bands of whole MCU rows; `options` were resolved by run_graph, so band_rows is never 0.
  job.band_rows = round_up(options.band_rows, mcu_height);
  int tallest = 0;
  for (std::uint32_t i = 0; i < job.crop_count; ++i) {
    const Roi& roi = job.source_roi(i);
    tallest = std::max(tallest, end_row(roi, layout.height) - first_row(roi));
  }
  tallest = round_up(tallest, mcu_height);
  // As the pixel path's ring (open_pixel_job), so the memory is the same. JobState::ring_rows()
  // keeps mcu_height rows of it in reserve, which still leaves a crop height plus a band for the
  // scheduler (the tallest crop is at least an MCU row), so decoding always goes on; a ring
  // that holds the whole image gets the reserve on top.
  const int capacity =
      std::min(layout.mcu_rows * mcu_height + mcu_height, 2 * tallest + job.band_rows);
  if (job.crop_count > 0) {
    const std::size_t per_row =
        (layout.mcu_row_bytes() + static_cast<std::size_t>(mcu_height) - 1) /
        static_cast<std::size_t>(mcu_height);
    auto window = BandWindow::create((per_row + 1) / 2 * 2, capacity);
    if (!window) {
      return Error{window.error().code,
                   fmt::format("{}: {}", job.info.source, window.error().message)};
    }
    job.coefficient_window = std::move(window).value();
    if (any_pixels) {
      if (Status opened = open_pixel_rows(job, *input, options, capacity); !opened) return opened;
    }
  }
  job.coefficients = std::move(reader).value();
  job.inflight_tops.reserve(static_cast<std::size_t>(std::max(options.crops_in_flight, 1)));
  return {};
}

Result<int> decode_coefficient_band(JobState& job) {
  const int mcu_height = job.mcu_height;
  const int first = job.rows_decoded;  // on the grid: only the last band ends off it
  const int wanted = std::min(job.band_rows, job.rows_needed - first);
  const int mcu_rows = (first + wanted + mcu_height - 1) / mcu_height - first / mcu_height;
  if (mcu_rows == 0) return 0;  // every crop of a kOn job is off the grid: nothing to read
  auto got = job.coefficients->read_mcu_rows(
      job.coefficient_window.row(first),
      job.coefficient_window.stride() * static_cast<std::size_t>(mcu_height), mcu_rows);
  if (!got) return std::move(got).error();
  if (*got != mcu_rows) {
    return Error{
        ErrorCode::kTruncatedData,
        fmt::format("{}: the coefficient reader stopped at MCU row {} of {}", job.info.source,
                    job.coefficients->mcu_rows_read(), job.layout.mcu_rows)};
  }
  for (int done = 0; job.decoder && done < wanted;) {
    const int row = first + done;
    auto rows = job.decoder->read_rows(job.window.row(row), job.window.stride(), wanted - done);
    if (!rows) return std::move(rows).error();
    if (*rows == 0) {
      return Error{ErrorCode::kTruncatedData, fmt::format("{}: the decoder stopped at row {} of {}",
                                                          job.info.source, row, job.stored_height)};
    }
    done += *rows;
  }
  return wanted;
}

CoefficientCrop coefficient_crop(const JobState& job, const Roi& roi) {
  const CoefficientLayout& layout = job.layout;
  return CoefficientCrop{&layout,
                         job.coefficient_window.row(roi.y),
                         job.coefficient_window.stride() * static_cast<std::size_t>(job.mcu_height),
                         roi.x / layout.mcu_width(),
                         roi.w,
                         roi.h};
}

Error unaligned_crop_error(const JobState& job, const Roi& roi) {
  const CoefficientLayout& layout = job.layout;
  if (!inside(roi, layout)) {
    return Error{
        ErrorCode::kOutOfBounds,
        fmt::format("{}: crop {}x{} at ({}, {}) reaches outside the {}x{} image, and a "
                    "lossless crop cannot be padded; use --edge clip or drop",
                    job.info.source, roi.w, roi.h, roi.x, roi.y, layout.width, layout.height)};
  }
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("{}: crop {}x{} at ({}, {}) is not on this JPEG's {}x{} MCU grid ({}): "
                           "a lossless crop's left and top must be multiples of {} and {}; move "
                           "it, or use --lossless=auto to cut it from pixels",
                           job.info.source, roi.w, roi.h, roi.x, roi.y, layout.mcu_width(),
                           layout.mcu_height(), sampling_name(layout), layout.mcu_width(),
                           layout.mcu_height())};
}

}  // namespace tessera::detail
