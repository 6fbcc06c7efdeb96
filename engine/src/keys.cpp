#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "output_names.hpp"
#include "posix_io.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera {

namespace {

constexpr std::size_t kMaxKeyLength = 200;
// POSIX NAME_MAX on every file system tessera targets.
constexpr std::size_t kMaxComponentLength = 255;
constexpr std::size_t kMaxQuotedLength = 60;

bool is_key_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Keys come from untrusted ROI files: the message shows a bounded, printable version.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuotedLength; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += text.size() > kMaxQuotedLength ? "\"..." : "\"";
  return out;
}

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

std::string_view without_extension(std::string_view name) {
  const auto dot = name.find_last_of('.');
  // A leading dot marks a hidden file, not an extension.
  return dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

Result<std::string> checked_key(std::string_view key) {
  bool safe = !key.empty() && key.size() <= kMaxKeyLength;
  for (char c : key) safe = safe && is_key_char(c);
  if (safe) return std::string(key);
  return invalid(fmt::format(
      "key {} is not allowed: a key is 1 to {} characters from A-Z, a-z, 0-9, '_' and '-' "
      "(no dots, slashes or spaces); rename it in the ROI file",
      quoted(key), kMaxKeyLength));
}

namespace detail {

std::string stem_of(std::string_view source) {
  if (source == "-") return "stdin";
  std::string stem(without_extension(split_path(source).name).substr(0, kMaxStemLength));
  for (char& c : stem) {
    if (!is_key_char(c)) c = '_';
  }
  return stem.empty() ? "input" : stem;
}

std::string stem_of(const CropResult& crop) {
  return crop.job == nullptr ? std::string("input") : stem_of(crop.job->source);
}

Result<std::string> sample_key(const CropResult& crop) {
  if (!crop.key.empty()) return checked_key(crop.key);
  const Roi& r = crop.roi;
  return fmt::format("{}_{}_{}_{}_{}", stem_of(crop), r.x, r.y, r.w, r.h);
}

Result<NameTemplate> NameTemplate::parse(std::string_view text) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"stem", Field::kStem}, {"job", Field::kJob}, {"index", Field::kIndex},
      {"x", Field::kX},       {"y", Field::kY},     {"w", Field::kW},
      {"h", Field::kH},       {"key", Field::kKey}, {"ext", Field::kExt},
  };
  const std::string allowed = "{stem} {job} {index} {x} {y} {w} {h} {key} {ext}";
  if (text.empty())
    return invalid("the name template is empty; use for example {stem}/{x}_{y}.{ext}");
  if (text.find('\0') != std::string_view::npos) {
    return invalid(fmt::format("the name template {} contains a NUL byte", quoted(text)));
  }
  if (text.front() == '/') {
    return invalid(
        fmt::format("the name template {} is absolute; it must be relative to the output directory",
                    quoted(text)));
  }

  NameTemplate result;
  std::string component;  // literal text of the current path component, to reject "." and ".."
  bool component_has_field = false;
  auto end_component = [&]() -> Status {
    if (!component_has_field && (component.empty() || component == "." || component == "..")) {
      return invalid(fmt::format(
          "the name template {} has an empty, \".\" or \"..\" path component; outputs must stay "
          "inside the output directory",
          quoted(text)));
    }
    component.clear();
    component_has_field = false;
    return {};
  };

  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{') {
      const auto close = text.find('}', i);
      const auto name =
          close == std::string_view::npos ? std::string_view{} : text.substr(i + 1, close - i - 1);
      const auto* found = std::find_if(std::begin(kFields), std::end(kFields),
                                       [&](const auto& field) { return field.first == name; });
      if (close == std::string_view::npos || found == std::end(kFields)) {
        return invalid(fmt::format(
            "the name template {} has an unknown placeholder at {}; use {}", quoted(text),
            quoted(text.substr(i, close == std::string_view::npos ? 1 : close - i + 1)), allowed));
      }
      result.parts_.push_back(Part{found->second, {}});
      component_has_field = true;
      i = close + 1;
      continue;
    }
    if (c == '}') {
      return invalid(fmt::format("the name template {} has a '}}' without '{{'; use {}",
                                 quoted(text), allowed));
    }
    if (c == '/') {
      if (Status s = end_component(); !s) return std::move(s).error();
    } else {
      component += c;
    }
    if (result.parts_.empty() || result.parts_.back().field != Field::kLiteral) {
      result.parts_.push_back(Part{Field::kLiteral, {}});
    }
    result.parts_.back().literal += c;
    ++i;
  }
  if (Status s = end_component(); !s) return std::move(s).error();
  return result;
}

Result<std::string> NameTemplate::expand(const CropResult& crop) const {
  std::string path;
  for (const Part& part : parts_) {
    switch (part.field) {
      case Field::kLiteral: path += part.literal; break;
      case Field::kStem: path += stem_of(crop); break;
      case Field::kJob: path += std::to_string(crop.job == nullptr ? 0 : crop.job->index); break;
      case Field::kIndex: path += std::to_string(crop.index); break;
      case Field::kX: path += std::to_string(crop.roi.x); break;
      case Field::kY: path += std::to_string(crop.roi.y); break;
      case Field::kW: path += std::to_string(crop.roi.w); break;
      case Field::kH: path += std::to_string(crop.roi.h); break;
      case Field::kExt: path += file_extension(crop.format); break;
      case Field::kKey: {
        if (crop.key.empty()) {
          path += std::to_string(crop.index);
          break;
        }
        auto key = checked_key(crop.key);
        if (!key) return std::move(key).error();
        path += *key;
        break;
      }
    }
  }
  // The template was checked at parse time; this guards the invariant, not the input.
  if (Status s = check_relative_path(path); !s) return std::move(s).error();
  return path;
}

Status check_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/') {
    return invalid(fmt::format("output name {} is not a relative path", quoted(path)));
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = std::min(path.find('/', start), path.size());
    const auto component = path.substr(start, slash - start);
    if (component.empty() || component == "." || component == "..") {
      return invalid(
          fmt::format("output name {} has an empty, \".\" or \"..\" component and could leave the "
                      "output directory",
                      quoted(path)));
    }
    if (component.size() > kMaxComponentLength) {
      return invalid(fmt::format(
          "output name {} has a component longer than {} bytes; use a shorter key or template",
          quoted(path), kMaxComponentLength));
    }
    start = slash + 1;
  }
  return {};
}

}  // namespace detail
}  // namespace tessera
