#include "shard_scan.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "posix_io.hpp"
#include "tar_layout.hpp"

namespace tessera::detail {
namespace {

constexpr std::size_t kReadBlock = 64 * 1024;

struct ArchiveReadFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};

Error unreadable_shard(const std::string& path, const char* reason) {
  return Error{ErrorCode::kIo,
               fmt::format("cannot read the shard {} to resume: {}; move it away or run "
                           "without --resume",
                           path, reason == nullptr ? "libarchive failed" : reason)};
}

// The member's text, or nullopt when the shard ends early.
std::optional<std::string> read_member(archive* a, archive_entry* entry) {
  std::string text(static_cast<std::size_t>(std::max<la_int64_t>(archive_entry_size(entry), 0)),
                   '\0');
  if (archive_read_data(a, text.data(), text.size()) != static_cast<la_ssize_t>(text.size()))
    return std::nullopt;
  return text;
}

// Reads one complete shard: the key of every sample, and from each KEY.json which crop it holds.
Status read_shard(const std::string& path, ExistingShards& existing) {
  std::unique_ptr<archive, ArchiveReadFree> reader(archive_read_new());
  archive* a = reader.get();
  if (a == nullptr) return unreadable_shard(path, nullptr);
  if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_open_filename(a, path.c_str(), kReadBlock) != ARCHIVE_OK) {
    return unreadable_shard(path, archive_error_string(a));
  }
  archive_entry* entry = nullptr;
  int status = ARCHIVE_OK;
  while ((status = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    const char* raw_name = archive_entry_pathname(entry);
    const std::string_view name =
        raw_name == nullptr ? std::string_view() : std::string_view(raw_name);
    const auto dot = name.find('.');
    if (name.substr(dot == std::string_view::npos ? name.size() : dot) != kMetadataSuffix) continue;
    existing.keys.emplace_back(name.substr(0, dot));
    const auto json = read_member(a, entry);
    if (!json) break;
    if (const auto id = crop_id_of_metadata(*json)) existing.crops.insert(*id);
  }
  if (status != ARCHIVE_EOF) return unreadable_shard(path, archive_error_string(a));
  return {};
}

}  // namespace

// Complete shards are read; leftover temporary shards (a run that was killed) are deleted.
Result<ExistingShards> scan_shards(const std::string& base) {
  const std::string directory = parent_directory(base);
  const std::string_view stem = split_path(base).name;
  std::vector<std::pair<std::size_t, std::string>> shards;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (is_temp_shard(name, stem)) {
      std::filesystem::remove(entry.path(), error);
      if (error)
        return io_error("remove the incomplete shard", entry.path().string(), error.value());
    } else if (auto number = shard_number(name, stem)) {
      shards.emplace_back(*number, entry.path().string());
    }
  }
  if (error) return io_error("list the shard directory", directory, error.value());
  ExistingShards existing;
  for (const auto& [number, path] : shards) {
    if (Status s = read_shard(path, existing); !s) return std::move(s).error();
    existing.next_index = std::max(existing.next_index, number + 1);
  }
  return existing;
}

}  // namespace tessera::detail
