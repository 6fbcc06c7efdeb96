#include <algorithm>
#include <climits>
#include <numeric>

#include <fmt/format.h>

#include "job_state.hpp"
#include "lossless.hpp"
#include "orientation.hpp"
#include "output_names.hpp"

namespace tessera::detail {

Result<InputBytes> job_input(const Job& job) {
  if (!job.input.empty() || job.path.empty()) return job.input;
  return InputBytes::open_file(job.path);
}

void start_job(JobState& state, Job job, std::size_t index, StemRegistry& stems) {
  state.info.index = index;
  state.info.dataset_index = job.dataset_index;
  state.info.source = !job.path.empty()            ? job.path
                      : job.pixels.data != nullptr ? std::string(kPixelsName)
                                                   : job.input.name();
  for (const PassedOverJob& other : job.passed_over) stems.claim(other.source, other.dataset_index);
  state.info.stem = stems.claim(state.info.source, state.info.number());
  state.info.plan = describe(job.plan);
  state.info.fields = job.fields;
  state.job = std::move(job);
}

Status create_pixel_window(JobState& job, const ImageHeader& header, int capacity) {
  const auto row_bytes = static_cast<std::size_t>(header.width) * channel_count(header.format);
  auto window = BandWindow::create(row_bytes, capacity);
  if (!window) {
    return Error{window.error().code,
                 fmt::format("{}: {}", job.info.source, window.error().message)};
  }
  job.window = std::move(window).value();
  return {};
}

// Dispatch order: a crop can go as soon as its last row lands, so sort by that row.
void plan_dispatch_order(JobState& job) {
  const std::size_t count = job.plan.crops.size();
  const int height = job.stored_height;
  job.order.resize(count);
  std::iota(job.order.begin(), job.order.end(), 0u);
  std::stable_sort(job.order.begin(), job.order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return end_row(job.source_roi(a), height) < end_row(job.source_roi(b), height);
  });
  job.suffix_min_top.assign(count + 1, INT_MAX);
  for (std::size_t p = count; p-- > 0;) {
    job.suffix_min_top[p] = std::min(job.suffix_min_top[p + 1], first_row(job.source_roi_at(p)));
  }
  job.rows_needed = count == 0 ? 0 : end_row(job.source_roi_at(count - 1), height);
}

Status plan_crops(JobState& job, const EngineOptions& options, const Sink& sink) {
  auto plan =
      make_plan(job.job.plan, job.info.image_width, job.info.image_height, options.plan_limits);
  if (!plan) {
    return Error{plan.error().code, fmt::format("{}: {}", job.info.source, plan.error().message)};
  }
  job.plan = std::move(plan).value();
  job.plan_warning =
      coverage_warning(job.job.plan, job.info.image_width, job.info.image_height, job.plan);
  if (Status names = detail::mark_shared_names(job.plan.crops, job.info.stem); !names) {
    return Error{names.error().code, fmt::format("{}: {}", job.info.source, names.error().message)};
  }
  // The sink's own rules for names (e.g. a template that names no crop) fail the job here,
  // before any of its crops is encoded.
  if (Status names = sink.check_plan(job.info, job.plan.crops); !names) {
    return Error{names.error().code, fmt::format("{}: {}", job.info.source, names.error().message)};
  }
  return {};
}

namespace {

// Pixels in the caller's memory need no input and no decoding; anything else is opened.
Result<std::unique_ptr<Decoder>> open_job_decoder(JobState& job, const EngineOptions& options) {
  if (job.job.pixels.data != nullptr) return open_pixels(job.job.pixels, job.info.source);
  auto input = job_input(job.job);
  if (!input) return std::move(input).error();
  job.bytes_in = input->size().value_or(0);  // unknown for a stream
  return open_decoder(*input, options.decode);
}

}  // namespace

Status open_pixel_job(JobState& job, const EngineOptions& options, const Sink& sink) {
  auto decoder = open_job_decoder(job, options);
  if (!decoder) return std::move(decoder).error();
  const ImageHeader& header = (*decoder)->header();
  job.stored_width = header.width;
  job.stored_height = header.height;
  job.orientation = job.job.auto_orient ? header.orientation : 1;
  const bool swap = swaps_axes(job.orientation);
  job.info.image_width = swap ? header.height : header.width;
  job.info.image_height = swap ? header.width : header.height;
  job.format = header.format;
  job.info.pixel_format = header.format;

  if (Status planned = plan_crops(job, options, sink); !planned) return planned;
  job.crop_count = job.plan.crops.size();
  if (job.orientation != 1) {
    job.stored_rois.reserve(job.crop_count);
    for (const PlannedCrop& crop : job.plan.crops) {
      job.stored_rois.push_back(to_stored(crop.roi, job.orientation, header.width, header.height));
    }
  }
  plan_dispatch_order(job);
  // A decoder that cannot stream delivers the whole image in one step.
  if (!header.streamable && job.crop_count > 0) job.rows_needed = header.height;

  int tallest = 0;
  for (std::uint32_t i = 0; i < job.crop_count; ++i) {
    const Roi& roi = job.source_roi(i);
    tallest = std::max(tallest, end_row(roi, header.height) - first_row(roi));
  }
  // A crop's rows must all be resident while it waits, plus one band being decoded after it.
  // A second crop height of slack lets decoding run a whole row of crops ahead while the
  // previous row encodes; with less, decode and encode take turns instead of overlapping.
  // `options` were resolved by run_graph, so band_rows is the run's own, never 0.
  // Pixels in the caller's memory are all resident already: one step "decodes" them all.
  const bool resident = job.job.pixels.data != nullptr;
  job.band_rows = header.streamable && !resident ? options.band_rows : header.height;
  const int capacity =
      header.streamable ? std::min(header.height, 2 * tallest + job.band_rows) : header.height;
  if (job.crop_count > 0 && resident) {
    job.window = BandWindow::borrow(job.job.pixels);
  } else if (job.crop_count > 0) {
    if (Status made = create_pixel_window(job, header, capacity); !made) return made;
  }
  job.decoder = std::move(decoder).value();
  job.inflight_tops.reserve(static_cast<std::size_t>(std::max(options.crops_in_flight, 1)));
  return {};
}

namespace {

Status open_job_or_fail(JobState& job, const EngineOptions& options, const Sink& sink) {
  if (auto valid = validate(job.job.encode); !valid) {
    return Error{valid.error().code, fmt::format("{}: {}", job.info.source, valid.error().message)};
  }
  if (job.job.lossless != LosslessMode::kOff) return open_lossless_job(job, options, sink);
  return open_pixel_job(job, options, sink);
}

}  // namespace

void open_job(JobState& job, const EngineOptions& options, const Sink& sink) {
  auto status = open_job_or_fail(job, options, sink);
  if (!status) job.open_error = std::move(status).error();
}

}  // namespace tessera::detail
