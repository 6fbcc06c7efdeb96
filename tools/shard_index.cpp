#include "shard_index.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

namespace tessera::cli {
namespace {

constexpr std::size_t kReadBlock = 64 * 1024;
constexpr std::size_t kEndOfArchive = 1024;  // two zero blocks of 512 bytes
constexpr std::size_t kMaxDuplicatesShown = 20;

using Reader = std::unique_ptr<archive, decltype(&archive_read_free)>;

// The WebDataset key of a member: its name up to the first dot of the last component.
std::string key_of(std::string_view name) {
  const auto slash = name.rfind('/');
  const auto start = slash == std::string_view::npos ? 0 : slash + 1;
  const auto dot = name.find('.', start);
  return std::string(name.substr(0, dot));
}

std::uint64_t key_hash(const std::string& key) {
  return std::hash<std::string>{}(key);
}

// Whether the file ends with the two zero blocks that close a tar: a shard cut at a member
// boundary still reads as a valid, shorter archive, and only this tells.
bool ends_with_end_of_archive(const std::string& path, std::uint64_t size) {
  if (size < kEndOfArchive) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::array<unsigned char, kEndOfArchive> tail{};
  const ssize_t got = ::pread(fd, tail.data(), tail.size(), static_cast<off_t>(size - tail.size()));
  ::close(fd);
  if (got != static_cast<ssize_t>(tail.size())) return false;
  for (unsigned char c : tail) {
    if (c != 0) return false;
  }
  return true;
}

// Calls `on_sample(key, first member name)` once per sample, in shard order; reads member
// data only when `read_data`. Returns a problem, or an empty string when the shard read whole.
std::string read_samples(const std::string& path, bool read_data,
                         const std::function<void(const std::string&)>& on_sample) {
  Reader reader(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), kReadBlock) != ARCHIVE_OK) {
    return fmt::format("{}: cannot be read as tar: {}", path, archive_error_string(reader.get()));
  }
  std::vector<char> buffer(kReadBlock);
  std::string current_key;
  std::set<std::string> current_members;
  std::size_t samples = 0;
  archive_entry* entry = nullptr;
  int status = ARCHIVE_OK;
  while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    std::string key = key_of(name);
    if (samples == 0 || key != current_key) {
      current_key = std::move(key);
      current_members.clear();
      on_sample(current_key);
      ++samples;
    }
    if (!current_members.insert(name).second) {
      return fmt::format("{}: member {} appears twice in one sample", path, name);
    }
    if (!read_data) continue;
    la_ssize_t got = 0;
    la_int64_t total = 0;
    while ((got = archive_read_data(reader.get(), buffer.data(), buffer.size())) > 0) total += got;
    if (got < 0 || total != archive_entry_size(entry)) {
      return fmt::format("{}: member {} is cut short ({} of {} bytes): {}", path, name, total,
                         archive_entry_size(entry), archive_error_string(reader.get()));
    }
  }
  if (status != ARCHIVE_EOF) {
    return fmt::format("{}: damaged or cut short after {} samples: {}", path, samples,
                       archive_error_string(reader.get()));
  }
  return {};
}

// Second pass over the shards: the keys whose hash came twice, with every shard that holds
// them, so a report names real duplicates only (two keys may share a hash).
std::vector<std::string> confirm_duplicates(const std::vector<std::string>& paths,
                                            const std::unordered_set<std::uint64_t>& suspects) {
  std::map<std::string, std::vector<std::string>> places;
  for (const std::string& path : paths) {
    read_samples(path, false, [&](const std::string& key) {
      if (suspects.contains(key_hash(key))) places[key].push_back(path);
    });
  }
  std::vector<std::string> problems;
  std::size_t duplicates = 0;
  for (const auto& [key, shards] : places) {
    if (shards.size() < 2) continue;
    if (++duplicates <= kMaxDuplicatesShown) {
      problems.push_back(fmt::format("sample {} appears {} times (in {})", key, shards.size(),
                                     fmt::join(shards, ", ")));
    }
  }
  if (duplicates > kMaxDuplicatesShown) {
    problems.push_back(fmt::format("... {} duplicated samples in all", duplicates));
  }
  return problems;
}

}  // namespace

ShardIndex index_shards(const std::vector<std::string>& paths, bool verify) {
  ShardIndex index;
  std::unordered_set<std::uint64_t> seen;
  std::unordered_set<std::uint64_t> suspects;
  for (const std::string& path : paths) {
    ShardSummary summary{path, 0, 0};
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) {
      index.problems.push_back(fmt::format("{}: not a readable file", path));
      index.shards.push_back(summary);
      continue;
    }
    summary.bytes = static_cast<std::uint64_t>(status.st_size);
    const std::string problem = read_samples(path, verify, [&](const std::string& key) {
      ++summary.samples;
      if (!verify) return;
      const std::uint64_t hash = key_hash(key);
      if (!seen.insert(hash).second) suspects.insert(hash);
    });
    if (!problem.empty()) index.problems.push_back(problem);
    if (verify && problem.empty() && !ends_with_end_of_archive(path, summary.bytes)) {
      index.problems.push_back(fmt::format(
          "{}: does not end with the tar end-of-archive blocks; it was cut short (write it again, "
          "e.g. with --resume)",
          path));
    }
    index.shards.push_back(summary);
  }
  if (!suspects.empty()) {
    for (std::string& problem : confirm_duplicates(paths, suspects)) {
      index.problems.push_back(std::move(problem));
    }
  }
  return index;
}

nlohmann::ordered_json index_json(const ShardIndex& index) {
  nlohmann::ordered_json shards = nlohmann::ordered_json::array();
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  for (const ShardSummary& shard : index.shards) {
    shards.push_back({{"name", shard.name}, {"samples", shard.samples}, {"bytes", shard.bytes}});
    samples += shard.samples;
    bytes += shard.bytes;
  }
  nlohmann::ordered_json json;
  json["shards"] = std::move(shards);
  json["totals"] = {{"shards", index.shards.size()}, {"samples", samples}, {"bytes", bytes}};
  return json;
}

}  // namespace tessera::cli
