// No heap allocation per crop in steady state. This binary replaces the global operator new
// to count tessera's own C++ allocations (the codec libraries allocate with malloc), which is
// why it is a binary of its own: the replacement applies to everything linked into it.
// libdeflate takes an allocator, so its allocations (a compressor per level) are counted too.
#include <atomic>
#include <cstdlib>
#include <new>
#include <span>
#include <utility>

#include <libdeflate.h>
#include <catch2/catch.hpp>

#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

using namespace tessera;

namespace {
std::atomic<std::uint64_t> g_new_calls{0};

void* counted_malloc(std::size_t size) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
}  // namespace

// AddressSanitizer (and ThreadSanitizer) own operator new, so under them the counting and
// its test are left out.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define TESSERA_COUNT_ALLOCATIONS 1
void* operator new(std::size_t size) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

#if defined(TESSERA_COUNT_ALLOCATIONS)
TEST_CASE("steady state makes no heap allocation per crop", "[engine][memory]") {
  libdeflate_set_memory_allocator(counted_malloc, std::free);
  const auto image = make_demo_image(1024, 1024, PixelFormat::kRgb8, 7);
  EncodeOptions jpeg;
  jpeg.format = OutputFormat::kJpeg;
  jpeg.jpeg.quality = 90;
  auto bytes = test::encode_to_vector(image.view(), jpeg);
  REQUIRE(bytes.ok());
  const InputBytes input = InputBytes::from_vector(std::move(bytes).value(), "generated");
  EngineOptions options;
  options.threads = 2;
  NullSink sink;
  EncodeOptions png_libdeflate;
  png_libdeflate.format = OutputFormat::kPng;
  png_libdeflate.png.encoder = PngEncoderLibrary::kLibdeflate;
  EncodeOptions png_libspng = png_libdeflate;
  png_libspng.png.encoder = PngEncoderLibrary::kLibspng;
  // Pixel crops through each encoder, then lossless crops (cut from the coefficients: the same
  // pool, per-thread coefficient encoders and their row tables).
  struct Case {
    EncodeOptions encode;
    LosslessMode lossless;
  };
  for (const Case& c : {Case{jpeg, LosslessMode::kOff}, Case{png_libdeflate, LosslessMode::kOff},
                        Case{png_libspng, LosslessMode::kOff}, Case{jpeg, LosslessMode::kOn}}) {
    INFO(to_string(c.encode.format) << " " << to_string(c.encode.png.encoder) << " lossless mode "
                                    << static_cast<int>(c.lossless));
    auto allocations_for = [&](int tile) {
      Job job;
      job.lossless = c.lossless;
      job.input = input;
      GridSpec grid;
      grid.tile_width = grid.tile_height = tile;
      grid.edge = EdgePolicy::kClip;
      job.plan = grid;
      job.encode = c.encode;
      const std::uint64_t before = g_new_calls.load();
      const RunStats stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
      REQUIRE(stats.crops > 0);
      REQUIRE(stats.crops_failed == 0);
      return std::pair{g_new_calls.load() - before, stats.crops};
    };
    allocations_for(32);                                         // warm up thread-local codec state
    const auto [few_allocs, few_crops] = allocations_for(128);   // 64 crops
    const auto [many_allocs, many_crops] = allocations_for(16);  // 4096 crops
    REQUIRE(many_crops - few_crops > 4000);
    const double per_crop = static_cast<double>(many_allocs) - static_cast<double>(few_allocs);
    INFO("allocations: " << few_allocs << " for " << few_crops << " crops, " << many_allocs
                         << " for " << many_crops);
    CHECK(per_crop / static_cast<double>(many_crops - few_crops) < 0.01);
  }
}
#else
// A binary with no test case fails ctest's discovery; say why nothing ran instead.
TEST_CASE("allocation counting needs a build without a sanitizer", "[engine][memory]") {
  WARN("operator new belongs to the sanitizer here: the allocation test is not run");
}
#endif
