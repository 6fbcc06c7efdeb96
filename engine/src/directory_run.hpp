// Taking a directory output for one run: its lock, its run record (.tessera-run.json) and,
// when an earlier run is replaced, removing that run's files. A file is the earlier run's only
// if its path matches the name template that run recorded; nothing else is ever removed.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "posix_io.hpp"
#include "tessera/codecs/result.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera::detail {

struct DirectoryClaim {
  std::optional<OutputLock> lock;  // held for the whole run
  std::string record_path;         // empty: no run record (no run description given)
  nlohmann::json run;
};

// Locks `directory` and checks its record against this run (see claim_output()); replaces
// or resumes the earlier run as decided, and records this run before any output is written.
Result<DirectoryClaim> claim_directory(const std::string& directory,
                                       const DirectorySinkOptions& options);

// Whether the finished file at `path` can be kept by --resume: a regular file, not empty,
// whose image header decodes.
bool valid_output_file(const std::string& path);

}  // namespace tessera::detail
