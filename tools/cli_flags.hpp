// The flags that several commands share (codec, output, engine and run options, plans), each
// group added to a CLI11 command by one function, so that every command spells them alike.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_options.hpp"

namespace tessera::cli {

void add_encode_options(CLI::App& app, EncodeArgs& args);
void add_output_options(CLI::App& app, OutputArgs& args);
void add_engine_options(CLI::App& app, RunArgs& args);
// The engine options, then the run's limits, input handling and reports (--max-pixels,
// --skip-blank, --auto-orient, --page, --quiet, --json, ...).
void add_run_options(CLI::App& app, RunArgs& args);
// tile, crop and random only; after add_encode_options, whose -q and --subsampling it excludes.
void add_lossless_option(CLI::App& app, EncodeArgs& args);
// Codec, output and run options together, as every crop command takes them.
void add_common(CLI::App& app, CommonArgs& args);
void add_grid_options(CLI::App& app, PlanArgs& plan, bool required);
void add_random_options(CLI::App& app, PlanArgs& plan, bool required);

}  // namespace tessera::cli
