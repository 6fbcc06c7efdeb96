// The OpenCV side of tessera_e2e: cv::imread of the file, then cv::imencode per ROI, either in
// one loop (naive) or across c std::threads taking ROIs from an atomic index (parallel).
// cv::setNumThreads(0) is called first so OpenCV's own pool never competes with those threads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "e2e_options.hpp"

namespace tessera::bench {

// threads == 1: the naive sequential loop; more: the parallel loop. Body of one forked child.
nlohmann::json measure_opencv(const E2eOptions& options, const std::string& path, int threads);

// Encodes a few spot crops on both sides, decodes them again with tessera's decoder and compares
// bytes and pixels; also counts the crops tessera's engine delivers. Body of one forked child.
nlohmann::json check_equality(const E2eOptions& options, const std::string& path, int threads);

}  // namespace tessera::bench
