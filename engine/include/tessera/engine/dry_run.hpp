// What a run would write, without writing it or decoding a pixel (`tessera plan`): each job's
// header is read, its crops are planned, checked and named by the same code a run uses, and
// handed to a sink with empty bytes in the order a run delivers them. The namers below name
// each crop as the directory and tar sinks would, and write nothing: no directory, lock or
// run record is created.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "tessera/codecs/result.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera {

// A crop's name in the output.
struct ListedName {
  std::string key;    // tar output: the sample key; empty for a directory
  std::string shard;  // tar output: the shard file; empty when it depends on encoded sizes
                      // (--shard-size in bytes) or on a shuffle, "-" for stdout
  std::string path;   // directory: DIR/relative path; tar output: the image member KEY.EXT
};

using NameListener = std::function<void(const CropResult&, const ListedName&)>;

// Checks the template as make_directory_sink() does, and names as its sink names.
Result<std::unique_ptr<Sink>> make_directory_namer(const DirectorySinkOptions& options,
                                                   NameListener listener);
// Names samples as make_tar_sink() does. Shard names need a sample limit or no limit.
Result<std::unique_ptr<Sink>> make_tar_namer(const TarSinkOptions& options, NameListener listener);

struct ListStats {
  std::size_t jobs = 0;
  std::size_t jobs_failed = 0;
  std::size_t jobs_warned = 0;  // their plan leaves part of the image uncovered
  std::size_t crops = 0;
  std::size_t crops_failed = 0;  // a name the sink refused (kInvalidArgument)
};

// Opens every job of `jobs` for its header only and calls the sink as a run would: on_warning
// with the coverage warning, on_failure for a job that cannot be read or planned or whose
// names the sink refuses (check_plan), consume() per crop with empty bytes, in delivery
// order. Another error from consume() stops the listing and is returned.
Result<ListStats> list_crops(JobSource& jobs, Sink& sink, const EngineOptions& options = {});

}  // namespace tessera
