// Runs jobs through the flow graph. This is the only place that knows about TBB.
#pragma once

#include "tessera/engine/engine.hpp"

namespace tessera::detail {

RunStats run_graph(JobSource& source, Sink& sink, const EngineOptions& options);

}  // namespace tessera::detail
