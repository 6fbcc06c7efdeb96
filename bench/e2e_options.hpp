// Command-line options of tessera_e2e and the codec settings derived from them, for both
// sides of the comparison. Both sides' settings come from this one place so they cannot drift.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/plan.hpp"

namespace tessera::bench {

struct E2eOptions {
  std::string input;  // empty: generate the demo image
  OutputFormat input_format =
      OutputFormat::kJpeg;  // of the generated input: jpeg (q95 4:4:4) or png
  int size = 8192;          // side of the generated square image
  bool keep_input = false;  // keep the generated file (its path is printed)
  int tile = 256;
  int overlap = 0;  // grid overlap in pixels: stride = tile - overlap
  EdgePolicy edge = EdgePolicy::kDrop;
  std::size_t random_count = 0;  // > 0: random crops instead of the grid
  int random_min = 64;
  int random_max = 512;
  std::uint64_t seed = 1;
  OutputFormat format = OutputFormat::kJpeg;
  int quality = 90;
  JpegSubsampling subsampling = JpegSubsampling::k420;
  int png_level = 6;
  ZlibStrategy png_strategy = ZlibStrategy::kDefault;
  PngFilter png_filter = PngFilter::kAdaptive;
  PngEncoderLibrary png_encoder = PngEncoderLibrary::kLibdeflate;
  int repeat = 3;
  int threads = 0;   // 0: every core
  std::string json;  // write every figure here when set
};

// Parses argv; on --help or a bad argument prints the reason and returns nullopt with exit_code
// set.
std::optional<E2eOptions> parse_options(int argc, char** argv, int& exit_code);

EncodeOptions tessera_encode_options(const E2eOptions& options);
PlanSpec plan_spec(const E2eOptions& options);

// cv::imencode's extension and parameters for the same settings.
std::string opencv_extension(const E2eOptions& options);
std::vector<int> opencv_params(const E2eOptions& options);

// One line per side naming every setting that affects the bytes.
std::string describe_tessera_settings(const E2eOptions& options);
std::string describe_opencv_settings(const E2eOptions& options);
// Empty when both sides encode with equal settings, else why they cannot.
std::string settings_mismatch(const E2eOptions& options);

}  // namespace tessera::bench
