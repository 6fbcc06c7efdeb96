// The flow graph, top to bottom as in docs/ARCHITECTURE.md:
//
//   open_job ─► decode_band ─► (dispatch) ─► encode_crop ─► deliver ─► release
//      ▲            ▲  │                          ▲                       │
//      └────────────┴──┴──── scheduler decisions ─┴───────────────────────┘
//
// open_job, decode_band and release all report to the Scheduler, which decides what may run
// next (a band to decode, crops to encode, the next job to open) and sends it through the
// node's output ports; the node bodies only forward to named functions.
#include "flow_graph.hpp"
#include "lossless.hpp"
#include "output_names.hpp"

#include <time.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include "crop_encoder.hpp"
#include "delivery.hpp"
#include "job_state.hpp"
#include "lossless.hpp"
#include "scheduler.hpp"

namespace tessera::detail {
namespace {

namespace flow = oneapi::tbb::flow;

// Index 0: crops to encode; 1: jobs to decode a band of; 2: job events; 3: jobs to open.
using Outputs = std::tuple<CropTask, JobState*, DeliverMsg, JobState*>;

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Pulls jobs from the source one at a time and keeps their state alive for the run.
class JobFeeder {
 public:
  JobFeeder(JobSource& source, const std::atomic<bool>& stop) : source_(source), stop_(stop) {}

  JobState* next() {
    std::lock_guard lock(mutex_);
    if (stop_.load()) return nullptr;
    std::optional<Job> job = source_.next();
    if (!job) return nullptr;
    auto state = std::make_unique<JobState>();
    start_job(*state, std::move(*job), jobs_.size(), stems_);
    jobs_.push_back(std::move(state));
    return jobs_.back().get();
  }

  // Call after the graph is idle.
  const std::deque<std::unique_ptr<JobState>>& jobs() const { return jobs_; }

 private:
  JobSource& source_;
  const std::atomic<bool>& stop_;
  std::mutex mutex_;
  std::deque<std::unique_ptr<JobState>> jobs_;
  detail::StemRegistry stems_;
};

template <class Ports>
class PortOutlet final : public Outlet {
 public:
  PortOutlet(Ports& ports, JobFeeder& feeder) : ports_(ports), feeder_(feeder) {}
  void encode(const CropTask& task) override { std::get<0>(ports_).try_put(task); }
  void decode(JobState* job) override { std::get<1>(ports_).try_put(job); }
  void deliver(JobEvent event) override {
    std::get<2>(ports_).try_put(DeliverMsg(std::move(event)));
  }
  void open_next_job() override {
    if (JobState* job = feeder_.next()) std::get<3>(ports_).try_put(job);
  }

 private:
  Ports& ports_;
  JobFeeder& feeder_;
};

template <class Ports>
class ReleasePort final : public ReleaseOutlet {
 public:
  explicit ReleasePort(Ports& ports) : ports_(ports) {}
  void release(const ReleaseMsg& msg) override { std::get<0>(ports_).try_put(msg); }

 private:
  Ports& ports_;
};

// Decodes the job's next band straight into its window. A decoder that stops early is an error.
Result<int> decode_band(JobState& job) {
  const double start = thread_seconds();
  if (job.mcu_height > 0) {
    auto rows = decode_coefficient_band(job);
    job.decode_s += thread_seconds() - start;
    return rows;
  }
  const int height = job.stored_height;
  const int wanted = job.decoder->header().streamable
                         ? std::min(job.band_rows, job.rows_needed - job.rows_decoded)
                         : height;
  int done = 0;
  while (done < wanted) {
    const int row = job.rows_decoded + done;
    auto rows = job.decoder->read_rows(job.window.row(row), job.window.stride(), wanted - done);
    if (!rows) return std::move(rows).error();
    if (*rows == 0) {
      return Error{ErrorCode::kTruncatedData, fmt::format("{}: the decoder stopped at row {} of {}",
                                                          job.info.source, row, height)};
    }
    done += *rows;
  }
  job.decode_s += thread_seconds() - start;
  return done;
}

// Releases of crops a holding sink kept: they arrive from any thread, after the deliver step
// that made them has returned, so they enter the graph at the release node, and the graph
// counts each hold as outstanding work so that wait_for_all() does not return before it.
class GraphHeldCrops final : public HeldCrops {
 public:
  using Release = flow::multifunction_node<ReleaseMsg, Outputs>;
  using HeldCrops::HeldCrops;
  void attach(flow::graph& graph, Release& release) {
    graph_ = &graph;
    release_ = &release;
  }

 private:
  void keep_run_alive() override { graph_->reserve_wait(); }
  void send(const ReleaseMsg& msg) noexcept override {
    flow::graph& graph = *graph_;
    release_->try_put(msg);  // counted by the graph before the hold's count is dropped
    graph.release_wait();
  }

  flow::graph* graph_ = nullptr;
  Release* release_ = nullptr;
};

struct Run {
  Run(Sink& output, const EngineOptions& resolved, JobSource& source, int tokens, bool ordered)
      : options(resolved),
        sink(output),
        feeder(source, counters.stop),
        scheduler(SchedulerOptions{tokens, ordered}, counters.stop),
        held(tokens),
        delivery(output, counters, ordered, tokens, output.holds_crops() ? &held : nullptr) {}

  // Turns an outside cancellation into the run's stop flag.
  void check_cancel() {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      counters.stop.store(true);
    }
  }

  const EngineOptions& options;
  const Sink& sink;
  RunCounters counters;
  JobFeeder feeder;
  Scheduler scheduler;
  GraphHeldCrops held;
  Delivery delivery;
  oneapi::tbb::enumerable_thread_specific<CropEncoder> encoders;
  std::atomic<std::uint64_t> encode_ns{0};
};

void run_flow_graph(Run& run, bool ordered_delivery) {
  flow::graph g;
  using Control = flow::multifunction_node<JobState*, Outputs>;
  using Release = GraphHeldCrops::Release;
  using Deliver = flow::multifunction_node<DeliverMsg, std::tuple<ReleaseMsg>>;

  // serial; owns opening inputs and planning, so jobs get their index in source order.
  Control open_node(g, flow::serial, [&](JobState* job, Control::output_ports_type& ports) {
    open_job(*job, run.options, run.sink);
    PortOutlet out(ports, run.feeder);
    run.scheduler.on_opened(job, out);
  });
  // unlimited across jobs; the scheduler sends each job at most one band at a time.
  Control decode_node(g, flow::unlimited, [&](JobState* job, Control::output_ports_type& ports) {
    run.check_cancel();
    auto rows = decode_band(*job);
    PortOutlet out(ports, run.feeder);
    run.scheduler.on_band(job, std::move(rows), out);
  });
  // unlimited; bounded by the tokens in flight. Owns the crop's buffer until delivery.
  flow::function_node<CropTask, DeliverMsg> encode_node(
      g, flow::unlimited, [&](const CropTask& task) {
        const double start = thread_seconds();
        CropDone done =
            run.encoders.local().encode(task, run.sink, run.counters.buffer_allocations);
        run.encode_ns.fetch_add(static_cast<std::uint64_t>((thread_seconds() - start) * 1e9),
                                std::memory_order_relaxed);
        return DeliverMsg(std::move(done));
      });
  // serial for an ordered sink, else unlimited; the only caller of the sink.
  Deliver deliver_node(g, ordered_delivery ? flow::serial : flow::unlimited,
                       [&](DeliverMsg msg, Deliver::output_ports_type& ports) {
                         ReleasePort out(ports);
                         run.delivery.accept(std::move(msg), out);
                       });
  // unlimited; gives back buffers and rows, which may start decoding, encoding or a new job.
  Release release_node(g, flow::unlimited,
                       [&](const ReleaseMsg& msg, Release::output_ports_type& ports) {
                         run.check_cancel();
                         PortOutlet out(ports, run.feeder);
                         run.scheduler.on_release(msg, out);
                       });

  run.held.attach(g, release_node);

  for (auto* control : {&open_node, &decode_node}) {
    flow::make_edge(flow::output_port<0>(*control), encode_node);
    flow::make_edge(flow::output_port<1>(*control), decode_node);
    flow::make_edge(flow::output_port<2>(*control), deliver_node);
    flow::make_edge(flow::output_port<3>(*control), open_node);
  }
  flow::make_edge(encode_node, deliver_node);
  flow::make_edge(flow::output_port<0>(deliver_node), release_node);
  flow::make_edge(flow::output_port<0>(release_node), encode_node);
  flow::make_edge(flow::output_port<1>(release_node), decode_node);
  flow::make_edge(flow::output_port<2>(release_node), deliver_node);
  flow::make_edge(flow::output_port<3>(release_node), open_node);

  for (int i = 0; i < run.options.jobs_in_flight; ++i) {
    if (JobState* job = run.feeder.next()) open_node.try_put(job);
  }
  g.wait_for_all();
}

RunStats collect_stats(const Run& run) {
  RunStats stats;
  for (const auto& job : run.feeder.jobs()) {
    ++stats.jobs;
    stats.bytes_in += job->bytes_in;
    stats.decode_s += job->decode_s;
    stats.crops_unaligned += job->unaligned;
    stats.pixels_decoded += static_cast<std::uint64_t>(job->rows_decoded) *
                            static_cast<std::uint64_t>(job->stored_width);
  }
  stats.jobs_failed = run.counters.jobs_failed.load();
  stats.jobs_warned = run.counters.jobs_warned.load();
  stats.crops = run.counters.crops.load();
  stats.crops_failed = run.counters.crops_failed.load();
  stats.crops_skipped = run.counters.crops_skipped.load();
  stats.crops_resumed = run.counters.crops_resumed.load();
  stats.crops_lossless = run.counters.crops_lossless.load();
  stats.bytes_out = run.counters.bytes_out.load();
  stats.encode_cpu_s = static_cast<double>(run.encode_ns.load()) * 1e-9;
  stats.peak_window_rows = run.scheduler.peak_window_rows();
  stats.peak_window_bytes = run.scheduler.peak_window_bytes();
  stats.pool_buffers = run.counters.buffer_allocations.load();
  stats.pool_bytes = run.scheduler.pool_bytes();
  return stats;
}

}  // namespace

RunStats run_graph(JobSource& source, Sink& sink, const EngineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const EngineSettings settings = resolved_settings(options);
  const int threads = settings.threads;
  const int tokens = settings.crops_in_flight;
  const bool ordered = !sink.concurrent();

  EngineOptions resolved = options;
  resolved.threads = settings.threads;
  resolved.crops_in_flight = settings.crops_in_flight;
  resolved.band_rows = settings.band_rows;
  resolved.jobs_in_flight = settings.jobs_in_flight;
  // Called from a decode step inside the arena below: its pieces share the run's threads.
  resolved.decode.parallel_for = [](int count, const std::function<void(int)>& task) {
    oneapi::tbb::parallel_for(0, count, [&](int i) { task(i); });
  };
  Run run(sink, resolved, source, tokens, ordered);
  // TBB caps workers at the core count unless told otherwise; -j 8 on 2 cores means 8.
  oneapi::tbb::global_control allow(
      oneapi::tbb::global_control::max_allowed_parallelism,
      static_cast<std::size_t>(std::max(threads, oneapi::tbb::info::default_concurrency())));
  oneapi::tbb::task_arena arena(threads);
  arena.execute([&] { run_flow_graph(run, ordered); });

  RunStats stats = collect_stats(run);
  stats.cancelled = options.cancel != nullptr && options.cancel->load();
  stats.fatal = run.counters.fatal();
  if (!stats.fatal && !stats.cancelled) {
    try {
      if (auto finished = sink.finish(); !finished) stats.fatal = std::move(finished).error();
    } catch (const std::exception& e) {
      stats.fatal = Error{ErrorCode::kIo, fmt::format("the sink failed to finish: {}", e.what())};
    }
  }
  if (stats.fatal || stats.cancelled) sink.abort();
  stats.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace tessera::detail

namespace tessera {
namespace {

constexpr int kCropsPerThread = 4;
constexpr int kDefaultBandRows = 64;

}  // namespace

// Here rather than in engine.cpp because TBB's headers stay in this one file.
EngineSettings resolved_settings(const EngineOptions& options) {
  EngineSettings s;
  s.threads = options.threads > 0 ? options.threads : oneapi::tbb::info::default_concurrency();
  s.crops_in_flight =
      options.crops_in_flight > 0 ? options.crops_in_flight : kCropsPerThread * s.threads;
  s.band_rows = options.band_rows > 0 ? options.band_rows : kDefaultBandRows;
  s.jobs_in_flight = std::max(1, options.jobs_in_flight);
  return s;
}

}  // namespace tessera
