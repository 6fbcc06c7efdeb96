#include "shard_scan.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

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
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/input.hpp"

namespace tessera::detail {
namespace {

constexpr std::size_t kReadBlock = 64 * 1024;
// A sample's KEY.json is a few hundred bytes; a larger one was not written by tessera.
constexpr std::uint64_t kMaxMetadataBytes = 64 * 1024;
constexpr std::uint64_t kMaxClassBytes = 32;  // KEY.cls: one decimal integer

struct ArchiveReadFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};

// What one shard holds, kept only if the whole shard is valid.
struct ShardContents {
  std::vector<std::uint64_t> crops;
  std::vector<std::string> keys;
};

// Reads the member's bytes into `bytes`, which never grows past `limit` (the shard's real
// size, or the metadata bound): a crafted size cannot make it allocate.
Status read_member(archive* a, archive_entry* entry, std::uint64_t limit,
                   std::vector<std::uint8_t>& bytes) {
  const la_int64_t size = archive_entry_size(entry);
  if (size <= 0 || static_cast<std::uint64_t>(size) > limit) {
    return Error{ErrorCode::kIo, fmt::format("a member claims {} bytes", size)};
  }
  bytes.resize(static_cast<std::size_t>(size));
  if (archive_read_data(a, bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size())) {
    return Error{ErrorCode::kIo, "a member is cut short"};
  }
  return {};
}

// Checks one member: a KEY.json must record its crop, a KEY.cls must hold a class number, an
// image must have a decodable header.
Status check_member(archive* a, archive_entry* entry, std::uint64_t file_size,
                    std::vector<std::uint8_t>& bytes, ShardContents& contents) {
  const char* raw_name = archive_entry_pathname(entry);
  const std::string_view name = raw_name == nullptr ? std::string_view() : raw_name;
  const auto dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) {
    return Error{ErrorCode::kIo, fmt::format("member \"{}\" is not KEY.EXT", name)};
  }
  const bool metadata = name.substr(dot) == kMetadataSuffix;
  const bool label = name.substr(dot) == kClassSuffix;
  const std::uint64_t limit = metadata ? kMaxMetadataBytes : label ? kMaxClassBytes : file_size;
  if (Status s = read_member(a, entry, limit, bytes); !s) return s;
  if (label) {
    if (is_class_text({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) return {};
    return Error{ErrorCode::kIo, fmt::format("\"{}\" is not a class number", name)};
  }
  if (!metadata) {
    auto decoder = open_decoder(InputBytes::borrow(bytes, std::string(name)));
    if (!decoder) return Error{ErrorCode::kIo, fmt::format("\"{}\" does not decode", name)};
    return {};
  }
  const auto id = crop_id_of_metadata(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!id) return Error{ErrorCode::kIo, fmt::format("\"{}\" records no crop", name)};
  contents.crops.push_back(*id);
  contents.keys.emplace_back(name.substr(0, dot));
  return {};
}

// Reads one shard whole; an error says what is wrong with it.
Result<ShardContents> read_shard(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) {
    return Error{ErrorCode::kIo, "not a regular file"};
  }
  std::unique_ptr<archive, ArchiveReadFree> reader(archive_read_new());
  archive* a = reader.get();
  if (a == nullptr || archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_open_filename(a, path.c_str(), kReadBlock) != ARCHIVE_OK) {
    const char* why = a == nullptr ? nullptr : archive_error_string(a);
    return Error{ErrorCode::kIo, why == nullptr ? "libarchive cannot open it" : why};
  }
  ShardContents contents;
  std::vector<std::uint8_t> bytes;
  archive_entry* entry = nullptr;
  int result = ARCHIVE_OK;
  while ((result = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    const auto file_size = static_cast<std::uint64_t>(status.st_size);
    if (Status s = check_member(a, entry, file_size, bytes, contents); !s)
      return std::move(s).error();
  }
  if (result != ARCHIVE_EOF) {
    const char* why = archive_error_string(a);
    return Error{ErrorCode::kIo, why == nullptr ? "it is not a complete tar file" : why};
  }
  if (contents.crops.empty()) return Error{ErrorCode::kIo, "it holds no sample"};
  return contents;
}

Status remove_file(const std::string& path, std::string_view what) {
  std::error_code error;
  std::filesystem::remove(path, error);
  if (error) return io_error(std::string("remove the ") + std::string(what), path, error.value());
  return {};
}

}  // namespace

Result<ShardFiles> list_shards(const std::string& base) {
  const std::string directory = parent_directory(base);
  const std::string_view stem = split_path(base).name;
  ShardFiles files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    // Only regular files: a symlink or anything else named like a shard is not tessera's.
    if (!entry.is_regular_file(error) || entry.is_symlink(error)) continue;
    const std::string name = entry.path().filename().string();
    if (is_temp_shard(name, stem)) {
      files.temps.push_back(entry.path().string());
    } else if (auto number = shard_number(name, stem)) {
      files.shards.emplace_back(*number, entry.path().string());
    }
  }
  if (error) return io_error("list the shard directory", directory, error.value());
  std::sort(files.shards.begin(), files.shards.end());
  return files;
}

Status remove_shards(const ShardFiles& files) {
  for (const std::string& temp : files.temps) {
    if (Status s = remove_file(temp, "incomplete shard"); !s) return s;
  }
  for (const auto& [number, path] : files.shards) {
    if (Status s = remove_file(path, "shard of the earlier run"); !s) return s;
  }
  return {};
}

Result<ExistingShards> scan_shards(const ShardFiles& files) {
  for (const std::string& temp : files.temps) {
    if (Status s = remove_file(temp, "incomplete shard"); !s) return std::move(s).error();
  }
  ExistingShards existing;
  for (const auto& [number, path] : files.shards) {
    auto contents = read_shard(path);
    if (!contents) {
      existing.redone.push_back(fmt::format("{}: {}", path, contents.error().message));
      if (Status s = remove_file(path, "damaged shard"); !s) return std::move(s).error();
      continue;
    }
    existing.crops.insert(contents->crops.begin(), contents->crops.end());
    for (std::string& key : contents->keys) existing.keys.push_back(std::move(key));
    existing.next_index = std::max(existing.next_index, number + 1);
  }
  return existing;
}

}  // namespace tessera::detail
