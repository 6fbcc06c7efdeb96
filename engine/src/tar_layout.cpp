#include "tar_layout.hpp"

#include <charconv>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "posix_io.hpp"

namespace tessera::detail {
namespace {

constexpr std::size_t kUstarNameField = 100;  // longer names need a pax header
constexpr std::size_t kShardDigits = 6;

std::uint64_t rounded_to_block(std::uint64_t size) {
  return (size + kTarBlock - 1) / kTarBlock * kTarBlock;
}

std::size_t decimal_digits(std::size_t value) {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

}  // namespace

// A name over 100 bytes (keys may have 200) is carried by a pax header whose one record is
// "LEN path=NAME\n", LEN counting itself.
std::uint64_t member_bytes(std::string_view name, std::size_t size) {
  std::uint64_t bytes = kTarBlock + rounded_to_block(size);
  if (name.size() > kUstarNameField) {
    const std::size_t payload = std::string_view(" path=\n").size() + name.size();
    std::size_t record = payload + decimal_digits(payload);
    if (decimal_digits(record) != record - payload) ++record;  // e.g. 98 + "100" is 101
    bytes += kTarBlock + rounded_to_block(record);
  }
  return bytes;
}

Result<std::string> shard_base(const std::string& path) {
  const PathParts parts = split_path(path);
  if (!parts.name.ends_with(kTarSuffix) || parts.name.size() == kTarSuffix.size()) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("tar output \"{}\" must be \"-\" (stdout) or a file name ending in .tar, "
                    "such as out.tar (written as out-000000.tar, out-000001.tar, ...)",
                    path)};
  }
  return path.substr(0, path.size() - kTarSuffix.size());
}

std::string shard_path(std::string_view base, std::size_t index) {
  const PathParts parts = split_path(base);
  return fmt::format("{}{}-{:0{}}{}", parts.directory, parts.name, index, kShardDigits, kTarSuffix);
}

std::optional<std::size_t> shard_number(std::string_view name, std::string_view stem) {
  if (name.size() != stem.size() + 1 + kShardDigits + kTarSuffix.size() ||
      !name.starts_with(stem) || name[stem.size()] != '-' || !name.ends_with(kTarSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(stem.size() + 1, kShardDigits);
  std::size_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return number;
}

bool is_temp_shard(std::string_view name, std::string_view stem) {
  const auto final_name = final_name_of_temp(name);
  return final_name && shard_number(*final_name, stem).has_value();
}

std::uint64_t crop_id(std::size_t job, std::uint32_t index) {
  return std::uint64_t{job} << 32 | index;
}

std::string sample_metadata(const CropResult& crop) {
  nlohmann::ordered_json json;
  json["source"] = crop.job == nullptr ? std::string() : crop.job->source;
  json["x"] = crop.roi.x;
  json["y"] = crop.roi.y;
  json["w"] = crop.roi.w;
  json["h"] = crop.roi.h;
  json["plan"] = crop.job == nullptr ? std::string() : crop.job->plan;
  json["index"] = crop.index;
  json["job"] = crop.job == nullptr ? std::size_t{0} : crop.job->number();
  json["image_width"] = crop.job == nullptr ? 0 : crop.job->image_width;
  json["image_height"] = crop.job == nullptr ? 0 : crop.job->image_height;
  // A source path is not guaranteed to be UTF-8; replace rather than throw.
  std::string text = json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Fields were serialised when they were read, and their names checked against the ones
  // above (SampleFieldsBuilder), so they are appended as they are.
  const SampleFields* job_fields = crop.job == nullptr ? nullptr : crop.job->fields.get();
  if (job_fields == nullptr && crop.fields == nullptr) return text;
  text.pop_back();  // the closing brace
  if (job_fields != nullptr) text += job_fields->members;
  if (crop.fields != nullptr) text += crop.fields->members;
  text += '}';
  return text;
}

std::optional<std::int64_t> sample_label(const CropResult& crop) {
  if (crop.fields != nullptr && crop.fields->label) return crop.fields->label;
  if (crop.job != nullptr && crop.job->fields != nullptr) return crop.job->fields->label;
  return std::nullopt;
}

std::string class_text(std::int64_t label) {
  return std::to_string(label);
}

bool is_class_text(std::string_view text) {
  std::int64_t label = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), label);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::optional<std::uint64_t> crop_id_of_metadata(std::string_view json) {
  const auto meta = nlohmann::json::parse(json, nullptr, false);
  if (!meta.is_object() || !meta.contains("job") || !meta.contains("index") ||
      !meta["job"].is_number_unsigned() || !meta["index"].is_number_unsigned()) {
    return std::nullopt;
  }
  return crop_id(meta["job"].get<std::size_t>(), meta["index"].get<std::uint32_t>());
}

}  // namespace tessera::detail
