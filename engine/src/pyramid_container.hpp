// Where a pyramid's files go: a directory tree or one stored (not deflated) zip archive.
// Either way every file is written into a temporary directory or file beside the output and
// the whole appears under its final names only at commit(), by rename; abort() (or the
// destructor) removes what was written. The output is locked for the container's life.
// Containers know paths and bytes only, nothing of tiles or levels.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

class PyramidContainer {
 public:
  virtual ~PyramidContainer() = default;
  // Adds one file at `path`, relative to the container's root ('/'-separated, no "..").
  // Called from one thread at a time.
  virtual Status add(std::string_view path, std::span<const std::uint8_t> bytes) = 0;
  // Makes sure directory `path` exists even if no file goes into it (a zip has no directory
  // entries, as dzsave's has none).
  virtual Status add_directory(std::string_view path) = 0;
  // Makes everything visible under its final names.
  virtual Status commit() = 0;
  virtual void abort() noexcept = 0;
};

struct ContainerPlan {
  // The final paths the container publishes. A directory container is one temporary
  // directory: either it becomes `outputs[0]` itself (`root_is_output`), or each top-level
  // entry in it moves to the directory beside it under the same name (DeepZoom's NAME.dzi
  // and NAME_files/), in the order listed, so the last one named appears last.
  std::vector<std::string> outputs;
  bool root_is_output = true;
  // A zip: `outputs[0]` is the archive, and every path added is stored under `zip_prefix`.
  bool zip = false;
  std::string zip_prefix;
  bool overwrite = false;
  std::string lock_path;  // held from open_container() until the container goes
};

// Checks that the outputs do not exist (unless overwrite), locks them and creates the temporary
// directory or file. Errors name the output and say what to do.
Result<std::unique_ptr<PyramidContainer>> open_container(const ContainerPlan& plan);

}  // namespace tessera::detail
