#include "opencv_loops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "stats.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/image_utils.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::bench {
namespace {

struct OpenCvCase {
  std::string extension;
  std::vector<int> params;
  std::vector<cv::Rect> rects;
};

std::vector<cv::Rect> to_rects(const Plan& plan) {
  std::vector<cv::Rect> rects;
  rects.reserve(plan.crops.size());
  for (const PlannedCrop& crop : plan.crops)
    rects.emplace_back(crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h);
  return rects;
}

cv::Mat read_image(const std::string& path) {
  // IMREAD_UNCHANGED keeps grey as grey and alpha as alpha, like tessera, and ignores EXIF
  // orientation, which tessera does not apply either.
  cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) throw std::runtime_error("cv::imread cannot read " + path);
  return image;
}

Plan plan_for(const E2eOptions& options, int width, int height) {
  auto plan = make_plan(plan_spec(options), width, height);
  if (!plan) throw std::runtime_error("plan: " + plan.error().message);
  return std::move(plan).value();
}

std::uint64_t encode_range(const cv::Mat& image, const OpenCvCase& c,
                           std::atomic<std::size_t>& next) {
  std::vector<std::uint8_t> buffer;
  std::uint64_t bytes = 0;
  for (std::size_t i = next.fetch_add(1); i < c.rects.size(); i = next.fetch_add(1)) {
    if (!cv::imencode(c.extension, image(c.rects[i]), buffer, c.params)) {
      throw std::runtime_error(fmt::format("cv::imencode failed on ROI {}", i));
    }
    bytes += buffer.size();
  }
  return bytes;
}

std::uint64_t encode_sequential(const cv::Mat& image, const OpenCvCase& c) {
  std::atomic<std::size_t> next{0};
  return encode_range(image, c, next);
}

std::uint64_t encode_parallel(const cv::Mat& image, const OpenCvCase& c, int threads) {
  std::atomic<std::size_t> next{0};
  std::vector<std::uint64_t> bytes(static_cast<std::size_t>(threads), 0);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < bytes.size(); ++t) {
    pool.emplace_back([&, t] {
      try {
        bytes[t] = encode_range(image, c, next);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  std::uint64_t total = 0;
  for (std::uint64_t b : bytes) total += b;
  return total;
}

OwnedImage decode_spot(std::vector<std::uint8_t> bytes) {
  auto image = decode_whole(InputBytes::from_vector(std::move(bytes), "spot crop"));
  if (!image) throw std::runtime_error("spot crop: " + image.error().message);
  return std::move(image).value();
}

std::vector<std::size_t> spot_indices(std::size_t count) {
  std::vector<std::size_t> spots{0, count / 4, count / 2, 3 * count / 4, count - 1};
  std::sort(spots.begin(), spots.end());
  spots.erase(std::unique(spots.begin(), spots.end()), spots.end());
  return spots;
}

}  // namespace

nlohmann::json measure_opencv(const E2eOptions& options, const std::string& path, int threads) {
  cv::setNumThreads(0);
  OpenCvCase c{opencv_extension(options), opencv_params(options), {}};
  std::vector<double> wall_s;
  std::vector<double> imread_s;
  std::vector<double> cpu_s;
  std::uint64_t bytes = 0;
  for (int i = 0; i < options.repeat; ++i) {
    const double cpu_start = process_cpu_seconds();
    Stopwatch watch;
    const cv::Mat image = read_image(path);
    imread_s.push_back(watch.seconds());
    if (c.rects.empty()) c.rects = to_rects(plan_for(options, image.cols, image.rows));
    bytes = threads <= 1 ? encode_sequential(image, c) : encode_parallel(image, c, threads);
    wall_s.push_back(watch.seconds());
    cpu_s.push_back(process_cpu_seconds() - cpu_start);
  }
  return {{"threads", threads},
          {"cpu_s", to_json(summarize(cpu_s), cpu_s)},
          {"crops", c.rects.size()},
          {"bytes", bytes},
          {"imread_s", to_json(summarize(imread_s), imread_s)},
          {"wall_s", to_json(summarize(wall_s), wall_s)}};
}

nlohmann::json check_equality(const E2eOptions& options, const std::string& path, int threads) {
  cv::setNumThreads(0);
  const cv::Mat image = read_image(path);
  const Plan plan = plan_for(options, image.cols, image.rows);
  if (plan.crops.empty()) throw std::runtime_error("the plan has no crops");
  const std::vector<std::size_t> spots = spot_indices(plan.crops.size());

  std::map<std::uint32_t, std::vector<std::uint8_t>> tessera_bytes;
  for (std::size_t s : spots) tessera_bytes[plan.crops[s].index] = {};
  std::uint64_t tessera_crops = 0;
  CallbackSink sink([&](const CropResult& crop) -> Status {
    ++tessera_crops;
    auto found = tessera_bytes.find(crop.index);
    if (found != tessera_bytes.end()) found->second.assign(crop.bytes.begin(), crop.bytes.end());
    return {};
  });
  EngineOptions engine_options;
  engine_options.threads = threads;
  Job job;
  job.path = path;
  job.plan = plan_spec(options);
  job.encode = tessera_encode_options(options);
  const RunStats stats = Engine(engine_options).run(std::span<const Job>(&job, 1), sink);
  if (stats.fatal) throw std::runtime_error("engine: " + stats.fatal->message);

  const std::string extension = opencv_extension(options);
  const std::vector<int> params = opencv_params(options);
  nlohmann::json crops = nlohmann::json::array();
  bool all_pixels_equal = true;
  bool all_bytes_equal = true;
  for (std::size_t s : spots) {
    const PlannedCrop& crop = plan.crops[s];
    std::vector<std::uint8_t> ours = tessera_bytes[crop.index];
    std::vector<std::uint8_t> theirs;
    cv::imencode(extension, image(cv::Rect(crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h)), theirs,
                 params);
    const bool same_bytes = ours == theirs;
    const std::size_t ours_size = ours.size();
    const std::size_t theirs_size = theirs.size();
    const auto ours_image =
        ours.empty() ? std::optional<OwnedImage>() : decode_spot(std::move(ours));
    const OwnedImage theirs_image = decode_spot(std::move(theirs));
    const bool same_pixels = ours_image && ours_image->pixels == theirs_image.pixels &&
                             ours_image->format == theirs_image.format;
    all_pixels_equal = all_pixels_equal && same_pixels;
    all_bytes_equal = all_bytes_equal && same_bytes;
    const double db = ours_image ? psnr(ours_image->view(), theirs_image.view()) : 0.0;
    crops.push_back({{"index", crop.index},
                     {"roi", {crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h}},
                     {"tessera_bytes", ours_size},
                     {"opencv_bytes", theirs_size},
                     {"bytes_identical", same_bytes},
                     {"pixels_identical", same_pixels},
                     {"psnr_db", std::isinf(db) ? nlohmann::json("inf") : nlohmann::json(db)}});
  }
  return {{"planned_crops", plan.crops.size()},        {"tessera_crops", tessera_crops},
          {"tessera_failed", stats.crops_failed},      {"spot_crops", crops},
          {"spot_pixels_identical", all_pixels_equal}, {"spot_bytes_identical", all_bytes_equal}};
}

}  // namespace tessera::bench
