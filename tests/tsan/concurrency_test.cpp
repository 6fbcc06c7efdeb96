// The engine's TBB-free parts (scheduler, delivery, band window, crop encoder, sinks) driven
// from plain std::threads the way the flow graph drives them, so that ThreadSanitizer sees
// every access and every lock: oneTBB's own synchronisation is invisible to it on Debian.
// A small work queue stands in for the graph: each message becomes a task that any worker
// may run, and a serial node is a mutex around its body, as in flow_graph.cpp.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "crop_encoder.hpp"
#include "delivery.hpp"
#include "scheduler.hpp"
#include "temp_dir.hpp"
#include "tessera/engine/crop_queue.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::detail;

namespace {

constexpr int kWorkers = 4;

// The nodes of flow_graph.cpp over a pool of plain threads. Thread contracts as there: open
// and (for an ordered sink) deliver are serial, everything else runs on any worker at once.
class ThreadedGraph final : public Outlet, public ReleaseOutlet {
 public:
  ThreadedGraph(std::vector<Job> jobs, Sink& sink, int tokens)
      : sink_(sink),
        ordered_(!sink.concurrent()),
        scheduler_(SchedulerOptions{tokens, ordered_}, counters_.stop),
        held_(*this, tokens),
        delivery_(sink, counters_, ordered_, tokens, sink.holds_crops() ? &held_ : nullptr) {
    options_.band_rows = 16;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      auto state = std::make_unique<JobState>();
      state->info.index = i;
      state->info.source = fmt::format("job{}", i);
      state->job = std::move(jobs[i]);
      jobs_.push_back(std::move(state));
    }
  }

  // Runs every job to the end, two open at a time, on kWorkers threads.
  void run() {
    open_next_job();
    open_next_job();
    std::vector<std::jthread> workers;
    for (int i = 0; i < kWorkers; ++i) workers.emplace_back([this] { work(); });
  }

  const RunCounters& counters() const { return counters_; }
  const std::vector<std::unique_ptr<JobState>>& jobs() const { return jobs_; }

  // Outlet: the scheduler's decisions become tasks.
  void encode(const CropTask& task) override {
    push([this, task](CropEncoder& encoder) {
      CropDone done = encoder.encode(task, sink_, counters_.buffer_allocations);
      push_deliver(DeliverMsg(std::move(done)));
    });
  }
  void decode(JobState* job) override {
    push([this, job](CropEncoder&) { scheduler_.on_band(job, decode_band(*job), *this); });
  }
  void deliver(JobEvent event) override { push_deliver(DeliverMsg(std::move(event))); }
  void open_next_job() override {
    std::lock_guard lock(feeder_mutex_);
    if (next_job_ == jobs_.size()) return;
    JobState* job = jobs_[next_job_++].get();
    push([this, job](CropEncoder&) {
      std::lock_guard serial(open_mutex_);
      open_job(*job, options_, NullSink{});
      scheduler_.on_opened(job, *this);
    });
  }

  // ReleaseOutlet.
  void release(const ReleaseMsg& msg) override {
    push([this, msg](CropEncoder&) { scheduler_.on_release(msg, *this); });
  }

 private:
  using Task = std::function<void(CropEncoder&)>;

  // As GraphHeldCrops in flow_graph.cpp: a held crop counts as pending work until its hold is
  // released, from whichever thread, and the release then becomes a task like any other.
  class Held final : public HeldCrops {
   public:
    Held(ThreadedGraph& graph, int tokens) : HeldCrops(tokens), graph_(graph) {}

   private:
    void keep_run_alive() override {
      std::lock_guard lock(graph_.queue_mutex_);
      ++graph_.pending_;
    }
    void send(const ReleaseMsg& msg) noexcept override {
      graph_.release(msg);
      std::lock_guard lock(graph_.queue_mutex_);
      if (--graph_.pending_ == 0) graph_.ready_.notify_all();
    }
    ThreadedGraph& graph_;
  };

  void push_deliver(DeliverMsg msg) {
    push([this, msg = std::move(msg)](CropEncoder&) mutable {
      std::unique_lock serial(deliver_mutex_, std::defer_lock);
      if (ordered_) serial.lock();
      delivery_.accept(std::move(msg), *this);
    });
  }

  void push(Task task) {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(task));
    ++pending_;
    ready_.notify_one();
  }

  // Like a TBB worker: one CropEncoder per thread, tasks in any order, until the graph is idle.
  void work() {
    CropEncoder encoder;
    for (;;) {
      Task task;
      {
        std::unique_lock lock(queue_mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || pending_ == 0; });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task(encoder);
      std::lock_guard lock(queue_mutex_);
      if (--pending_ == 0) ready_.notify_all();
    }
  }

  // As decode_band in flow_graph.cpp: the job's next band, straight into its window.
  Result<int> decode_band(JobState& job) {
    const int wanted = job.decoder->header().streamable
                           ? std::min(job.band_rows, job.rows_needed - job.rows_decoded)
                           : job.stored_height;
    int done = 0;
    while (done < wanted) {
      auto rows = job.decoder->read_rows(job.window.row(job.rows_decoded + done),
                                         job.window.stride(), wanted - done);
      if (!rows) return std::move(rows).error();
      if (*rows == 0) return Error{ErrorCode::kTruncatedData, "the decoder stopped early"};
      done += *rows;
    }
    return done;
  }

  Sink& sink_;
  bool ordered_;
  EngineOptions options_;
  RunCounters counters_;
  Scheduler scheduler_;
  Held held_;
  Delivery delivery_;
  std::vector<std::unique_ptr<JobState>> jobs_;

  std::mutex feeder_mutex_;
  std::size_t next_job_ = 0;
  std::mutex open_mutex_;
  std::mutex deliver_mutex_;

  std::mutex queue_mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  std::size_t pending_ = 0;  // queued or running
};

Job grid_job(OutputFormat input_format, int width, int height, int tile, std::uint64_t seed) {
  const OwnedImage image = make_demo_image(width, height, PixelFormat::kRgb8, seed);
  EncodeOptions encoded;
  encoded.format = input_format;
  auto bytes = test::encode_to_vector(image.view(), encoded);
  REQUIRE(bytes.ok());
  Job job;
  job.input = InputBytes::from_vector(std::move(bytes).value(), "generated");
  GridSpec grid;
  grid.tile_width = grid.tile_height = tile;
  grid.edge = EdgePolicy::kPad;  // padded crops take the encoder's scratch path too
  job.plan = grid;
  job.encode.format = OutputFormat::kPng;
  return job;
}

// Three jobs, so that a job opens while others encode and deliver: 15 + 15 + 25 crops.
constexpr std::size_t kCrops = 55;
std::vector<Job> three_jobs() {
  std::vector<Job> jobs;
  jobs.push_back(grid_job(OutputFormat::kJpeg, 90, 150, 32, 1));
  jobs.push_back(grid_job(OutputFormat::kPng, 150, 90, 32, 2));
  jobs.push_back(grid_job(OutputFormat::kJpeg, 100, 100, 20, 3));
  return jobs;
}

// Records what it is given; consume() may run on several threads at once when concurrent.
class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(bool concurrent) : concurrent_(concurrent) {}
  bool concurrent() const noexcept override { return concurrent_; }
  Status consume(const CropResult& crop) override {
    std::lock_guard lock(mutex_);
    order.emplace_back(crop.job->index, crop.index);
    return {};
  }
  std::vector<std::pair<std::size_t, std::uint32_t>> order;

 private:
  bool concurrent_;
  std::mutex mutex_;
};

}  // namespace

TEST_CASE("threads encoding, delivering in order and releasing rows account for every crop once",
          "[tsan]") {
  RecordingSink sink(false);
  ThreadedGraph graph(three_jobs(), sink, 4);
  graph.run();
  CHECK_FALSE(graph.counters().fatal().has_value());
  CHECK(graph.counters().crops == kCrops);
  // Ordered delivery: job by job, each job's crops in dispatch order.
  std::vector<std::pair<std::size_t, std::uint32_t>> expected;
  for (const auto& job : graph.jobs()) {
    for (std::uint32_t position : job->order)
      expected.emplace_back(job->info.index, job->plan.crops[position].index);
  }
  CHECK(sink.order == expected);
  for (const auto& job : graph.jobs()) CHECK(job->complete);
}

TEST_CASE("a concurrent sink is called from several threads at once", "[tsan]") {
  RecordingSink sink(true);
  ThreadedGraph graph(three_jobs(), sink, 6);
  graph.run();
  CHECK_FALSE(graph.counters().fatal().has_value());
  CHECK(sink.order.size() == kCrops);
  CHECK(std::set(sink.order.begin(), sink.order.end()).size() == kCrops);
}

TEST_CASE("a callback sink and the null sink take crops from several threads", "[tsan]") {
  std::atomic<std::size_t> calls{0};
  CallbackSink callback(
      [&](const CropResult&) {
        calls.fetch_add(1);
        return Status{};
      },
      true);
  ThreadedGraph(three_jobs(), callback, 6).run();
  CHECK(calls == kCrops);
  NullSink null;
  ThreadedGraph(three_jobs(), null, 6).run();
  CHECK(null.crops() == kCrops);
}

TEST_CASE("directory and tar sinks written through the graph, asked exists() from every thread",
          "[tsan]") {
  test::TempDir dir;
  for (bool resume : {false, true}) {
    DirectorySinkOptions directory;
    directory.directory = dir / "files";
    directory.resume = resume;
    auto files = make_directory_sink(directory);
    REQUIRE(files.ok());
    ThreadedGraph graph(three_jobs(), **files, 4);
    graph.run();
    REQUIRE((*files)->finish().ok());
    CHECK(graph.counters().crops + graph.counters().crops_resumed == kCrops);
    CHECK(graph.counters().crops_resumed == (resume ? kCrops : 0u));

    TarSinkOptions tar;
    tar.path = dir / "shards.tar";
    tar.max_shard_samples = 16;
    tar.resume = resume;
    auto shards = make_tar_sink(tar);
    REQUIRE(shards.ok());
    ThreadedGraph tar_graph(three_jobs(), **shards, 4);
    tar_graph.run();
    REQUIRE((*shards)->finish().ok());
    CHECK(tar_graph.counters().crops + tar_graph.counters().crops_resumed == kCrops);
  }
}

TEST_CASE("a queue's crops are released from the consumer's thread while workers deliver more",
          "[tsan]") {
  RecordingSink reference(false);
  ThreadedGraph ordered(three_jobs(), reference, 3);
  ordered.run();

  CropQueue queue;
  ThreadedGraph graph(three_jobs(), queue, 3);
  std::vector<std::pair<std::size_t, std::uint32_t>> order;
  std::jthread consumer([&] {
    QueuedItem item;
    while (queue.pop(item, std::chrono::seconds(30)) == CropQueue::Wait::kItem) {
      order.emplace_back(item.job->index, item.index);
      CHECK(!item.bytes.empty());
      item.hold.release();  // from this thread, while the workers deliver the next crops
    }
  });
  graph.run();  // returns once every hold has been released
  queue.close();
  consumer.join();
  CHECK(graph.counters().crops == kCrops);
  CHECK(order == reference.order);
  for (const auto& job : graph.jobs()) CHECK(job->complete);
}

namespace {

// Counts what delivery accounts for and what the sink hears, from any thread.
struct FailureCount final : public Sink, public ReleaseOutlet {
  bool concurrent() const noexcept override { return true; }
  Status consume(const CropResult&) override { return {}; }
  void on_failure(const CropFailure&) override { reported.fetch_add(1); }
  void release(const ReleaseMsg& msg) override { accounted.fetch_add(msg.accounted); }
  std::atomic<std::size_t> reported{0};
  std::atomic<std::size_t> accounted{0};
};

}  // namespace

// With a concurrent sink the graph may deliver a job's "opened" event and its "decode
// failed" event on two threads at once (decode_band can fail before the open event's task
// runs). Every crop must then fail exactly once, and TSan must see no race on the job.
TEST_CASE("unordered delivery of a job's open and failure events from two threads", "[delivery]") {
  std::vector<Job> jobs;
  jobs.push_back(grid_job(OutputFormat::kJpeg, 64, 64, 16, 1));
  JobState job;
  job.job = std::move(jobs.front());
  open_job(job, EngineOptions{}, NullSink{});
  REQUIRE_FALSE(job.open_error.has_value());
  FailureCount sink;
  RunCounters counters;
  Delivery delivery(sink, counters, /*ordered=*/false, 4);
  {
    std::jthread opened([&] { delivery.accept(JobEvent{&job, false, 0, std::nullopt, {}}, sink); });
    std::jthread failed([&] {
      delivery.accept(JobEvent{&job, true, 0, Error{ErrorCode::kTruncatedData, "cut"}, {}}, sink);
    });
  }
  CHECK(sink.reported == job.crop_count);
  CHECK(sink.accounted == job.crop_count);
}
