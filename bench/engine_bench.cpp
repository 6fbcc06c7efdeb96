// Engine micro benchmarks: whole runs into a NullSink with every core: a grid over one large
// image, 10k random ROIs over it, and 200 small images. Real time, since the work is parallel.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_images.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::bench {
namespace {

constexpr int kLargeSide = 4096;
constexpr int kSmallSide = 512;
constexpr int kSmallImages = 200;
constexpr int kSmallVariants = 4;  // distinct small pictures, cycled over the 200 jobs

std::vector<std::uint8_t> encoded_demo(int side, std::uint64_t seed) {
  const OwnedImage image = make_demo_image(side, side, PixelFormat::kRgb8, seed);
  auto bytes = encode_to_vector(image.view(), jpeg_options(95, JpegSubsampling::k444));
  return bytes ? std::move(bytes).value() : std::vector<std::uint8_t>{};
}

const std::vector<std::uint8_t>& large_jpeg() {
  static const std::vector<std::uint8_t> bytes = encoded_demo(kLargeSide, 1);
  return bytes;
}

const std::vector<std::vector<std::uint8_t>>& small_jpegs() {
  static const std::vector<std::vector<std::uint8_t>> images = [] {
    std::vector<std::vector<std::uint8_t>> all;
    for (int i = 0; i < kSmallVariants; ++i)
      all.push_back(encoded_demo(kSmallSide, std::uint64_t(i) + 1));
    return all;
  }();
  return images;
}

Job make_job(const std::vector<std::uint8_t>& bytes, PlanSpec plan) {
  Job job;
  job.input = InputBytes::borrow(bytes, "bench image");
  job.plan = std::move(plan);
  job.encode = jpeg_options(90, JpegSubsampling::k420);
  return job;
}

void run_engine(benchmark::State& state, const std::vector<Job>& jobs) {
  Engine engine;
  std::uint64_t crops = 0;
  std::uint64_t pixels = 0;
  for (auto _ : state) {
    NullSink sink;
    const RunStats stats = engine.run(jobs, sink);
    if (stats.fatal || stats.jobs_failed != 0 || stats.crops_failed != 0) {
      state.SkipWithError("the engine run failed");
      break;
    }
    crops += stats.crops;
    pixels += stats.pixels_decoded;
  }
  state.counters["crops/s"] = benchmark::Counter(double(crops), benchmark::Counter::kIsRate);
  state.counters["MP/s"] = benchmark::Counter(double(pixels) / 1e6, benchmark::Counter::kIsRate);
}

void BM_EngineGrid(benchmark::State& state) {
  GridSpec grid;
  grid.tile_width = grid.tile_height = static_cast<int>(state.range(0));
  run_engine(state, {make_job(large_jpeg(), grid)});
}
BENCHMARK(BM_EngineGrid)
    ->ArgName("tile")
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

void BM_EngineRandom10k(benchmark::State& state) {
  run_engine(state, {make_job(large_jpeg(), RandomSpec{10'000, 16, 128, 7})});
}
BENCHMARK(BM_EngineRandom10k)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_Engine200SmallImages(benchmark::State& state) {
  GridSpec grid;
  grid.tile_width = grid.tile_height = 128;
  std::vector<Job> jobs;
  for (int i = 0; i < kSmallImages; ++i)
    jobs.push_back(make_job(small_jpegs()[std::size_t(i % kSmallVariants)], grid));
  run_engine(state, jobs);
}
BENCHMARK(BM_Engine200SmallImages)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace tessera::bench
