// SIGINT and SIGTERM set one flag that the engine polls (EngineOptions::cancel); the run then
// stops, the sink removes partial outputs and tessera exits with 130. Nothing else happens
// inside the handler: storing to a lock-free atomic is all a handler may safely do.
#pragma once

#include <atomic>

namespace tessera::cli {

// Installs the handlers once and returns the flag they set.
const std::atomic<bool>& install_interrupt_handlers();

}  // namespace tessera::cli
