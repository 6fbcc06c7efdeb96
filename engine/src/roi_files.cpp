// ROI files come from users and other tools, so every byte is untrusted: each problem becomes
// an Error naming the file and the line (CSV) or element (JSON), never an exception or a crash.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tessera/codecs/input.hpp"
#include "tessera/engine/plan.hpp"

namespace tessera {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kMaxQuotedChars = 40;
constexpr std::string_view kFieldNames[] = {"x", "y", "w", "h", "key"};

Error corrupt(std::string message) {
  return Error{ErrorCode::kCorruptData, std::move(message)};
}

std::string_view skip_bom(std::string_view text) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  return text;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// Field text echoed in a message is cut short and made printable, since it may be binary junk.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuotedChars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (text.size() > kMaxQuotedChars) out += "...";
  return out + "'";
}

// ---- CSV -----------------------------------------------------------------------------------

struct CsvLine {
  std::string_view source;
  std::size_t number = 0;  // 1-based, as editors show it
};

std::string at(const CsvLine& line) {
  return fmt::format("{}:{}", line.source, line.number);
}

Result<int> parse_int_field(std::string_view text, std::size_t field, const CsvLine& line) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return corrupt(fmt::format("{}: {} value {} is out of range; it must fit in a 32-bit integer",
                               at(line), kFieldNames[field], quoted(text)));
  }
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return corrupt(fmt::format("{}: {} must be an integer, found {}", at(line), kFieldNames[field],
                               quoted(text)));
  }
  return value;
}

// Splits on commas into at most kMax fields; returns the total count so callers can report it.
constexpr std::size_t kMaxCsvFields = 5;

std::size_t split_fields(std::string_view text, std::string_view (&fields)[kMaxCsvFields]) {
  std::size_t count = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    if (count < kMaxCsvFields) fields[count] = trim(text.substr(0, comma));
    ++count;
    if (comma == std::string_view::npos) return count;
    text.remove_prefix(comma + 1);
  }
}

std::string_view unquote(std::string_view key) {
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') {
    key.remove_prefix(1);
    key.remove_suffix(1);
  }
  return key;
}

Status check_size(int value, std::string_view name, std::string_view prefix) {
  if (value >= 1) return {};
  return corrupt(fmt::format("{}: {} must be at least 1, found {}", prefix, name, value));
}

Result<RoiEntry> parse_csv_fields(const std::string_view (&fields)[kMaxCsvFields],
                                  std::size_t count, const CsvLine& line) {
  int values[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    auto value = parse_int_field(fields[i], i, line);
    if (!value) return std::move(value).error();
    values[i] = *value;
  }
  for (std::size_t i = 2; i < 4; ++i) {
    if (auto s = check_size(values[i], kFieldNames[i], at(line)); !s) return std::move(s).error();
  }
  RoiEntry entry;
  entry.roi = Roi{values[0], values[1], values[2], values[3]};
  if (count == kMaxCsvFields) entry.key = std::string(unquote(fields[4]));
  return entry;
}

bool same_name(std::string_view field, std::string_view name) {
  field = unquote(trim(field));
  return std::equal(field.begin(), field.end(), name.begin(), name.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

// A header may only be the first data line, and only a line made of the field names
// ("x,y,w,h[,key]", any case): a first line with a typo such as "1O,0,10,10" is data, and its
// error names the line instead of the region being dropped silently.
bool is_header(const std::string_view (&fields)[kMaxCsvFields], std::size_t count,
               bool first_data_line) {
  if (!first_data_line) return false;
  for (std::size_t i = 0; i < count; ++i) {
    if (!same_name(fields[i], kFieldNames[i])) return false;
  }
  return true;
}

Error no_regions(std::string_view source) {
  return corrupt(fmt::format("{}: no regions found; expected lines x,y,w,h[,key]", source));
}

// ---- JSON ----------------------------------------------------------------------------------

using Json = nlohmann::json;

// Streams the document instead of building a DOM, so a million-element list costs the
// RoiEntry vector and nothing more. Every callback returns false to stop at the first problem.
class RoiJsonReader final : public nlohmann::json_sax<Json> {
 public:
  RoiJsonReader(std::string_view source, RoiListSpec& out) : source_(source), out_(out) {}

  const std::optional<Error>& error() const { return error_; }

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t value) override { return integer(value); }
  bool number_unsigned(number_unsigned_t value) override { return integer(value); }
  bool number_float(number_float_t, const string_t&) override { return scalar("a fraction"); }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool string(string_t& value) override {
    if (skip_depth_ > 0 || depth_ != 2) return scalar("a string");
    if (field_ == kKeyField) {
      entry_.key = std::move(value);
      return mark_seen();
    }
    return scalar("a string");
  }

  bool start_object(std::size_t) override {
    if (skip_depth_ > 0 || depth_ == 2) return enter_skipped_or_fail("an object");
    if (depth_ != 1)
      return fail(fmt::format("{}: expected a list of objects, found an object", source_));
    depth_ = 2;
    entry_ = RoiEntry{};
    seen_ = 0;
    field_ = kNoField;
    return true;
  }

  bool key(string_t& name) override {
    if (skip_depth_ > 0) return true;
    field_ = kUnknownField;
    for (std::size_t i = 0; i < std::size(kFieldNames); ++i) {
      if (name == kFieldNames[i]) field_ = static_cast<int>(i);
    }
    if (field_ != kUnknownField && (seen_ & (1u << field_)) != 0) {
      return fail(fmt::format("{}: element {}: \"{}\" appears twice", source_, element(),
                              kFieldNames[field_]));
    }
    return true;
  }

  bool end_object() override {
    if (skip_depth_ > 0) return leave_skipped();
    depth_ = 1;
    for (int i = 0; i < 4; ++i) {
      if ((seen_ & (1u << i)) == 0) {
        return fail(
            fmt::format("{}: element {}: \"{}\" is missing; each element needs integer "
                        "x, y, w and h",
                        source_, element(), kFieldNames[i]));
      }
    }
    out_.rois.push_back(std::move(entry_));
    return true;
  }

  bool start_array(std::size_t) override {
    if (skip_depth_ > 0 || depth_ == 2) return enter_skipped_or_fail("a list");
    if (depth_ != 0)
      return fail(fmt::format("{}: element {} is a list; expected an object", source_, element()));
    depth_ = 1;
    return true;
  }

  bool end_array() override {
    if (skip_depth_ > 0) return leave_skipped();
    depth_ = 0;
    return true;
  }

  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // what() starts with "[json.exception.parse_error.101] "; the rest is the useful part.
    std::string_view what = ex.what();
    if (const std::size_t bracket = what.find("] ");
        !what.empty() && what.front() == '[' && bracket != std::string_view::npos) {
      what.remove_prefix(bracket + 2);
    }
    return fail(fmt::format("{}: not valid JSON: {}", source_, what));
  }

 private:
  static constexpr int kNoField = -1;
  static constexpr int kUnknownField = -2;
  static constexpr int kKeyField = 4;

  std::size_t element() const { return out_.rois.size(); }

  bool fail(std::string message) {
    if (!error_) error_ = corrupt(std::move(message));
    return false;
  }

  bool mark_seen() {
    seen_ |= 1u << field_;
    return true;
  }

  // Unknown members may hold anything, even nested values; known ones must be plain values.
  bool enter_skipped_or_fail(std::string_view what) {
    if (skip_depth_ > 0 || field_ == kUnknownField) {
      ++skip_depth_;
      return true;
    }
    return scalar(what);
  }

  bool leave_skipped() {
    --skip_depth_;
    return true;
  }

  bool scalar(std::string_view what) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) {
      return fail(fmt::format("{}: expected a list of objects, found {}", source_, what));
    }
    if (depth_ == 1) {
      return fail(
          fmt::format("{}: element {} is {}; expected an object {{\"x\":..,\"y\":..,"
                      "\"w\":..,\"h\":..}}",
                      source_, element(), what));
    }
    if (field_ == kUnknownField) return true;
    const bool wants_string = field_ == kKeyField;
    return fail(fmt::format("{}: element {}: \"{}\" must be {}, found {}", source_, element(),
                            kFieldNames[field_], wants_string ? "a string" : "an integer", what));
  }

  template <class Integer>
  bool integer(Integer value) {
    if (skip_depth_ > 0 || depth_ != 2 || field_ == kUnknownField || field_ == kKeyField) {
      return scalar("a number");
    }
    if (!std::in_range<int>(value)) {
      return fail(
          fmt::format("{}: element {}: \"{}\" value {} is out of range; it must fit in a "
                      "32-bit integer",
                      source_, element(), kFieldNames[field_], value));
    }
    const int v = static_cast<int>(value);
    const auto field = static_cast<std::size_t>(field_);
    if (field >= 2) {
      const std::string prefix = fmt::format("{}: element {}", source_, element());
      const std::string name = fmt::format("\"{}\"", kFieldNames[field]);
      if (auto s = check_size(v, name, prefix); !s) return fail(s.error().message);
    }
    int* const slots[] = {&entry_.roi.x, &entry_.roi.y, &entry_.roi.w, &entry_.roi.h};
    *slots[field] = v;
    return mark_seen();
  }

  std::string_view source_;
  RoiListSpec& out_;
  std::optional<Error> error_;
  RoiEntry entry_;
  int depth_ = 0;  // 0: top level, 1: inside the list, 2: inside an element
  int skip_depth_ = 0;
  int field_ = kNoField;
  unsigned seen_ = 0;
};

bool looks_like_json(std::string_view text) {
  const std::string_view body = trim(skip_bom(text));
  return !body.empty() && body.front() == '[';
}

// ---- files ---------------------------------------------------------------------------------

}  // namespace

Result<RoiListSpec> parse_roi_csv(std::string_view text, std::string_view source) {
  RoiListSpec spec;
  text = skip_bom(text);
  CsvLine line{source, 0};
  bool first_data_line = true;
  std::string_view fields[kMaxCsvFields];
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line.number;

    const std::string_view content = trim(raw);
    if (content.empty() || content.front() == '#') continue;
    const std::size_t count = split_fields(content, fields);
    if (count != 4 && count != kMaxCsvFields) {
      return corrupt(
          fmt::format("{}: expected 4 or 5 fields x,y,w,h[,key], found {}", at(line), count));
    }
    const bool header = is_header(fields, count, first_data_line);
    first_data_line = false;
    if (header) continue;
    auto entry = parse_csv_fields(fields, count, line);
    if (!entry) return std::move(entry).error();
    spec.rois.push_back(std::move(entry).value());
  }
  if (spec.rois.empty()) return no_regions(source);
  return spec;
}

Result<RoiListSpec> parse_roi_json(std::string_view text, std::string_view source) {
  RoiListSpec spec;
  RoiJsonReader reader(source, spec);
  const std::string_view body = skip_bom(text);
  bool ok = false;
  try {
    ok = Json::sax_parse(body.begin(), body.end(), &reader);
  } catch (const nlohmann::json::exception& e) {
    return corrupt(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  if (reader.error()) return *reader.error();
  if (!ok) return corrupt(fmt::format("{}: not valid JSON", source));
  if (spec.rois.empty()) return no_regions(source);
  return spec;
}

Result<RoiListSpec> load_roi_file(const std::string& path) {
  auto text = read_text_file(path, "ROI file");
  if (!text) return std::move(text).error();
  if (looks_like_json(*text)) return parse_roi_json(*text, path);
  return parse_roi_csv(*text, path);
}

}  // namespace tessera
