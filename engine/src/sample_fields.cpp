#include "tessera/engine/sample_fields.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tessera {
namespace {

// The order tar_layout.cpp writes them in.
constexpr std::string_view kMetadataNames[] = {
    "source", "x", "y", "w", "h", "plan", "index", "job", "image_width", "image_height"};
constexpr std::string_view kLabel = "label";
constexpr std::string_view kCls = "cls";

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

// Serialised strictly: a string that is not UTF-8 is refused rather than mangled.
std::optional<std::string> json_text(const nlohmann::json& value) {
  try {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string describe(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return json_text(nlohmann::json(v)).value_or("a string that is not UTF-8");
        } else if constexpr (std::is_same_v<T, JsonText>) {
          return v.text.size() > 40 ? v.text.substr(0, 40) + "..." : v.text;
        } else {
          return fmt::format("{}", v);
        }
      },
      value);
}

std::optional<std::int64_t> integer_of(const FieldValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&value);
      u != nullptr && std::in_range<std::int64_t>(*u))
    return static_cast<std::int64_t>(*u);
  return std::nullopt;
}

nlohmann::json json_of(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, JsonText>) {
          return nlohmann::json::parse(v.text);
        } else {
          return nlohmann::json(v);
        }
      },
      value);
}

// Null when a string is not UTF-8 (or, from a library caller, JsonText is not JSON).
std::optional<std::string> member_text(const FieldValue& value) {
  try {
    return json_text(json_of(value));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Status add_label(SampleFields& fields, std::string_view name, const FieldValue& value) {
  const auto label = integer_of(value);
  if (!label) {
    return invalid(fmt::format(
        "\"{}\" must be an integer (the class number written as KEY.cls), found {}; put a class "
        "name in a field of another name, such as \"class_name\"",
        name, describe(value)));
  }
  if (fields.label && *fields.label != *label) {
    return invalid(
        fmt::format("\"label\" and \"cls\" name the same class number but differ ({} "
                    "and {}); give only one of them",
                    *fields.label, *label));
  }
  fields.label = *label;
  return {};
}

}  // namespace

std::span<const std::string_view> sample_metadata_names() {
  return kMetadataNames;
}

Status SampleFieldsBuilder::add(std::string_view name, const FieldValue& value) {
  if (name.empty()) return invalid("a field has an empty name");
  const auto quoted_name = json_text(nlohmann::json(name));
  if (!quoted_name) return invalid("a field name is not UTF-8 text; JSON needs UTF-8");
  if (std::find(std::begin(kMetadataNames), std::end(kMetadataNames), name) !=
      std::end(kMetadataNames)) {
    return invalid(fmt::format("field {} is one the sample's JSON writes itself ({}); rename it",
                               *quoted_name, fmt::join(kMetadataNames, ", ")));
  }
  if (std::find(fields_.names.begin(), fields_.names.end(), name) != fields_.names.end())
    return invalid(fmt::format("field {} appears twice", *quoted_name));
  if (const auto* number = std::get_if<double>(&value);
      number != nullptr && !std::isfinite(*number))
    return invalid(fmt::format("field {} is not a finite number", *quoted_name));

  if (name == kLabel || name == kCls) {
    if (Status s = add_label(fields_, name, value); !s) return s;
  } else {
    const auto text = member_text(value);
    if (!text)
      return invalid(fmt::format(
          "field {} holds text that is not UTF-8 (or JSON that does not parse); JSON needs UTF-8",
          *quoted_name));
    fields_.members += fmt::format(",{}:{}", *quoted_name, *text);
    if (fields_.members.size() > kMaxFieldBytes) {
      return invalid(fmt::format(
          "the fields take more than {} KiB of JSON; keep per-sample metadata small and put "
          "large data in a file of its own",
          kMaxFieldBytes / 1024));
    }
  }
  fields_.names.emplace_back(name);
  return {};
}

SharedFields SampleFieldsBuilder::finish() {
  if (fields_.names.empty()) return nullptr;
  return std::make_shared<const SampleFields>(std::exchange(fields_, SampleFields{}));
}

Status check_disjoint(const SampleFields& job, const SampleFields& crop) {
  // "label" and "cls" are one field under two names.
  const auto same = [](std::string_view a, std::string_view b) {
    const auto is_label = [](std::string_view n) { return n == kLabel || n == kCls; };
    return a == b || (is_label(a) && is_label(b));
  };
  for (const std::string& name : crop.names) {
    for (const std::string& other : job.names) {
      if (!same(name, other)) continue;
      return invalid(fmt::format(
          "field \"{}\" is given both for the whole line (as \"{}\") and by the ROI; give it in "
          "one place only",
          name, other));
    }
  }
  return {};
}

}  // namespace tessera
