#include "quality_probe.hpp"

#include <algorithm>

#include "tessera/engine/image_utils.hpp"

namespace tessera::cli {
namespace {

constexpr std::size_t kPsnrSample = 16;

// Evenly spaced crops that lie wholly inside the image, so the source region is all pixels.
RoiListSpec sample_inside(const std::vector<PlannedCrop>& crops, int width, int height) {
  std::vector<Roi> inside;
  for (const PlannedCrop& c : crops) {
    if (c.roi.x >= 0 && c.roi.y >= 0 && c.roi.right() <= width && c.roi.bottom() <= height)
      inside.push_back(c.roi);
  }
  RoiListSpec spec;
  const std::size_t n = std::min(inside.size(), kPsnrSample);
  for (std::size_t i = 0; i < n; ++i) spec.rois.push_back({inside[i * inside.size() / n], ""});
  return spec;
}

}  // namespace

Result<QualityProbe> QualityProbe::open(const std::string& path, const PlanSpec& plan,
                                        const EngineOptions& options) {
  auto input = InputBytes::open_file(path);
  if (!input) return std::move(input).error();
  auto image = decode_whole(*input, options.decode);
  if (!image) return std::move(image).error();
  auto full = make_plan(plan, image->width, image->height, options.plan_limits);
  if (!full) return std::move(full).error();
  QualityProbe probe;
  probe.input_ = std::move(input).value();
  probe.image_ = std::move(image).value();
  probe.sample_ = sample_inside(full->crops, probe.image_.width, probe.image_.height);
  return probe;
}

std::optional<double> QualityProbe::psnr(const EncodeOptions& encode) const {
  if (sample_.rois.empty()) return std::nullopt;
  auto crops = encode_crops(input_, PlanSpec(sample_), encode);
  if (!crops) return std::nullopt;
  SquaredError total;
  for (const EncodedCrop& crop : *crops) {
    auto decoded = decode_whole(InputBytes::from_vector(crop.bytes, "crop"));
    if (!decoded || decoded->format != image_.format || decoded->width != crop.roi.w ||
        decoded->height != crop.roi.h) {
      return std::nullopt;
    }
    const SquaredError error = squared_error(
        image_.view().crop(crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h), decoded->view());
    total.sum += error.sum;
    total.samples += error.samples;
  }
  if (total.samples == 0) return std::nullopt;
  return tessera::psnr(total);
}

}  // namespace tessera::cli
