// Jobs over pixels already in memory (Job::pixels): the same crops as the same image read from
// a lossless file, cut straight from the caller's rows with no band window of their own.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

using namespace tessera;

namespace {

EngineOptions with_threads(int threads) {
  EngineOptions options;
  options.threads = threads;
  return options;
}

struct Got {
  std::uint32_t index;
  std::vector<std::uint8_t> bytes;
  bool operator==(const Got&) const = default;
};

std::vector<Got> run_job(const Job& job, RunStats* stats_out = nullptr) {
  std::vector<Got> got;
  CallbackSink sink([&](const CropResult& crop) {
    got.push_back({crop.index, {crop.bytes.begin(), crop.bytes.end()}});
    return Status{};
  });
  // Delivery goes by bottom row; compare in plan order.
  const RunStats stats = Engine(with_threads(2)).run(std::span<const Job>(&job, 1), sink);
  REQUIRE_FALSE(stats.fatal.has_value());
  REQUIRE(stats.jobs_failed == 0);
  if (stats_out != nullptr) *stats_out = stats;
  std::sort(got.begin(), got.end(), [](const Got& a, const Got& b) { return a.index < b.index; });
  return got;
}

RoiListSpec some_rois() {
  RoiListSpec rois;
  rois.rois = {{{0, 0, 64, 48}, ""},
               {{250, 150, 80, 80}, ""},
               {{17, 33, 101, 7}, ""},
               {{-5, 190, 20, 20}, ""}};
  rois.edge = EdgePolicy::kPad;
  rois.fill = {1, 2, 3, 255};
  return rois;
}

}  // namespace

TEST_CASE("pixels in memory give the crops of the same image read from a PNG", "[engine][pixels]") {
  for (const PixelFormat format : {PixelFormat::kGray8, PixelFormat::kRgb8, PixelFormat::kRgba8}) {
    INFO(to_string(format));
    const OwnedImage big = test::random_image(340, 220, format, 9);
    const ImageView view = big.view().crop(10, 7, 300, 200);  // rows longer than the image
    REQUIRE(view.stride > view.row_bytes());
    EncodeOptions png;
    png.format = OutputFormat::kPng;
    auto file = test::encode_to_vector(view, png);
    REQUIRE(file.ok());

    Job from_file;
    from_file.input = InputBytes::from_vector(std::move(file).value(), "same.png");
    from_file.plan = some_rois();
    from_file.encode.format = OutputFormat::kJpeg;
    Job from_pixels = from_file;
    from_pixels.input = InputBytes();
    from_pixels.pixels = view;

    const auto expected = run_job(from_file);
    REQUIRE(expected.size() == 4);
    CHECK(run_job(from_pixels) == expected);
  }
}

TEST_CASE("raw crops of pixels in memory are their slices, with no window allocated",
          "[engine][pixels]") {
  const OwnedImage big = test::random_image(340, 220, PixelFormat::kRgb8, 4);
  const ImageView view = big.view().crop(10, 7, 300, 200);
  Job job;
  job.pixels = view;
  job.plan = some_rois();
  job.encode.format = OutputFormat::kRaw;
  RunStats stats;
  const auto got = run_job(job, &stats);
  REQUIRE(got.size() == 4);
  CHECK(stats.peak_window_bytes == 0);
  const Roi inside = some_rois().rois[1].roi;  // 250,150 80x80 reaches past the right edge
  const Got& padded = got[1];
  REQUIRE(padded.bytes.size() == 80 * 80 * 3);
  const ImageView crop{padded.bytes.data(), 80, 80, 80 * 3, PixelFormat::kRgb8};
  CHECK(test::same_pixels(crop.crop(0, 0, 50, 50), view.crop(inside.x, inside.y, 50, 50)));
  const std::uint8_t* fill = crop.row(60) + 60 * 3;  // outside the image: the fill colour
  CHECK((fill[0] == 1 && fill[1] == 2 && fill[2] == 3));
  const ImageView first{got[0].bytes.data(), 64, 48, 64 * 3, PixelFormat::kRgb8};
  CHECK(test::same_pixels(first, view.crop(0, 0, 64, 48)));
}

TEST_CASE("pixels that are not an image fail their job with a message", "[engine][pixels]") {
  std::vector<std::uint8_t> row(30);
  Job job;
  job.pixels = ImageView{row.data(), 10, 1, 20, PixelFormat::kRgb8};  // stride < 10 * 3
  job.plan = GridSpec{};
  struct Failures final : Sink {
    Status consume(const CropResult&) override { return {}; }
    void on_failure(const CropFailure& failure) override { message = failure.error->message; }
    std::string message;
  } failures;
  const RunStats stats = Engine(with_threads(1)).run(std::span<const Job>(&job, 1), failures);
  CHECK(stats.jobs_failed == 1);
  CHECK_THAT(failures.message, Catch::Contains("<pixels>") && Catch::Contains("row stride"));
}
