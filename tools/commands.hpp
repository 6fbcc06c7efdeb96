// The tessera subcommands, each a function from parsed arguments to an exit code:
// 0 everything written, 1 some jobs or crops failed (or the output failed), 2 a usage error,
// 130 interrupted. None of them parse argv; main.cpp does that with CLI11.
#pragma once

#include <string>
#include <vector>

#include "cli_options.hpp"

namespace tessera::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

int run_tile(const std::vector<std::string>& inputs, const PlanArgs& plan,
             const CommonArgs& common);
// The plan's --rois, --edge and --fill; its grid and random options are unused.
int run_crop(const std::string& input, const PlanArgs& plan, const CommonArgs& common);
int run_random(const std::vector<std::string>& inputs, const PlanArgs& plan,
               const CommonArgs& common);
int run_info(const std::vector<std::string>& inputs, bool json, std::uint64_t max_pixels, int page);
int run_demo(const CommonArgs& common);
// Writes the JSON index of tar shards to `out` (stdout when empty); `verify` reads them whole.
int run_index(const std::vector<std::string>& shards, bool verify, const std::string& out);
// `line_codec`: lines may set their own codec options (--allow-per-line-codec).
int run_manifest(const std::string& manifest, const PlanArgs& plan, const CommonArgs& common,
                 bool line_codec = false);

}  // namespace tessera::cli
