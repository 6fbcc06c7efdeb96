// The pyramid scheduler driven without TBB through seeded random interleavings of its events
// (a band decoded, a tile encoded, a tile delivered), with each level's ring of rows simulated:
// every tile must go out exactly once, in the same order for every interleaving, and find all
// of its rows still in the ring when it is encoded.
#include <catch2/catch.hpp>

#include <random>

#include "pyramid_scheduler.hpp"

namespace tessera::detail {
namespace {

struct Recorder final : PyramidOutlet {
  std::vector<TileTask> to_encode;
  std::vector<PyramidBand> to_decode;
  void encode(const TileTask& task) override { to_encode.push_back(task); }
  void decode(const PyramidBand& band) override { to_decode.push_back(band); }
};

// Which image row each ring slot of each level holds.
struct Rings {
  std::vector<std::vector<int>> slots;
  explicit Rings(const std::vector<int>& capacity) {
    for (int rows : capacity) slots.emplace_back(static_cast<std::size_t>(rows), -1);
  }
  void write(int level, int row) {
    auto& ring = slots[static_cast<std::size_t>(level)];
    ring[static_cast<std::size_t>(row) % ring.size()] = row;
  }
  bool holds(int level, int row) const {
    const auto& ring = slots[static_cast<std::size_t>(level)];
    return ring[static_cast<std::size_t>(row) % ring.size()] == row;
  }
};

std::vector<std::uint64_t> run_interleaving(const PyramidGeometry& geometry, int band_rows,
                                            int tokens, std::uint64_t seed) {
  std::atomic<bool> stop{false};
  PyramidScheduler scheduler(geometry, {band_rows, tokens}, stop);
  Rings rings(scheduler.window_rows());
  Recorder out;
  std::mt19937_64 random(seed);
  std::vector<TileTask> encoded;
  std::vector<std::uint64_t> order;
  scheduler.start(out);
  for (int step = 0; step < 1'000'000; ++step) {
    const bool can_decode = !out.to_decode.empty();
    const bool can_encode = !out.to_encode.empty();
    const bool can_deliver = !encoded.empty();
    if (!can_decode && !can_encode && !can_deliver) break;
    const auto pick = random() % 3;
    if (pick == 0 && can_decode) {
      PyramidBand band = out.to_decode.front();
      out.to_decode.erase(out.to_decode.begin());
      for (std::size_t k = 0; k < band.from.size(); ++k) {
        for (int row = band.from[k]; row < band.to[k]; ++row) {
          if (k > 0) {
            // The level above must still hold both rows this one is made from.
            const int last = geometry.level(static_cast<int>(k) - 1).height - 1;
            REQUIRE(rings.holds(static_cast<int>(k) - 1, 2 * row));
            REQUIRE(rings.holds(static_cast<int>(k) - 1, std::min(2 * row + 1, last)));
          }
          rings.write(static_cast<int>(k), row);
        }
      }
      scheduler.on_band(band, out);
    } else if (pick == 1 && can_encode) {
      const std::size_t i = random() % out.to_encode.size();
      const TileTask task = out.to_encode[i];
      out.to_encode.erase(out.to_encode.begin() + static_cast<std::ptrdiff_t>(i));
      const Roi rect = geometry.tile_rect(task.level, task.col, task.row);
      for (int row = rect.y; row < rect.bottom(); ++row) REQUIRE(rings.holds(task.level, row));
      encoded.push_back(task);
    } else if (pick == 2 && can_deliver) {
      // Delivery is in sequence order: the lowest sequence encoded so far, if it is next.
      auto lowest = std::min_element(encoded.begin(), encoded.end(),
                                     [](auto& a, auto& b) { return a.sequence < b.sequence; });
      if (lowest->sequence != order.size()) continue;
      order.push_back(lowest->sequence);
      const TileTask task = *lowest;
      encoded.erase(lowest);
      scheduler.on_delivered(task, out);
    }
  }
  CHECK(scheduler.complete());
  CHECK(scheduler.tiles_delivered() == geometry.tile_count());
  return order;
}

}  // namespace

TEST_CASE("pyramid scheduler: any interleaving delivers every tile once with its rows intact") {
  struct Case {
    int width, height, tile, overlap, band, tokens;
  };
  const Case cases[] = {{1, 1, 254, 1, 64, 4},
                        {201, 75, 64, 3, 16, 3},
                        {75, 601, 16, 2, 8, 2},
                        {333, 1000, 32, 0, 5, 1},
                        {1000, 37, 8, 1, 64, 8}};
  for (const Case& c : cases) {
    for (PyramidLayout layout : {PyramidLayout::kDeepZoom, PyramidLayout::kIiif3}) {
      const int overlap = layout == PyramidLayout::kIiif3 ? 0 : c.overlap;
      const PyramidGeometry geometry(layout, c.width, c.height, c.tile, overlap);
      INFO(c.width << "x" << c.height << " tile " << c.tile << " overlap " << overlap);
      const auto first = run_interleaving(geometry, c.band, c.tokens, 1);
      CHECK(first.size() == geometry.tile_count());
      for (std::uint64_t seed = 2; seed < 6; ++seed) {
        CHECK(run_interleaving(geometry, c.band, c.tokens, seed) == first);
      }
    }
  }
}

TEST_CASE("pyramid scheduler: a tall image keeps a few bands per level, not the image") {
  std::atomic<bool> stop{false};
  const PyramidGeometry geometry(PyramidLayout::kDeepZoom, 512, 100000, 256, 1);
  PyramidScheduler scheduler(geometry, {64, 8}, stop);
  const std::vector<int> rows = scheduler.window_rows();
  std::int64_t window_pixels = 0;
  for (int k = 0; k < geometry.level_count(); ++k) {
    window_pixels += std::int64_t{rows[static_cast<std::size_t>(k)]} * geometry.level(k).width;
  }
  CHECK(rows.front() <= 2 * (256 + 2) + 66);
  CHECK(window_pixels < std::int64_t{512} * 100000 / 40);
}

}  // namespace tessera::detail
