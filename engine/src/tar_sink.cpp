#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "output_names.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera {

namespace {

constexpr std::uint64_t kTarBlock = 512;
constexpr std::uint64_t kEndOfArchive = 2 * kTarBlock;  // two zero blocks close every tar
constexpr std::size_t kUstarNameField = 100;             // longer names need a pax header
constexpr std::size_t kWriteBuffer = 64 * 1024;
constexpr std::string_view kTarSuffix = ".tar";
constexpr int kStdout = 1;

std::uint64_t rounded_to_block(std::uint64_t size) { return (size + kTarBlock - 1) / kTarBlock * kTarBlock; }

std::size_t decimal_digits(std::size_t value) {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

// Bytes one member takes in the shard. A name over 100 bytes (keys may have 200) is carried
// by a pax header whose one record is "LEN path=NAME\n", LEN counting itself.
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

// A fixed-size Bloom filter over the keys of the run. It lets generated keys stay unique
// (identical random crops) in bounded memory; a false positive only adds a harmless suffix,
// and the same input always meets the same false positives.
class KeyFilter {
 public:
  KeyFilter() : bits_(kBits / 64, 0) {}

  bool contains(std::string_view key) const {
    bool all = true;
    for_each_bit(key, [&](std::size_t bit) { all = all && (bits_[bit / 64] >> (bit % 64) & 1u) != 0; });
    return all;
  }

  void insert(std::string_view key) {
    for_each_bit(key, [&](std::size_t bit) { bits_[bit / 64] |= std::uint64_t{1} << (bit % 64); });
  }

 private:
  static constexpr std::size_t kBits = std::size_t{1} << 24;  // 2 MiB
  static constexpr int kHashes = 4;

  template <class Visit>
  static void for_each_bit(std::string_view key, Visit visit) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
    for (char c : key) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 0x100000001b3ULL;
    }
    const std::uint64_t step = (hash >> 32 | hash << 32) * 0x9e3779b97f4a7c15ULL | 1u;
    for (int i = 0; i < kHashes; ++i) visit(static_cast<std::size_t>((hash + step * static_cast<std::uint64_t>(i)) % kBits));
  }

  std::vector<std::uint64_t> bits_;
};

std::string metadata_json(const CropResult& crop) {
  nlohmann::ordered_json json;
  json["source"] = crop.job == nullptr ? std::string() : crop.job->source;
  json["x"] = crop.roi.x;
  json["y"] = crop.roi.y;
  json["w"] = crop.roi.w;
  json["h"] = crop.roi.h;
  json["plan"] = crop.job == nullptr ? std::string() : crop.job->plan;
  json["index"] = crop.index;
  json["job"] = crop.job == nullptr ? std::size_t{0} : crop.job->index;
  // A source path is not guaranteed to be UTF-8; replace rather than throw.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

struct ArchiveFree {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};

struct ArchiveReadFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};

// The number NNNNNN of "STEM-NNNNNN.tar", if `name` is a final shard name of this stem.
std::optional<std::size_t> shard_number(std::string_view name, std::string_view stem) {
  constexpr std::size_t kDigits = 6;
  if (name.size() != stem.size() + 1 + kDigits + kTarSuffix.size() || !name.starts_with(stem) ||
      name[stem.size()] != '-' || !name.ends_with(kTarSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(stem.size() + 1, kDigits);
  std::size_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return number;
}

// A job and crop index pair, as a sample's JSON member records it.
std::uint64_t crop_id(std::size_t job, std::uint32_t index) { return std::uint64_t{job} << 32 | index; }

// What a resumed run needs to know about the shards of an earlier one.
struct ExistingShards {
  std::size_t next_index = 0;                 // one past the highest complete shard
  std::unordered_set<std::uint64_t> crops;    // crop_id() of every sample present
  std::vector<std::string> keys;              // every sample key present
};

// Reads one complete shard: the key of every member, and from each KEY.json which crop it holds.
Status read_shard(const std::string& path, ExistingShards& existing) {
  std::unique_ptr<archive, ArchiveReadFree> reader(archive_read_new());
  archive* a = reader.get();
  if (a == nullptr || archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_open_filename(a, path.c_str(), kWriteBuffer) != ARCHIVE_OK) {
    return Error{ErrorCode::kIo, fmt::format("cannot read the shard {} to resume: {}; move it away or run "
                                             "without --resume", path, a == nullptr ? "libarchive failed" : archive_error_string(a))};
  }
  archive_entry* entry = nullptr;
  int status = ARCHIVE_OK;
  std::string json;
  while ((status = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    const char* raw_name = archive_entry_pathname(entry);
    const std::string_view name = raw_name == nullptr ? std::string_view() : std::string_view(raw_name);
    const auto dot = name.find('.');
    if (name.substr(dot == std::string_view::npos ? name.size() : dot) != ".json") continue;
    existing.keys.emplace_back(name.substr(0, dot));
    json.assign(static_cast<std::size_t>(std::max<la_int64_t>(archive_entry_size(entry), 0)), '\0');
    if (archive_read_data(a, json.data(), json.size()) != static_cast<la_ssize_t>(json.size())) break;
    const auto meta = nlohmann::json::parse(json, nullptr, false);
    if (meta.is_object() && meta.contains("job") && meta.contains("index") && meta["job"].is_number_unsigned() &&
        meta["index"].is_number_unsigned()) {
      existing.crops.insert(crop_id(meta["job"].get<std::size_t>(), meta["index"].get<std::uint32_t>()));
    }
  }
  if (status != ARCHIVE_EOF) {
    return Error{ErrorCode::kIo, fmt::format("cannot read the shard {} to resume: {}; move it away or run "
                                             "without --resume", path, archive_error_string(a))};
  }
  return {};
}

// Scans the shard directory: complete shards are read, leftover temporary shards (a run that
// was killed) are deleted.
Result<ExistingShards> scan_shards(const std::string& base) {
  const auto slash = base.find_last_of('/');
  const std::string directory = slash == std::string::npos ? std::string(".") : base.substr(0, slash);
  const std::string stem = slash == std::string::npos ? base : base.substr(slash + 1);
  const std::string temp_prefix = "." + stem + "-";
  ExistingShards existing;
  std::vector<std::pair<std::size_t, std::string>> shards;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(temp_prefix) && name.ends_with(".tar.tmp")) {
      std::filesystem::remove(entry.path(), error);
      if (error) return detail::io_error("remove the incomplete shard", entry.path().string(), error.value());
    } else if (auto number = shard_number(name, stem)) {
      shards.emplace_back(*number, entry.path().string());
    }
  }
  if (error) return detail::io_error("list the shard directory", directory, error.value());
  for (const auto& [number, path] : shards) {
    if (Status s = read_shard(path, existing); !s) return std::move(s).error();
    existing.next_index = std::max(existing.next_index, number + 1);
  }
  return existing;
}

class TarSink final : public Sink {
 public:
  TarSink(std::string base, std::uint64_t max_bytes, std::uint64_t max_samples)
      : base_(std::move(base)), max_bytes_(max_bytes), max_samples_(max_samples), entry_(archive_entry_new()) {
    buffer_.reserve(kWriteBuffer);
  }

  // Continues after the shards of an earlier run: their keys stay taken, so that a new crop
  // gets the same unique key it would have had in one uninterrupted run.
  void resume_after(ExistingShards existing) {
    shard_index_ = existing.next_index;
    for (const std::string& key : existing.keys) keys_.insert(key);
    existing_ = std::move(existing.crops);
  }

  // Read-only after construction, so safe from any thread.
  bool exists(const CropResult& crop) const override {
    if (existing_.empty() || crop.job == nullptr) return false;
    return existing_.contains(crop_id(crop.job->index, crop.index));
  }
  TarSink(const TarSink&) = delete;
  TarSink& operator=(const TarSink&) = delete;
  ~TarSink() override { abort(); }

  Status consume(const CropResult& crop) override {
    if (failed_) return failed_error();
    auto key = unique_key(crop);
    if (!key) return std::move(key).error();

    const std::string image_name = *key + "." + file_extension(crop.format);
    const std::string json_name = *key + ".json";
    const std::string json = metadata_json(crop);
    const std::uint64_t sample = member_bytes(image_name, crop.bytes.size()) + member_bytes(json_name, json.size());

    if (archive_ && shard_full(sample)) {
      if (Status s = close_shard(); !s) return s;
    }
    if (!archive_) {
      if (Status s = open_shard(); !s) return s;
    }
    if (Status s = write_member(image_name, crop.bytes); !s) return s;
    const auto* json_bytes = reinterpret_cast<const std::uint8_t*>(json.data());
    if (Status s = write_member(json_name, {json_bytes, json.size()}); !s) return s;
    ++shard_samples_;
    return {};
  }

  // An empty run leaves no shard on disk, since an empty shard is only noise in a dataset;
  // on stdout it still writes an empty archive, because a reader waits at the other end.
  Status finish() override {
    if (failed_) return failed_error();
    if (!archive_ && streaming()) {
      if (Status s = open_shard(); !s) return s;
    }
    if (archive_) return close_shard();
    return {};
  }

  // Completed shards stay; the shard being written is removed. On stdout no end-of-archive
  // is written, so the reader sees a truncated stream rather than a silently short one.
  void abort() noexcept override {
    if (archive_) {
      archive_write_fail(archive_.get());
      archive_.reset();
    }
    buffer_.clear();
    if (!streaming() && fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }

 private:
  bool streaming() const { return base_.empty(); }

  Result<std::string> unique_key(const CropResult& crop) {
    auto key = detail::sample_key(crop);
    if (!key) return key;
    if (crop.key.empty() && keys_.contains(*key)) *key += "_" + std::to_string(crop.index);
    keys_.insert(*key);
    return key;
  }

  bool shard_full(std::uint64_t sample) const {
    if (streaming() || shard_samples_ == 0) return false;
    if (max_samples_ != 0 && shard_samples_ >= max_samples_) return true;
    return max_bytes_ != 0 && shard_bytes_ + sample + kEndOfArchive > max_bytes_;
  }

  std::string shard_path(std::string_view prefix, std::string_view suffix) const {
    const auto slash = base_.find_last_of('/');
    const std::string directory = slash == std::string::npos ? std::string() : base_.substr(0, slash + 1);
    const std::string stem = slash == std::string::npos ? base_ : base_.substr(slash + 1);
    return fmt::format("{}{}{}-{:06}{}{}", directory, prefix, stem, shard_index_, kTarSuffix, suffix);
  }

  Status open_shard() {
    if (streaming()) {
      fd_ = kStdout;
      target_ = "standard output";
    } else {
      target_ = shard_path("", "");
      temp_path_ = shard_path(".", ".tmp");
      fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd_ < 0) {
        const int error_number = errno;
        temp_path_.clear();
        return fail(detail::io_error("create", target_, error_number));
      }
    }
    shard_bytes_ = 0;
    shard_samples_ = 0;
    archive_.reset(archive_write_new());
    archive* a = archive_.get();
    // No blocking: the shard ends right after the end-of-archive blocks, so its size is the
    // sum of its members and can be kept under max_shard_bytes; this class buffers instead.
    if (a == nullptr || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK || archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
        archive_write_open2(a, this, nullptr, &TarSink::write_callback, nullptr, nullptr) != ARCHIVE_OK) {
      return fail(archive_failure("start"));
    }
    return {};
  }

  Status close_shard() {
    if (archive_write_close(archive_.get()) != ARCHIVE_OK) return fail(archive_failure("finish"));
    archive_.reset();
    if (Status s = flush(); !s) return fail(std::move(s).error());
    if (streaming()) return {};
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return fail(detail::io_error("write", target_, errno));
    if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
      return fail(detail::io_error("rename " + temp_path_ + " to", target_, errno));
    }
    temp_path_.clear();
    ++shard_index_;
    return {};
  }

  Status write_member(const std::string& name, std::span<const std::uint8_t> bytes) {
    archive_entry* e = entry_.get();
    archive_entry_clear(e);
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (archive_write_header(archive_.get(), e) != ARCHIVE_OK) return fail(archive_failure("write"));
    if (!bytes.empty()) {
      const la_ssize_t written = archive_write_data(archive_.get(), bytes.data(), bytes.size());
      if (written < 0 || static_cast<std::size_t>(written) != bytes.size()) return fail(archive_failure("write"));
    }
    if (archive_write_finish_entry(archive_.get()) != ARCHIVE_OK) return fail(archive_failure("write"));
    return {};
  }

  static la_ssize_t write_callback(archive* a, void* self, const void* data, size_t size) {
    auto* sink = static_cast<TarSink*>(self);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    if (Status s = sink->buffered_write({bytes, size}); !s) {
      archive_set_error(a, sink->write_errno_, "%s", s.error().message.c_str());
      return -1;
    }
    return static_cast<la_ssize_t>(size);
  }

  Status buffered_write(std::span<const std::uint8_t> bytes) {
    shard_bytes_ += bytes.size();
    if (buffer_.size() + bytes.size() > kWriteBuffer) {
      if (Status s = flush(); !s) return s;
    }
    if (bytes.size() >= kWriteBuffer) return write_fd(bytes);
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return {};
  }

  Status flush() {
    Status s = write_fd(buffer_);
    buffer_.clear();
    return s;
  }

  Status write_fd(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        write_errno_ = errno;
        return detail::io_error("write", target_, write_errno_);
      }
      bytes = bytes.subspan(static_cast<std::size_t>(written));
    }
    return {};
  }

  Error archive_failure(std::string_view what) const {
    if (write_errno_ != 0) return detail::io_error(what, target_, write_errno_);
    const char* message = archive_.get() == nullptr ? nullptr : archive_error_string(archive_.get());
    return Error{ErrorCode::kIo, fmt::format("cannot {} {}: {}", what, target_,
                                             message == nullptr ? "libarchive failed" : message)};
  }

  // A failed write leaves the shard unusable: the run stops and abort() removes the temp file.
  Status fail(Error error) {
    failed_ = true;
    failed_message_ = error.message;
    return error;
  }

  Error failed_error() const {
    return Error{ErrorCode::kIo, "the tar sink stopped after an earlier error: " + failed_message_};
  }

  std::string base_;  // "dir/out" for "dir/out.tar"; empty for stdout
  std::uint64_t max_bytes_;
  std::uint64_t max_samples_;
  std::unique_ptr<archive_entry, EntryFree> entry_;
  std::unique_ptr<archive, ArchiveFree> archive_;
  std::vector<std::uint8_t> buffer_;
  KeyFilter keys_;
  std::unordered_set<std::uint64_t> existing_;  // samples of an earlier run (--resume)
  int fd_ = -1;
  int write_errno_ = 0;
  std::string target_;     // the final shard name, for messages
  std::string temp_path_;  // set while a temporary shard exists on disk
  std::size_t shard_index_ = 0;
  std::uint64_t shard_bytes_ = 0;
  std::uint64_t shard_samples_ = 0;
  bool failed_ = false;
  std::string failed_message_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_tar_sink(const TarSinkOptions& options) {
  const std::string& path = options.path;
  if (path == "-") return std::unique_ptr<Sink>(std::make_unique<TarSink>(std::string(), 0, 0));

  const auto slash = path.find_last_of('/');
  const std::string_view name = slash == std::string::npos ? std::string_view(path) : std::string_view(path).substr(slash + 1);
  if (!name.ends_with(kTarSuffix) || name.size() == kTarSuffix.size()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("tar output \"{}\" must be \"-\" (stdout) or a file name ending in .tar, "
                             "such as out.tar (written as out-000000.tar, out-000001.tar, ...)",
                             path)};
  }
  if (slash != std::string::npos && slash > 0) {
    const std::string directory = path.substr(0, slash);
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) return detail::io_error("create the output directory", directory, error.value());
  }
  std::string base = path.substr(0, path.size() - kTarSuffix.size());
  auto sink = std::make_unique<TarSink>(base, options.max_shard_bytes, options.max_shard_samples);
  if (options.resume) {
    auto existing = scan_shards(base);
    if (!existing) return std::move(existing).error();
    sink->resume_after(std::move(existing).value());
  }
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace tessera
