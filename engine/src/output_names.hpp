// Names for outputs on disk and in tar shards, shared by the directory and tar sinks: the
// stem of an input, name templates and sample keys. Nothing here may produce a name that
// leaves its directory or tar namespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/codecs/result.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::detail {

// Longest stem kept, so that stem plus coordinates still fits a key and a file name.
inline constexpr std::size_t kMaxStemLength = 100;

// The input's file name without directory and extension, with every character outside
// [A-Za-z0-9_-] replaced by '_': "/in/scan.v2.tif" -> "scan_v2", "-" -> "stdin".
std::string stem_of(std::string_view source);

// The crop's source stem; a crop without a job gets "input".
std::string stem_of(const CropResult& crop);

// The WebDataset key of a crop: its ROI key (checked, never rewritten) or, when it has none,
// "STEM_X_Y_W_H".
Result<std::string> sample_key(const CropResult& crop);

// A parsed name template such as "{stem}/{x}_{y}.{ext}".
class NameTemplate {
 public:
  // Rejects unknown placeholders, stray braces, absolute paths and "", "." or ".." components.
  static Result<NameTemplate> parse(std::string_view text);

  // The relative path for one crop. A key that is not a safe name is a kInvalidArgument error.
  Result<std::string> expand(const CropResult& crop) const;

 private:
  enum class Field : std::uint8_t { kLiteral, kStem, kJob, kIndex, kX, kY, kW, kH, kKey, kExt };
  struct Part {
    Field field = Field::kLiteral;
    std::string literal;
  };
  std::vector<Part> parts_;
};

// A relative path whose components are all non-empty, not "." or "..", and short enough
// for a file name; otherwise kInvalidArgument naming `path`.
Status check_relative_path(std::string_view path);

}  // namespace tessera::detail
