// ROI files come from users and other tools, so every byte is untrusted: each problem becomes
// an Error naming the file and the line (CSV) or element (JSON), never an exception or a crash.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/codecs/input.hpp"
#include "tessera/engine/plan.hpp"
#include "tessera/engine/sample_fields.hpp"

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

// More columns than this is not an ROI file.
constexpr std::size_t kMaxCsvColumns = 256;

// Splits on commas into `fields`, trimmed; the vector is reused line after line.
Status split_fields(std::string_view text, std::vector<std::string_view>& fields,
                    const CsvLine& line) {
  fields.clear();
  while (true) {
    const std::size_t comma = text.find(',');
    if (fields.size() == kMaxCsvColumns) {
      return corrupt(fmt::format("{}: more than {} fields", at(line), kMaxCsvColumns));
    }
    fields.push_back(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) return {};
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

bool same_name(std::string_view field, std::string_view name) {
  field = unquote(trim(field));
  return std::equal(field.begin(), field.end(), name.begin(), name.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

// What a header line says about the columns: which one holds the key, and the field name of
// every other column past x,y,w,h. Without a header a line has 4 or 5 fields, x,y,w,h[,key].
struct CsvColumns {
  bool header = false;
  std::size_t count = 0;
  std::size_t key = SIZE_MAX;      // column of the key; SIZE_MAX: none
  std::vector<std::string> names;  // by column; empty for x, y, w, h and the key
};

// A header may only be the first data line, and only a line that starts with the field names
// x,y,w,h (any case): a first line with a typo such as "1O,0,10,10" is data, and its error
// names the line instead of the region being dropped silently. Columns after those four are
// the key ("key", any case) and fields, named as written.
std::optional<CsvColumns> header_of(const std::vector<std::string_view>& fields) {
  if (fields.size() < 4) return std::nullopt;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!same_name(fields[i], kFieldNames[i])) return std::nullopt;
  }
  CsvColumns columns{true, fields.size(), SIZE_MAX, std::vector<std::string>(fields.size())};
  for (std::size_t i = 4; i < fields.size(); ++i) {
    if (same_name(fields[i], kFieldNames[4]) && columns.key == SIZE_MAX) {
      columns.key = i;
    } else {
      columns.names[i] = std::string(unquote(fields[i]));
    }
  }
  return columns;
}

// A CSV cell as a field value: empty is null, true and false are booleans, a whole number is
// an integer, a decimal number is a number, and anything else (or anything in double quotes)
// is a string.
FieldValue csv_value(std::string_view text) {
  if (text.empty()) return nullptr;
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    return std::string(unquote(text));
  if (text == "true" || text == "false") return text == "true";
  const char* const end = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [p, ec] = std::from_chars(text.data(), end, integer); ec == std::errc() && p == end)
    return integer;
  // from_chars also reads "inf" and "nan", which are no JSON numbers: they stay strings.
  const std::size_t first = text.front() == '-' ? 1 : 0;
  if (first < text.size() &&
      (std::isdigit(static_cast<unsigned char>(text[first])) != 0 || text[first] == '.')) {
    double number = 0;
    if (auto [p, ec] = std::from_chars(text.data(), end, number);
        ec == std::errc() && p == end && std::isfinite(number)) {
      return number;
    }
  }
  return std::string(text);
}

Result<RoiEntry> parse_csv_fields(const std::vector<std::string_view>& fields,
                                  const CsvColumns& columns, const CsvLine& line) {
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
  const std::size_t key = columns.header ? columns.key : (fields.size() == 5 ? 4 : SIZE_MAX);
  if (key != SIZE_MAX) entry.key = std::string(unquote(fields[key]));
  if (!columns.header) return entry;
  SampleFieldsBuilder builder;
  for (std::size_t i = 4; i < fields.size(); ++i) {
    if (i == columns.key) continue;
    if (Status s = builder.add(columns.names[i], csv_value(fields[i])); !s)
      return corrupt(fmt::format("{}: {}", at(line), s.error().message));
  }
  entry.fields = builder.finish();
  return entry;
}

Error no_regions(std::string_view source) {
  return corrupt(fmt::format("{}: no regions found; expected lines x,y,w,h[,key]", source));
}

Status check_field_count(std::size_t count, const CsvColumns& columns, const CsvLine& line) {
  if (columns.header && count != columns.count) {
    return corrupt(fmt::format("{}: expected {} fields, as the header names, found {}", at(line),
                               columns.count, count));
  }
  if (!columns.header && count != 4 && count != 5) {
    const char* hint = count < 5 ? ""
                                 : "; to give each region a label or other fields, start the "
                                   "file with a header line naming every column, such as "
                                   "x,y,w,h,key,label";
    return corrupt(
        fmt::format("{}: expected 4 or 5 fields x,y,w,h[,key], found {}{}", at(line), count, hint));
  }
  return {};
}

// ---- JSON ----------------------------------------------------------------------------------

using Json = nlohmann::json;

// Builds one field's nested value (an object or a list) from the reader's events.
class NestedValue {
 public:
  bool active() const { return !stack_.empty(); }
  int depth() const { return static_cast<int>(stack_.size()); }

  void open(Json container) {
    Json* placed = place(std::move(container));
    stack_.push_back(placed);
  }
  void key(std::string name) { key_ = std::move(name); }
  void value(Json value) { place(std::move(value)); }
  // True when the outermost container closed: take() then gives the whole value.
  bool close() {
    stack_.pop_back();
    return stack_.empty();
  }
  Json take() { return std::exchange(root_, Json()); }

 private:
  // Only the innermost open container grows, so pointers to the ones around it stay valid.
  Json* place(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    return &(parent[key_] = std::move(value));
  }

  Json root_;
  std::vector<Json*> stack_;
  std::string key_;
};

// Streams the document instead of building a DOM, so a million-element list costs the
// RoiEntry vector (and the fields it carries) and nothing more. Every callback returns false to
// stop at the first problem. Members other than x, y, w, h and key are the entry's fields.
class RoiJsonReader final : public nlohmann::json_sax<Json> {
 public:
  RoiJsonReader(std::string_view source, RoiListSpec& out) : source_(source), out_(out) {}

  const std::optional<Error>& error() const { return error_; }

  bool null() override { return scalar("null", nullptr); }
  bool boolean(bool value) override { return scalar("a boolean", value); }
  bool number_integer(number_integer_t value) override { return integer(value); }
  bool number_unsigned(number_unsigned_t value) override { return integer(value); }
  bool number_float(number_float_t value, const string_t&) override {
    return scalar("a fraction", value);
  }
  bool binary(binary_t&) override { return scalar("binary data", nullptr); }

  bool string(string_t& value) override {
    if (nested_.active() || (depth_ == 2 && field_ == kUnknownField))
      return scalar("a string", std::move(value));
    if (depth_ == 2 && field_ == kKeyField) {
      entry_.key = std::move(value);
      return mark_seen();
    }
    return scalar("a string", nullptr);
  }

  bool start_object(std::size_t) override {
    if (nested_.active() || depth_ == 2) return open_nested(Json::object(), "an object");
    if (depth_ != 1)
      return fail(fmt::format("{}: expected a list of objects, found an object", source_));
    depth_ = 2;
    entry_ = RoiEntry{};
    seen_ = 0;
    field_ = kNoField;
    return true;
  }

  bool key(string_t& name) override {
    if (nested_.active()) {
      nested_.key(std::move(name));
      return true;
    }
    field_ = kUnknownField;
    for (std::size_t i = 0; i < std::size(kFieldNames); ++i) {
      if (name == kFieldNames[i]) field_ = static_cast<int>(i);
    }
    if (field_ == kUnknownField) field_name_ = std::move(name);
    if (field_ != kUnknownField && (seen_ & (1u << field_)) != 0) {
      return fail(fmt::format("{}: element {}: \"{}\" appears twice", source_, element(),
                              kFieldNames[field_]));
    }
    return true;
  }

  bool end_object() override {
    if (nested_.active()) return close_nested();
    depth_ = 1;
    for (int i = 0; i < 4; ++i) {
      if ((seen_ & (1u << i)) == 0) {
        return fail(
            fmt::format("{}: element {}: \"{}\" is missing; each element needs integer "
                        "x, y, w and h",
                        source_, element(), kFieldNames[i]));
      }
    }
    entry_.fields = fields_.finish();
    out_.rois.push_back(std::move(entry_));
    return true;
  }

  bool start_array(std::size_t) override {
    if (nested_.active() || depth_ == 2) return open_nested(Json::array(), "a list");
    if (depth_ != 0)
      return fail(fmt::format("{}: element {} is a list; expected an object", source_, element()));
    depth_ = 1;
    return true;
  }

  bool end_array() override {
    if (nested_.active()) return close_nested();
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

  bool add_field(FieldValue value) {
    if (Status s = fields_.add(field_name_, value); !s) {
      return fail(fmt::format("{}: element {}: {}", source_, element(), s.error().message));
    }
    return true;
  }

  // A field may hold a nested value; x, y, w, h and key must be plain values.
  bool open_nested(Json container, std::string_view what) {
    if (!nested_.active() && field_ != kUnknownField) return scalar(what, nullptr);
    // Serialising the value recurses once per level, so a hostile depth is refused here.
    if (nested_.depth() == kMaxFieldDepth) {
      return fail(
          fmt::format("{}: element {}: field \"{}\" nests objects or lists more than {} "
                      "levels deep",
                      source_, element(), field_name_, kMaxFieldDepth));
    }
    nested_.open(std::move(container));
    return true;
  }

  bool close_nested() {
    if (!nested_.close()) return true;
    return add_field(JsonText{nested_.take().dump()});
  }

  // A value that is not an integer: inside a field's nested value, a field's value, or wrong.
  template <class Value>
  bool scalar(std::string_view what, Value&& value) {
    if (nested_.active()) {
      nested_.value(Json(std::forward<Value>(value)));
      return true;
    }
    if (depth_ == 0) {
      return fail(fmt::format("{}: expected a list of objects, found {}", source_, what));
    }
    if (depth_ == 1) {
      return fail(
          fmt::format("{}: element {} is {}; expected an object {{\"x\":..,\"y\":..,"
                      "\"w\":..,\"h\":..}}",
                      source_, element(), what));
    }
    if (field_ == kUnknownField) return add_field(FieldValue(std::forward<Value>(value)));
    const bool wants_string = field_ == kKeyField;
    return fail(fmt::format("{}: element {}: \"{}\" must be {}, found {}", source_, element(),
                            kFieldNames[field_], wants_string ? "a string" : "an integer", what));
  }

  template <class Integer>
  bool integer(Integer value) {
    if (nested_.active() || depth_ != 2 || field_ == kUnknownField || field_ == kKeyField) {
      if constexpr (std::is_signed_v<Integer>) {
        return scalar("a number", static_cast<std::int64_t>(value));
      } else {
        return scalar("a number", static_cast<std::uint64_t>(value));
      }
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
  SampleFieldsBuilder fields_;
  NestedValue nested_;
  std::string field_name_;  // of the member being read, when it is a field
  int depth_ = 0;           // 0: top level, 1: inside the list, 2: inside an element
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
  CsvColumns columns;
  std::vector<std::string_view> fields;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line.number;

    const std::string_view content = trim(raw);
    if (content.empty() || content.front() == '#') continue;
    if (Status s = split_fields(content, fields, line); !s) return std::move(s).error();
    if (first_data_line) {
      first_data_line = false;
      if (auto header = header_of(fields)) {
        columns = std::move(*header);
        continue;
      }
    }
    if (Status s = check_field_count(fields.size(), columns, line); !s) return std::move(s).error();
    auto entry = parse_csv_fields(fields, columns, line);
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
