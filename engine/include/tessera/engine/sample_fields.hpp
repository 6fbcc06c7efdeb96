// Labels and extra fields that travel with a crop into its sample. "label" (or its WebDataset
// name "cls"), an integer, becomes the tar member KEY.cls; every other field is copied into
// KEY.json. Fields are checked and serialised once, when their ROI file or manifest line is
// read, then shared by every crop that carries them: nothing here runs per crop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera {

// A nested object or array, already serialised as JSON text.
struct JsonText {
  std::string text;
};

// The types a field may hold: null, a boolean, an integer, a number (finite), a string (UTF-8),
// or a nested object or array.
using FieldValue =
    std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, JsonText>;

struct SampleFields {
  std::optional<std::int64_t> label;  // "label" or "cls"
  std::vector<std::string> names;     // every field given, "label" and "cls" included
  // The other fields as JSON object members, each with a leading comma (",\"split\":\"val\""),
  // so that the sample's JSON appends them as they are.
  std::string members;
};

// Shared by every crop and job that carries the same fields; null when there are none.
using SharedFields = std::shared_ptr<const SampleFields>;

// More than this much JSON per entry is refused: a sample's KEY.json must stay small, since
// --resume reads it back (at most 64 KiB) and a loader parses one per sample.
inline constexpr std::size_t kMaxFieldBytes = 16 * 1024;

// The members the sample JSON writes itself; no field may take one of these names.
std::span<const std::string_view> sample_metadata_names();

// Checks and collects the fields of one entry (a ROI, a manifest line). Errors say what is
// wrong with which field; the caller adds where the entry is ("rois.csv:7: ...").
class SampleFieldsBuilder {
 public:
  // Refused: an empty or repeated name, a name of sample_metadata_names(), "label" or "cls"
  // that is not an integer, "label" and "cls" with different values, a string or name that is
  // not UTF-8, and fields past kMaxFieldBytes.
  Status add(std::string_view name, const FieldValue& value);
  // The fields added so far; null when there are none.
  SharedFields finish();

 private:
  SampleFields fields_;
};

// A job's fields and one of its crops' must not name the same field: which one would win is a
// guess, so the clash is an error that names the field.
Status check_disjoint(const SampleFields& job, const SampleFields& crop);

// A nested field value deeper than this is refused: serialising it recurses once per level.
inline constexpr int kMaxFieldDepth = 32;

// Whether `value` nests no more than `levels` objects or lists (recursion bounded by `levels`).
template <class Json>
bool nested_within(const Json& value, int levels) {
  if (!value.is_structured()) return true;
  if (levels == 0) return false;
  for (const auto& inner : value) {
    if (!nested_within(inner, levels - 1)) return false;
  }
  return true;
}

// A value of an nlohmann::json document (or any type with its interface) as a field value. A
// template so that this header does not depend on the JSON library.
template <class Json>
Result<FieldValue> field_value_of(const Json& value) {
  if (!nested_within(value, kMaxFieldDepth)) {
    return Error{ErrorCode::kInvalidArgument,
                 "a field's value nests objects or lists more than 32 levels deep"};
  }
  if (value.is_null()) return FieldValue(nullptr);
  if (value.is_boolean()) return FieldValue(value.template get<bool>());
  if (value.is_number_unsigned()) return FieldValue(value.template get<std::uint64_t>());
  if (value.is_number_integer()) return FieldValue(value.template get<std::int64_t>());
  if (value.is_number_float()) return FieldValue(value.template get<double>());
  if (value.is_string()) return FieldValue(value.template get<std::string>());
  return FieldValue(JsonText{value.dump()});
}

}  // namespace tessera
