// Crops pulled from a run on another thread (CropQueue, BackgroundRun): the same crops in the
// same order as a callback sink, a consumer that holds crops stops dispatch instead of growing
// memory, and cancelling or abandoning a run with crops held ends it.
#include <chrono>
#include <vector>

#include <catch2/catch.hpp>

#include "tessera/engine/crop_queue.hpp"
#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace std::chrono_literals;

namespace {

EngineOptions with_threads(int threads) {
  EngineOptions options;
  options.threads = threads;
  return options;
}

struct Seen {
  std::uint32_t index;
  Roi roi;
  std::vector<std::uint8_t> bytes;
  bool operator==(const Seen&) const = default;
};

Job tiled_job(int side, int tile) {
  const OwnedImage image = make_demo_image(side, side, PixelFormat::kRgb8);
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  auto bytes = test::encode_to_vector(image.view(), png);
  REQUIRE(bytes.ok());
  Job job;
  job.input = InputBytes::from_vector(std::move(bytes).value(), "tiled.png");
  GridSpec grid;
  grid.tile_width = grid.tile_height = tile;
  job.plan = grid;
  job.encode.format = OutputFormat::kJpeg;
  return job;
}

std::vector<Seen> run_with_callback(const Job& job, const EngineOptions& options) {
  std::vector<Seen> seen;
  CallbackSink sink([&](const CropResult& crop) {
    seen.push_back({crop.index, crop.roi, {crop.bytes.begin(), crop.bytes.end()}});
    return Status{};
  });
  const RunStats stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
  REQUIRE_FALSE(stats.fatal.has_value());
  return seen;
}

class OneJob final : public JobSource {
 public:
  explicit OneJob(Job job) : job_(std::move(job)) {}
  std::optional<Job> next() override {
    if (taken_) return std::nullopt;
    taken_ = true;
    return job_;
  }

 private:
  Job job_;
  bool taken_ = false;
};

}  // namespace

TEST_CASE("a queue hands over the same crops in the same order as a callback sink",
          "[engine][queue]") {
  const Job job = tiled_job(512, 64);
  EngineOptions options;
  options.threads = 2;
  const std::vector<Seen> expected = run_with_callback(job, options);
  REQUIRE(expected.size() == 64);

  OneJob source(job);
  CropQueue queue;
  BackgroundRun run(options, source, queue, &queue);
  std::vector<Seen> seen;
  QueuedItem item;
  CropQueue::Wait wait;
  while ((wait = queue.pop(item, 10s)) == CropQueue::Wait::kItem) {
    REQUIRE(item.kind == QueuedItem::Kind::kCrop);
    CHECK(item.job->source == "tiled.png");
    seen.push_back({item.index, item.roi, {item.bytes.begin(), item.bytes.end()}});
    item.hold.release();
  }
  CHECK(wait == CropQueue::Wait::kClosed);
  REQUIRE(run.wait_for(10s));
  CHECK(run.stats().crops == 64);
  CHECK(seen == expected);
}

TEST_CASE(
    "a consumer that holds every buffer stops dispatch, and each release lets one more through",
    "[engine][queue]") {
  const Job job = tiled_job(512, 32);  // 256 crops
  EngineOptions options;
  options.threads = 2;
  options.crops_in_flight = 3;
  OneJob source(job);
  CropQueue queue;
  BackgroundRun run(options, source, queue, &queue);

  // Every buffer ends up in the caller's hands, and then nothing more arrives: no worker
  // waits for the caller, the scheduler simply has no buffer to encode into.
  std::vector<QueuedItem> held(3);
  for (QueuedItem& item : held) REQUIRE(queue.pop(item, 10s) == CropQueue::Wait::kItem);
  QueuedItem more;
  CHECK(queue.pop(more, 300ms) == CropQueue::Wait::kTimeout);
  CHECK_FALSE(run.wait_for(0ms));

  held.front().hold.release();
  REQUIRE(queue.pop(more, 10s) == CropQueue::Wait::kItem);
  CHECK(more.index == 3);
  CHECK(queue.pop(held.front(), 300ms) == CropQueue::Wait::kTimeout);

  more.hold.release();
  for (QueuedItem& item : held) item.hold.release();
  std::size_t rest = 0;
  while (queue.pop(more, 10s) == CropQueue::Wait::kItem) {
    more.hold.release();
    ++rest;
  }
  REQUIRE(run.wait_for(10s));
  CHECK(rest == 256 - 4);
  CHECK(run.stats().crops == 256);
  CHECK(run.stats().pool_buffers <= 3);
}

TEST_CASE("cancelling a run whose crops are held ends it and keeps nothing", "[engine][queue]") {
  const Job job = tiled_job(512, 32);
  EngineOptions options;
  options.threads = 2;
  options.crops_in_flight = 4;
  OneJob source(job);
  CropQueue queue;
  BackgroundRun run(options, source, queue, &queue);
  QueuedItem kept;
  REQUIRE(queue.pop(kept, 10s) == CropQueue::Wait::kItem);
  REQUIRE_FALSE(run.wait_for(200ms));  // the other buffers wait in the queue

  run.cancel();
  kept.hold.release();
  REQUIRE(run.wait_for(10s));
  CHECK(run.stats().cancelled);
  CHECK(run.stats().crops < 256);
  QueuedItem item;
  CHECK(queue.pop(item, 1s) == CropQueue::Wait::kClosed);
}

TEST_CASE("destroying a run nobody consumes stops it", "[engine][queue]") {
  const Job job = tiled_job(512, 32);
  OneJob source(job);
  CropQueue queue;
  {
    BackgroundRun run(with_threads(2), source, queue, &queue);
    QueuedItem item;
    REQUIRE(queue.pop(item, 10s) == CropQueue::Wait::kItem);
    // `item` still holds its buffer when the run is destroyed; it is released afterwards,
    // which must not touch the finished run.
    item.hold.release();
  }
  QueuedItem item;
  CHECK(queue.pop(item, 1s) == CropQueue::Wait::kClosed);
}

TEST_CASE("a bad image reaches the queue as one failure item", "[engine][queue]") {
  Job job;
  job.input = InputBytes::from_vector({'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'},
                                      "bad.jpg");
  job.plan = GridSpec{};
  OneJob source(job);
  CropQueue queue;
  BackgroundRun run(with_threads(2), source, queue, &queue);
  QueuedItem item;
  REQUIRE(queue.pop(item, 10s) == CropQueue::Wait::kItem);
  CHECK(item.kind == QueuedItem::Kind::kFailure);
  CHECK(item.index == CropFailure::kWholeJob);
  CHECK(item.source == "bad.jpg");
  CHECK_FALSE(item.error.message.empty());
  CHECK(queue.pop(item, 10s) == CropQueue::Wait::kClosed);
  REQUIRE(run.wait_for(10s));
  CHECK(run.stats().jobs_failed == 1);
}
