// The engine end to end: determinism across thread counts, exact PNG pixels, failure
// accounting and bounded memory. No per-crop allocation is checked in tests/alloc.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

using namespace tessera;

namespace {

struct Delivered {
  std::size_t job;
  std::uint32_t index;
  Roi roi;
  std::string key;
  std::vector<std::uint8_t> bytes;
  bool operator==(const Delivered&) const = default;
};

// Records every call in order: the order itself is part of what must not change.
class RecordingSink final : public Sink {
 public:
  Status consume(const CropResult& crop) override {
    delivered.push_back({crop.job->index,
                         crop.index,
                         crop.roi,
                         std::string(crop.key),
                         {crop.bytes.begin(), crop.bytes.end()}});
    return {};
  }
  void on_failure(const CropFailure& failure) override {
    failures.push_back({failure.job->index, failure.index, failure.error->message});
  }
  struct Failure {
    std::size_t job;
    std::uint32_t index;
    std::string message;
  };
  std::vector<Delivered> delivered;
  std::vector<Failure> failures;
};

InputBytes encoded(const OwnedImage& image, OutputFormat format, int quality = 90) {
  EncodeOptions options;
  options.format = format;
  options.jpeg.quality = quality;
  auto bytes = test::encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  return InputBytes::from_vector(std::move(bytes).value(), "generated");
}

Job grid_job(InputBytes input, OutputFormat format, int tile, EdgePolicy edge = EdgePolicy::kClip,
             int stride = 0) {
  Job job;
  job.input = std::move(input);
  GridSpec grid;
  grid.tile_width = grid.tile_height = tile;
  grid.stride_x = grid.stride_y = stride;
  grid.edge = edge;
  job.plan = grid;
  job.encode.format = format;
  return job;
}

std::vector<Delivered> run_jobs(const std::vector<Job>& jobs, int threads, int band_rows = 0) {
  EngineOptions options;
  options.threads = threads;
  options.band_rows = band_rows;
  RecordingSink sink;
  const RunStats stats = Engine(options).run(jobs, sink);
  REQUIRE_FALSE(stats.fatal.has_value());
  REQUIRE(sink.failures.empty());
  return sink.delivered;
}

}  // namespace

TEST_CASE("same bytes and same order for 1, 2 and 8 threads and from run to run", "[engine]") {
  const auto a = make_demo_image(700, 530, PixelFormat::kRgb8, 3);
  const auto b = make_demo_image(301, 999, PixelFormat::kGray8, 4);
  std::vector<Job> jobs = {
      grid_job(encoded(a, OutputFormat::kJpeg), OutputFormat::kJpeg, 64),
      grid_job(encoded(b, OutputFormat::kPng), OutputFormat::kPng, 100, EdgePolicy::kPad, 70),
      grid_job(encoded(a, OutputFormat::kPng), OutputFormat::kJpeg, 128, EdgePolicy::kDrop)};
  const auto reference = run_jobs(jobs, 1);
  // 700x530 clipped 64-tiles: 11x9; 301x999 padded 100-tiles every 70: 5x15; 128 dropped: 5x4.
  REQUIRE(reference.size() == 11 * 9 + 5 * 15 + 5 * 4);
  CHECK(run_jobs(jobs, 2) == reference);
  CHECK(run_jobs(jobs, 8) == reference);
  CHECK(run_jobs(jobs, 8, 16) == reference);  // band height changes scheduling, not bytes
  CHECK(run_jobs(jobs, 2) == reference);
}

TEST_CASE("engine PNG crops equal the source pixels, padded where the tile leaves the image",
          "[engine]") {
  const auto image = make_demo_image(333, 257, PixelFormat::kRgba8, 9);
  GridSpec grid;
  grid.tile_width = 100;
  grid.tile_height = 64;
  grid.stride_x = 90;
  grid.edge = EdgePolicy::kPad;
  grid.fill = {1, 2, 3, 4};
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  EngineOptions options;
  options.band_rows = 8;
  auto crops = encode_crops(encoded(image, OutputFormat::kPng), grid, png, options);
  REQUIRE(crops.ok());
  REQUIRE(crops->size() == 4 * 5);
  for (const EncodedCrop& crop : *crops) {
    auto decoded = test::decode_whole(InputBytes::borrow(crop.bytes));
    REQUIRE(decoded.ok());
    REQUIRE(decoded->width == 100);
    REQUIRE(decoded->height == 64);
    for (int y = 0; y < 64; ++y) {
      for (int x = 0; x < 100; ++x) {
        const int sx = crop.roi.x + x, sy = crop.roi.y + y;
        const std::uint8_t* got = decoded->view().row(y) + 4 * x;
        const bool inside = sx < image.width && sy < image.height;
        const std::uint8_t* want = inside ? image.view().row(sy) + 4 * sx : grid.fill.data();
        INFO("crop " << crop.index << " pixel " << x << "," << y);
        REQUIRE(std::equal(got, got + 4, want));
      }
    }
  }
}

TEST_CASE("a corrupt image fails only its own job, with the codec's message", "[engine]") {
  const auto image = make_demo_image(256, 256, PixelFormat::kRgb8, 1);
  auto good = encoded(image, OutputFormat::kJpeg);
  std::vector<std::uint8_t> truncated(good.memory().begin(),
                                      good.memory().begin() + good.memory().size() / 2);
  std::vector<std::uint8_t> garbage = {0xff, 0xd8, 0xff, 0x00, 0x12, 0x34};
  std::vector<Job> jobs = {
      grid_job(good, OutputFormat::kJpeg, 64),
      grid_job(InputBytes::from_vector(truncated, "half.jpg"), OutputFormat::kJpeg, 64),
      grid_job(InputBytes::from_vector(garbage, "garbage.jpg"), OutputFormat::kJpeg, 64),
      grid_job(good, OutputFormat::kPng, 128)};
  for (int threads : {1, 2, 4}) {
    EngineOptions options;
    options.threads = threads;
    RecordingSink sink;
    const RunStats stats = Engine(options).run(jobs, sink);
    CHECK(stats.jobs == 4);
    CHECK(stats.jobs_failed == 2);
    // Every planned crop is exactly one output or one failure.
    std::map<std::pair<std::size_t, std::uint32_t>, int> seen;
    for (const auto& d : sink.delivered) ++seen[{d.job, d.index}];
    for (const auto& f : sink.failures) ++seen[{f.job, f.index}];
    for (const auto& [key, count] : seen) CHECK(count == 1);
    std::size_t job1_total = 0;
    for (const auto& [key, count] : seen) job1_total += key.first == 1 ? 1 : 0;
    CHECK(job1_total == 16);
    CHECK(stats.crops + stats.crops_failed == 16 + 16 + 4);
    bool garbage_reported = false;
    for (const auto& f : sink.failures) {
      CHECK_FALSE(f.message.empty());
      if (f.job == 2) {
        CHECK(f.index == CropFailure::kWholeJob);
        CHECK(f.message.find("garbage.jpg") != std::string::npos);
        garbage_reported = true;
      }
      if (f.job == 1) CHECK(f.message.find("half.jpg") != std::string::npos);
    }
    CHECK(garbage_reported);
    std::size_t good_crops = 0;
    for (const auto& d : sink.delivered) good_crops += (d.job == 0 || d.job == 3) ? 1 : 0;
    CHECK(good_crops == 16 + 4);
  }
}

TEST_CASE("a tall image is tiled with a band window far smaller than the image",
          "[engine][memory][slow]") {
  const int width = 1024, height = 64000;  // JPEG allows at most 65500 rows
  const auto image = make_demo_image(width, height, PixelFormat::kGray8, 5);
  auto input = encoded(image, OutputFormat::kJpeg, 80);
  NullSink sink;
  EngineOptions options;
  options.threads = 2;
  options.band_rows = 64;
  const Job job = grid_job(input, OutputFormat::kJpeg, 128);
  const RunStats stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
  REQUIRE_FALSE(stats.fatal.has_value());
  CHECK(sink.crops() == 8u * 500u);
  const std::uint64_t decoded_size = std::uint64_t{width} * height;
  CHECK(stats.pixels_decoded == decoded_size);
  CHECK(stats.peak_window_rows <= 2 * 128 + 64 + 64);
  CHECK(stats.peak_window_bytes * 100 < decoded_size);
}

TEST_CASE("a slow sink does not make memory grow", "[engine][memory]") {
  const auto image = make_demo_image(512, 2048, PixelFormat::kRgb8, 6);
  auto input = encoded(image, OutputFormat::kJpeg);
  const Job job = grid_job(input, OutputFormat::kJpeg, 64);
  EngineOptions options;
  options.threads = 2;
  options.crops_in_flight = 4;
  options.band_rows = 32;
  RunStats fast_stats, slow_stats;
  {
    CallbackSink fast([](const CropResult&) { return Status{}; });
    fast_stats = Engine(options).run(std::span<const Job>(&job, 1), fast);
  }
  {
    CallbackSink slow([&](const CropResult&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      return Status{};
    });
    slow_stats = Engine(options).run(std::span<const Job>(&job, 1), slow);
  }
  CHECK(slow_stats.crops == 8u * 32u);
  // Encoded crops wait in their pooled buffers, never in a growing queue: no more buffers than
  // tokens, each no larger than the worst case of one tile, and the same window either way.
  CHECK(slow_stats.peak_window_bytes == fast_stats.peak_window_bytes);
  CHECK(slow_stats.pool_buffers <= 4);
  CHECK(slow_stats.pool_bytes <= 4 * max_encoded_size(64, 64, PixelFormat::kRgb8, job.encode));
}

TEST_CASE("a sink error stops the run and aborts the sink", "[engine]") {
  const auto image = make_demo_image(512, 512, PixelFormat::kRgb8, 8);
  const Job job = grid_job(encoded(image, OutputFormat::kJpeg), OutputFormat::kJpeg, 32);
  struct FailingSink final : public Sink {
    int consumed = 0;
    bool aborted = false;
    bool finished = false;
    Status consume(const CropResult&) override {
      if (++consumed == 10) return Error{ErrorCode::kIo, "disk full"};
      return {};
    }
    Status finish() override {
      finished = true;
      return {};
    }
    void abort() noexcept override { aborted = true; }
  } sink;
  const RunStats stats = Engine(EngineOptions{}).run(std::span<const Job>(&job, 1), sink);
  REQUIRE(stats.fatal.has_value());
  CHECK(stats.fatal->message == "disk full");
  CHECK(sink.aborted);
  CHECK_FALSE(sink.finished);
  CHECK(sink.consumed == 10);
}

TEST_CASE("a sink that throws ends the run with an error instead of hanging", "[engine]") {
  const auto image = make_demo_image(256, 256, PixelFormat::kRgb8, 8);
  const Job job = grid_job(encoded(image, OutputFormat::kJpeg), OutputFormat::kJpeg, 32);
  CallbackSink sink([](const CropResult& crop) -> Status {
    if (crop.index == 5) throw std::runtime_error("boom");
    return {};
  });
  const RunStats stats = Engine(EngineOptions{}).run(std::span<const Job>(&job, 1), sink);
  REQUIRE(stats.fatal.has_value());
  CHECK(stats.fatal->message.find("boom") != std::string::npos);
}

TEST_CASE("cancellation stops the run early", "[engine]") {
  const auto image = make_demo_image(512, 4096, PixelFormat::kRgb8, 2);
  const Job job = grid_job(encoded(image, OutputFormat::kJpeg), OutputFormat::kJpeg, 32);
  std::atomic<bool> cancel{false};
  EngineOptions options;
  options.cancel = &cancel;
  bool aborted = false;
  struct CancellingSink final : public Sink {
    std::atomic<bool>& cancel;
    bool& aborted;
    int consumed = 0;
    CancellingSink(std::atomic<bool>& c, bool& a) : cancel(c), aborted(a) {}
    Status consume(const CropResult&) override {
      if (++consumed == 20) cancel = true;
      return {};
    }
    void abort() noexcept override { aborted = true; }
  } sink(cancel, aborted);
  const RunStats stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
  CHECK(stats.cancelled);
  CHECK(aborted);
  CHECK(stats.crops < 16u * 128u);
}
