// The pyramid's flow graph, top to bottom:
//
//   decode_band ─► encode_tile ×N ─► deliver
//        ▲              ▲               │
//        └──── scheduler decisions ─────┘
//
// One decode step at a time adds a band to every level; tiles of all levels feed the same
// encode node; delivery writes them in one fixed order and gives back their buffers and rows,
// which may start the next band or more tiles. The node bodies only forward to named functions
// (pyramid_steps.cpp) and to the PyramidScheduler.
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include "pyramid_run.hpp"

namespace tessera::detail {
namespace {

namespace flow = oneapi::tbb::flow;

// Index 0: tiles to encode; 1: bands to decode.
using Outputs = std::tuple<TileTask, PyramidBand>;

template <class Ports>
class PortOutlet final : public PyramidOutlet {
 public:
  explicit PortOutlet(Ports& ports) : ports_(ports) {}
  void encode(const TileTask& task) override { std::get<0>(ports_).try_put(task); }
  void decode(const PyramidBand& band) override { std::get<1>(ports_).try_put(band); }

 private:
  Ports& ports_;
};

void build_and_run(PyramidRun& run) {
  flow::graph g;
  oneapi::tbb::enumerable_thread_specific<TileEncoder> encoders;
  using Control = flow::multifunction_node<PyramidBand, Outputs>;
  using Deliver = flow::multifunction_node<TileDone, Outputs>;

  // serial (the scheduler sends one band at a time); owns the decoder and the rows it writes.
  Control decode_node(g, flow::serial, [&](const PyramidBand& band, Control::output_ports_type& p) {
    run.check_cancel();
    if (Status s = decode_band(run, band); !s) run.fail(std::move(s).error());
    PortOutlet out(p);
    run.scheduler.on_band(band, out);
  });
  // unlimited; bounded by the buffers in flight. Owns the tile's buffer until delivery.
  flow::function_node<TileTask, TileDone> encode_node(
      g, flow::unlimited, [&](const TileTask& task) { return encoders.local().encode(run, task); });
  // serial; the only writer of the container.
  Deliver deliver_node(g, flow::serial, [&](TileDone done, Deliver::output_ports_type& p) {
    run.check_cancel();
    PortOutlet out(p);
    deliver_in_order(run, std::move(done),
                     [&](const TileTask& task) { run.scheduler.on_delivered(task, out); });
  });

  flow::make_edge(flow::output_port<0>(decode_node), encode_node);
  flow::make_edge(flow::output_port<1>(decode_node), decode_node);
  flow::make_edge(encode_node, deliver_node);
  flow::make_edge(flow::output_port<0>(deliver_node), encode_node);
  flow::make_edge(flow::output_port<1>(deliver_node), decode_node);

  struct StartOutlet final : PyramidOutlet {
    explicit StartOutlet(Control& node) : decode_node(node) {}
    void encode(const TileTask& /*task*/) override {}  // nothing is ready before a band
    void decode(const PyramidBand& band) override { decode_node.try_put(band); }
    Control& decode_node;
  } start(decode_node);
  run.scheduler.start(start);
  g.wait_for_all();
}

}  // namespace

void run_pyramid_graph(PyramidRun& run, int threads) {
  // TBB caps workers at the core count unless told otherwise; -j 8 on 2 cores means 8.
  oneapi::tbb::global_control allow(
      oneapi::tbb::global_control::max_allowed_parallelism,
      static_cast<std::size_t>(std::max(threads, oneapi::tbb::info::default_concurrency())));
  oneapi::tbb::task_arena arena(threads);
  arena.execute([&] { build_and_run(run); });
}

}  // namespace tessera::detail
