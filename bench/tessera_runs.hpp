// The tessera side of tessera_e2e. Each function is the whole body of one forked child: it
// measures one variant `repeat` times and returns its figures as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "e2e_options.hpp"

namespace tessera::bench {

// Generates the demo image and writes it, encoded as JPEG q95 4:4:4 or PNG, to path.
nlohmann::json generate_input(const E2eOptions& options, const std::string& path);

// D: single-thread whole-image decode (the first into fresh memory, then warm), and
// E: the sum of single-thread encode times of every planned crop, as views into that image.
nlohmann::json measure_decode_and_encode(const E2eOptions& options, const std::string& path);

// W: wall time of Engine::run into a NullSink with the given threads.
nlohmann::json measure_engine(const E2eOptions& options, const std::string& path, int threads);

}  // namespace tessera::bench
