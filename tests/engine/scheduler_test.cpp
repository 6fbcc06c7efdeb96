// The scheduler, driven without TBB: events are processed in a seeded random order, as
// threads might interleave them. Whatever the order, every crop is accounted once, no crop's
// rows are overwritten in the ring before it is released, tokens never exceed their number,
// and the run never stalls, also when an ordered sink releases crops only in delivery order.
#include <algorithm>
#include <deque>
#include <random>
#include <variant>

#include <catch2/catch.hpp>

#include "scheduler.hpp"

using namespace tessera;
using namespace tessera::detail;

namespace {

struct Simulation final : public Outlet {
  using Event = std::variant<CropTask, JobState*, JobEvent, ReleaseMsg>;

  void encode(const CropTask& task) override { queue.emplace_back(task); }
  void decode(JobState* job) override { queue.emplace_back(job); }
  void deliver(JobEvent event) override { queue.emplace_back(std::move(event)); }
  void open_next_job() override { ++jobs_opened; }

  std::deque<Event> queue;
  int jobs_opened = 0;
};

std::unique_ptr<JobState> make_job(std::size_t index, int width, int height, std::vector<Roi> rois,
                                   int band_rows, int capacity) {
  auto job = std::make_unique<JobState>();
  job->info.index = index;
  job->info.image_width = job->stored_width = width;
  job->info.image_height = job->stored_height = height;
  for (std::size_t i = 0; i < rois.size(); ++i) {
    job->plan.crops.push_back(PlannedCrop{rois[i], static_cast<std::uint32_t>(i), "", false});
  }
  job->crop_count = rois.size();
  plan_dispatch_order(*job);
  job->band_rows = band_rows;
  job->window = std::move(BandWindow::create(1, capacity).value());
  return job;
}

// Runs jobs to the end, taking events in random order; checks the ring and the accounting.
void simulate(std::vector<std::unique_ptr<JobState>>& jobs, int tokens, bool ordered,
              std::uint32_t seed) {
  std::atomic<bool> stop{false};
  Scheduler scheduler(SchedulerOptions{tokens, ordered}, stop);
  Simulation sim;
  std::mt19937 random(seed);
  std::vector<std::vector<int>> ring(jobs.size());  // which image row each slot holds
  std::vector<std::vector<int>> delivered(jobs.size());
  int in_flight = 0, peak_in_flight = 0;
  // Crops that finished encoding and still hold their token. With an ordered sink they leave
  // only in delivery order (job by job, each job's crops by dispatch position), as Delivery's
  // reorder buffer does; that is what the reserved last token must not let starve.
  struct Finished {
    JobState* job;
    std::uint32_t position;
    Buffer* buffer;
    int first_row;
  };
  std::vector<Finished> finished;
  std::size_t head_job = 0;
  std::uint32_t head_position = 0;
  auto deliver = [&](const Finished& crop) {
    delivered[crop.job->info.index].push_back(static_cast<int>(crop.position));
    sim.queue.emplace_back(ReleaseMsg{crop.job, crop.buffer, crop.first_row, 1});
  };
  auto release_in_order = [&] {
    for (bool progress = ordered; progress;) {
      while (head_job < jobs.size() && head_position == jobs[head_job]->crop_count) {
        ++head_job;
        head_position = 0;
      }
      const auto next = std::find_if(finished.begin(), finished.end(), [&](const Finished& crop) {
        return crop.job->info.index == head_job && crop.position == head_position;
      });
      progress = next != finished.end();
      if (progress) {
        deliver(*next);
        finished.erase(next);
        ++head_position;
      }
    }
  };
  for (auto& job : jobs) {
    ring[job->info.index].assign(static_cast<std::size_t>(job->window.capacity()), -1);
    scheduler.on_opened(job.get(), sim);
  }
  while (!sim.queue.empty()) {
    std::uniform_int_distribution<std::size_t> pick(0, sim.queue.size() - 1);
    const auto at = sim.queue.begin() + static_cast<std::ptrdiff_t>(pick(random));
    Simulation::Event event = std::move(*at);
    sim.queue.erase(at);
    if (auto* job_ptr = std::get_if<JobState*>(&event)) {  // decode a band
      JobState& job = **job_ptr;
      const int n = std::min(job.band_rows, job.rows_needed - job.rows_decoded);
      auto& slots = ring[job.info.index];
      for (int y = job.rows_decoded; y < job.rows_decoded + n; ++y) slots[y % slots.size()] = y;
      scheduler.on_band(&job, n, sim);
    } else if (auto* task = std::get_if<CropTask>(&event)) {  // encode: its rows must be intact
      JobState& job = *task->job;
      peak_in_flight = std::max(peak_in_flight, ++in_flight);
      const Roi roi = job.plan.crops[job.order[task->position]].roi;
      const auto& slots = ring[job.info.index];
      for (int y = first_row(roi); y < end_row(roi, job.stored_height); ++y) {
        REQUIRE(slots[y % slots.size()] == y);
      }
      finished.push_back(Finished{&job, task->position, task->buffer, first_row(roi)});
      if (!ordered) {  // a concurrent sink: straight to release
        deliver(finished.back());
        finished.pop_back();
      }
      release_in_order();
    } else if (auto* release = std::get_if<ReleaseMsg>(&event)) {
      --in_flight;
      scheduler.on_release(*release, sim);
    }
  }
  REQUIRE(peak_in_flight <= tokens);
  REQUIRE(finished.empty());  // nothing is stuck in the reorder buffer
  for (auto& job : jobs) {
    CHECK(job->complete);
    auto& got = delivered[job->info.index];
    std::sort(got.begin(), got.end());
    REQUIRE(got.size() == job->crop_count);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == static_cast<int>(i));
  }
  CHECK(sim.jobs_opened == static_cast<int>(jobs.size()));
}

std::vector<Roi> random_rois(std::mt19937& random, int count, int width, int height, int max_side) {
  std::vector<Roi> rois;
  for (int i = 0; i < count; ++i) {
    const int w = 1 + static_cast<int>(random() % static_cast<unsigned>(max_side));
    const int h = 1 + static_cast<int>(random() % static_cast<unsigned>(max_side));
    rois.push_back(Roi{static_cast<int>(random() % static_cast<unsigned>(width - w + 1)),
                       static_cast<int>(random() % static_cast<unsigned>(height - h + 1)), w, h});
  }
  return rois;
}

}  // namespace

TEST_CASE("scheduler: any interleaving completes, accounts each crop once, keeps rows intact",
          "[engine][scheduler]") {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 random(seed);
    const int height = 200 + static_cast<int>(random() % 300);
    const int max_side = 8 + static_cast<int>(random() % 40);
    const int band = 1 + static_cast<int>(random() % 16);
    std::vector<std::unique_ptr<JobState>> jobs;
    for (std::size_t j = 0; j < 3; ++j) {
      jobs.push_back(make_job(j, 64, height, random_rois(random, 60, 64, height, max_side), band,
                              max_side + band));
    }
    const int tokens = 1 + static_cast<int>(random() % 6);
    INFO("seed " << seed << " tokens " << tokens << " band " << band << " max side " << max_side);
    simulate(jobs, tokens, seed % 2 == 0, seed);
  }
}

TEST_CASE("scheduler: a job with no crops completes at once", "[engine][scheduler]") {
  std::vector<std::unique_ptr<JobState>> jobs;
  jobs.push_back(make_job(0, 10, 10, {}, 4, 8));
  simulate(jobs, 2, true, 1);
}
