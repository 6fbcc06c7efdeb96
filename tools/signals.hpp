// SIGINT and SIGTERM set one flag that the engine polls (EngineOptions::cancel); the run then
// stops, the sink removes partial outputs and tessera exits with 130. Nothing else happens
// inside the handler: storing to a lock-free atomic is all a handler may safely do.
#pragma once

#include <atomic>

namespace tessera::cli {

// Installs the handlers once and returns the flag they set.
const std::atomic<bool>& install_interrupt_handlers();

// Past the file-size limit (ulimit -f) the kernel sends SIGXFSZ, which kills the process
// without a word. Ignored, the write fails with EFBIG instead, which is reported as an error
// naming the limit. Library users should do the same.
void ignore_file_size_signal();

}  // namespace tessera::cli
