// `tessera plan COMMAND ...`: the crops a run of COMMAND would write, one line per crop on
// stdout (CSV with a header, or JSON lines), named by the engine's own naming code through the
// same job sources and sink decorators as the run; nothing is written and no pixel decoded.
#pragma once

#include <cstdio>
#include <string>

#include "cli_options.hpp"
#include "job_sources.hpp"
#include "tessera/engine/dry_run.hpp"

namespace tessera::cli {

// The columns of the listing, in order.
inline constexpr const char* kPlanColumns[] = {"source", "job", "index", "x",     "y",
                                               "w",      "h",   "key",   "shard", "output"};

// One crop's line: CSV (fields quoted when they hold a comma, quote or line break) or a JSON
// object with the same fields, without its line break.
std::string plan_csv_line(const CropResult& crop, const ListedName& name);
std::string plan_json_line(const CropResult& crop, const ListedName& name);

struct ListSetup {
  std::string command;
  std::string default_template;  // for -o DIR without --name
  bool several_jobs = false;
  const JobNotes* notes = nullptr;  // manifest runs: key prefixes and line numbers
};

// Lists the jobs of `source` for `output` (already renamed for --shard) to `out`; failures
// and warnings, then a one-line summary, go to stderr. Returns the exit code: 0, 1 when a job
// or crop would fail, 2 for a bad option.
int list_plan(JobSource& source, const OutputArgs& output, const CommonArgs& common,
              const ListSetup& setup, std::FILE* out);

}  // namespace tessera::cli
