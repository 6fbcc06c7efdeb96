// Names for outputs on disk and in tar shards, shared by the directory and tar sinks: the
// stem of an input, name templates and sample keys. Nothing here may produce a name that
// leaves its directory or tar namespace.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tessera/codecs/result.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::detail {

// Longest stem kept, so that stem plus coordinates still fits a key and a file name.
inline constexpr std::size_t kMaxStemLength = 100;

// The input's file name without directory and extension, with every character outside
// [A-Za-z0-9_-] replaced by '_': "/in/scan.v2.tif" -> "scan_v2", "-" -> "stdin".
std::string stem_of(std::string_view source);

// The crop's job stem (JobInfo::stem, unique in the run); a crop without a job gets "input".
std::string stem_of(const CropResult& crop);

// Gives each job of a run a stem no earlier job has: the input's stem, or, when an earlier job
// already has it, that stem with "_j<job index>" appended (repeatedly, in the rare case that
// the result is taken too). Called once per job, in job order, so names are the same on every
// run and thread count. Memory: one 64-bit hash per job, never per crop; a hash collision only
// adds a suffix that was not needed.
class StemRegistry {
 public:
  std::string claim(std::string_view source, std::size_t job_index);

 private:
  std::unordered_set<std::uint64_t> used_;
};

// Within one job: marks crops whose position (x, y) an earlier crop already has, so
// that their names carry their index, and refuses ROI keys that repeat or equal a name the job
// generates for a keyless crop ("STEM_X_Y_W_H" or its index), naming both ROIs.
Status mark_shared_names(std::vector<PlannedCrop>& crops, std::string_view stem);

// The WebDataset key of a crop: its ROI key (checked, never rewritten) or, when it has none,
// "STEM_X_Y_W_H", with "_i<index>" when the crop shares its position.
Result<std::string> sample_key(const CropResult& crop);

// A parsed name template such as "{stem}/{x}_{y}.{ext}".
class NameTemplate {
 public:
  // Rejects unknown placeholders, stray braces, absolute paths and "", "." or ".." components.
  static Result<NameTemplate> parse(std::string_view text);

  // Whether names tell jobs apart ({stem} or {job}), and the crops of one job apart ({index},
  // {key}, both {col} and {row}, or both {x} and {y}, with "_i<index>" added where positions
  // repeat).
  bool names_job() const;
  bool names_crop() const;

  // Refuses the template for a run of several jobs when it names no job.
  Status check_several_jobs() const;

  // Refuses a job whose crops this template would give one name: a template that names no job,
  // for any job but the first of the run, and one that names no crop, for a plan of several
  // crops; and {col} or {row} for crops that are not grid tiles. The message says what to use.
  Status check_plan(const JobInfo& job, std::span<const PlannedCrop> crops) const;

  // The relative path for one crop. A key that is not a safe name is a kInvalidArgument error.
  // A crop that shares its position gets "_i<index>" before the last component's extension,
  // unless the template has {index} or {key}, which already tell it apart.
  Result<std::string> expand(const CropResult& crop) const;

 private:
  enum class Field : std::uint8_t {
    kLiteral,
    kStem,
    kJob,
    kIndex,
    kX,
    kY,
    kW,
    kH,
    kCol,
    kRow,
    kKey,
    kExt
  };
  struct Part {
    Field field = Field::kLiteral;
    std::string literal;
  };
  bool has(Field field) const;
  std::string suffix_for(const CropResult& crop) const;
  std::vector<Part> parts_;
  std::string text_;
};

// What a directory of image files can hold, checked before a job is encoded (by the directory
// sink and by `tessera plan`'s namer alike): crops without a label or extra fields, which would
// be lost without a word, each under a name of its own (NameTemplate::check_plan).
Status check_directory_plan(const NameTemplate& names, const JobInfo& job,
                            std::span<const PlannedCrop> crops);

// A relative path whose components are all non-empty, not "." or "..", and short enough
// for a file name; otherwise kInvalidArgument naming `path`.
Status check_relative_path(std::string_view path);

}  // namespace tessera::detail
