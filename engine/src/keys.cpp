#include <algorithm>
#include <functional>
#include <iterator>
#include <numeric>
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
namespace {

std::string generated_key(std::string_view stem, const Roi& r, std::uint32_t index, bool shared) {
  return shared ? fmt::format("{}_{}_{}_{}_{}_i{}", stem, r.x, r.y, r.w, r.h, index)
                : fmt::format("{}_{}_{}_{}_{}", stem, r.x, r.y, r.w, r.h);
}

}  // namespace

std::string stem_of(std::string_view source) {
  if (source == "-") return "stdin";
  std::string stem(without_extension(split_path(source).name).substr(0, kMaxStemLength));
  for (char& c : stem) {
    if (!is_key_char(c)) c = '_';
  }
  return stem.empty() ? "input" : stem;
}

std::string stem_of(const CropResult& crop) {
  if (crop.job == nullptr) return "input";
  return crop.job->stem.empty() ? stem_of(crop.job->source) : crop.job->stem;
}

std::string StemRegistry::claim(std::string_view source, std::size_t job_index) {
  std::string stem = stem_of(source);
  const std::hash<std::string_view> hash;
  while (!used_.insert(hash(stem)).second) stem += fmt::format("_j{}", job_index);
  return stem;
}

namespace {

void mark_shared_positions(std::vector<PlannedCrop>& crops) {
  // Keyed crops count too: a template without {key} names them by position as well.
  std::vector<std::uint32_t> order(crops.size());
  std::iota(order.begin(), order.end(), 0u);
  // Stable, so the first crop in plan order at a position keeps today's name.
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::pair(crops[a].roi.x, crops[a].roi.y) < std::pair(crops[b].roi.x, crops[b].roi.y);
  });
  for (std::size_t i = 1; i < order.size(); ++i) {
    const Roi& here = crops[order[i]].roi;
    const Roi& before = crops[order[i - 1]].roi;
    crops[order[i]].shares_position = here.x == before.x && here.y == before.y;
  }
}

}  // namespace

Status mark_shared_names(std::vector<PlannedCrop>& crops, std::string_view stem) {
  mark_shared_positions(crops);
  const bool any_key = std::any_of(crops.begin(), crops.end(),
                                   [](const PlannedCrop& crop) { return !crop.key.empty(); });
  if (!any_key) return {};
  // Only ROI lists with keys get here, and they already hold every key in memory.
  std::vector<std::pair<std::string, std::uint32_t>> names;
  for (const PlannedCrop& crop : crops) {
    if (!crop.key.empty()) {
      names.emplace_back(crop.key, crop.index);
    } else {
      names.emplace_back(generated_key(stem, crop.roi, crop.index, crop.shares_position),
                         crop.index);
      names.emplace_back(std::to_string(crop.index), crop.index);
    }
  }
  std::stable_sort(names.begin(), names.end());
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (names[i].first != names[i - 1].first) continue;
    return invalid(fmt::format(
        "ROI {} and ROI {} would both be named {} (a repeated key, or a key equal to the name "
        "of a crop without a key); give each ROI its own key",
        names[i - 1].second, names[i].second, quoted(names[i].first)));
  }
  return {};
}

Result<std::string> sample_key(const CropResult& crop) {
  if (!crop.key.empty()) return checked_key(crop.key);
  return tessera::generated_key(stem_of(crop), crop);
}

namespace {

constexpr std::string_view kAllowedFields =
    "{stem} {job} {index} {x} {y} {w} {h} {col} {row} {key} {ext}";

Status check_whole_template(std::string_view text) {
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
  return {};
}

// Tracks the literal text of the current path component, to reject "", "." and "..".
class ComponentCheck {
 public:
  explicit ComponentCheck(std::string_view text) : text_(text) {}
  void add_field() { has_field_ = true; }
  void add_literal(char c) { literal_ += c; }
  Status end() {
    if (!has_field_ && (literal_.empty() || literal_ == "." || literal_ == "..")) {
      return invalid(fmt::format(
          "the name template {} has an empty, \".\" or \"..\" path component; outputs must stay "
          "inside the output directory",
          quoted(text_)));
    }
    literal_.clear();
    has_field_ = false;
    return {};
  }

 private:
  std::string_view text_;
  std::string literal_;
  bool has_field_ = false;
};

// The length of the placeholder "{name}" at text[at] (braces included), or 0 if it is unknown.
std::size_t placeholder_length(std::string_view text, std::size_t at) {
  const auto close = text.find('}', at);
  return close == std::string_view::npos ? 0 : close - at + 1;
}

Error unknown_placeholder(std::string_view text, std::size_t at) {
  const std::size_t length = placeholder_length(text, at);
  return invalid(fmt::format("the name template {} has an unknown placeholder at {}; use {}",
                             quoted(text), quoted(text.substr(at, length == 0 ? 1 : length)),
                             kAllowedFields));
}

}  // namespace

Result<NameTemplate> NameTemplate::parse(std::string_view text) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"stem", Field::kStem}, {"job", Field::kJob}, {"index", Field::kIndex}, {"x", Field::kX},
      {"y", Field::kY},       {"w", Field::kW},     {"h", Field::kH},         {"col", Field::kCol},
      {"row", Field::kRow},   {"key", Field::kKey}, {"ext", Field::kExt},
  };
  if (Status s = check_whole_template(text); !s) return std::move(s).error();
  NameTemplate result;
  ComponentCheck component(text);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{') {
      const std::size_t length = placeholder_length(text, i);
      const auto name = length < 2 ? std::string_view{} : text.substr(i + 1, length - 2);
      const auto* found = std::find_if(std::begin(kFields), std::end(kFields),
                                       [&](const auto& field) { return field.first == name; });
      if (found == std::end(kFields)) return unknown_placeholder(text, i);
      result.parts_.push_back(Part{found->second, {}});
      component.add_field();
      i += length - 1;
      continue;
    }
    if (c == '}') {
      return invalid(fmt::format("the name template {} has a '}}' without '{{'; use {}",
                                 quoted(text), kAllowedFields));
    }
    if (c == '/') {
      if (Status s = component.end(); !s) return std::move(s).error();
    } else {
      component.add_literal(c);
    }
    if (result.parts_.empty() || result.parts_.back().field != Field::kLiteral) {
      result.parts_.push_back(Part{Field::kLiteral, {}});
    }
    result.parts_.back().literal += c;
  }
  if (Status s = component.end(); !s) return std::move(s).error();
  result.text_ = text;
  return result;
}

bool NameTemplate::has(Field field) const {
  return std::any_of(parts_.begin(), parts_.end(),
                     [&](const Part& part) { return part.field == field; });
}

bool NameTemplate::names_job() const {
  return has(Field::kStem) || has(Field::kJob);
}

bool NameTemplate::names_crop() const {
  return has(Field::kIndex) || has(Field::kKey) || (has(Field::kX) && has(Field::kY)) ||
         (has(Field::kCol) && has(Field::kRow));
}

Status NameTemplate::check_several_jobs() const {
  if (names_job()) return {};
  return invalid(fmt::format(
      "the name template {} names no input, so the crops of one image would overwrite those of "
      "another; add {{stem}} or {{job}} to --name",
      quoted(text_)));
}

Status NameTemplate::check_plan(const JobInfo& job, std::span<const PlannedCrop> crops) const {
  if (job.index > 0) {
    if (Status s = check_several_jobs(); !s) return s;
  }
  if (crops.size() > 1 && !names_crop()) {
    return invalid(fmt::format(
        "the name template {} names no crop, so all {} crops of this image would get one name; "
        "add {{index}}, {{key}} or {{x}} and {{y}} to --name",
        quoted(text_), crops.size()));
  }
  const bool grid = std::all_of(crops.begin(), crops.end(),
                                [](const PlannedCrop& crop) { return crop.col >= 0; });
  if ((has(Field::kCol) || has(Field::kRow)) && !grid) {
    return invalid(fmt::format(
        "the name template {} uses {{col}} or {{row}}, which only grid tiles have; use {{x}} and "
        "{{y}} or {{index}} for ROI lists and random crops",
        quoted(text_)));
  }
  return {};
}

Status check_directory_plan(const NameTemplate& names, const JobInfo& job,
                            std::span<const PlannedCrop> crops) {
  const SampleFields* fields = job.fields.get();
  for (std::size_t i = 0; fields == nullptr && i < crops.size(); ++i)
    fields = crops[i].fields.get();
  if (fields != nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("its crops carry a label or extra fields ({}), which a directory of "
                             "image files cannot hold; write tar shards (-o NAME.tar), where they "
                             "become KEY.cls and KEY.json, or remove the fields",
                             fmt::join(fields->names, ", "))};
  }
  return names.check_plan(job, crops);
}

std::string NameTemplate::suffix_for(const CropResult& crop) const {
  // {index} is unique in a job, and so is {key} (a keyless crop's is its index, and keys are
  // checked by mark_shared_names); otherwise a crop that shares its position needs its index.
  if (!crop.shares_position || has(Field::kIndex) || has(Field::kKey)) return {};
  return fmt::format("_i{}", crop.index);
}

namespace {

// "a/b.jpg" + "_i3" -> "a/b_i3.jpg"; a last component without an extension gets it at its end.
void insert_before_extension(std::string& path, std::string_view suffix) {
  const auto slash = path.rfind('/');
  const std::size_t start = slash == std::string::npos ? 0 : slash + 1;
  const auto dot = path.rfind('.');
  const bool has_extension = dot != std::string::npos && dot > start;
  path.insert(has_extension ? dot : path.size(), suffix);
}

}  // namespace

Result<std::string> NameTemplate::expand(const CropResult& crop) const {
  std::string path;
  for (const Part& part : parts_) {
    switch (part.field) {
      case Field::kLiteral: path += part.literal; break;
      case Field::kStem: path += stem_of(crop); break;
      case Field::kJob: path += std::to_string(crop.job == nullptr ? 0 : crop.job->number()); break;
      case Field::kIndex: path += std::to_string(crop.index); break;
      case Field::kX: path += std::to_string(crop.roi.x); break;
      case Field::kY: path += std::to_string(crop.roi.y); break;
      case Field::kW: path += std::to_string(crop.roi.w); break;
      case Field::kH: path += std::to_string(crop.roi.h); break;
      case Field::kCol: path += std::to_string(crop.col); break;
      case Field::kRow: path += std::to_string(crop.row); break;
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
  if (const std::string suffix = suffix_for(crop); !suffix.empty()) {
    insert_before_extension(path, suffix);
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

std::string generated_key(std::string_view prefix, const CropResult& crop) {
  return detail::generated_key(prefix, crop.roi, crop.index, crop.shares_position);
}

}  // namespace tessera
