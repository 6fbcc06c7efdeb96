#include "pyramid_container.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "posix_io.hpp"

namespace tessera::detail {
namespace {

bool exists_no_follow(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0;
}

Status refuse_existing(const ContainerPlan& plan) {
  if (plan.overwrite) return {};
  for (const std::string& output : plan.outputs) {
    if (exists_no_follow(output)) {
      return Error{ErrorCode::kIo,
                   fmt::format("{} already exists; remove it, choose another -o, or pass "
                               "--overwrite to replace it",
                               output)};
    }
  }
  return {};
}

// Moves `from` to `to` atomically. When `to` exists (only with --overwrite, checked at open),
// the two are exchanged in one step, so a reader sees the old or the new output, never none;
// `from` then holds the old one, for the caller to remove.
Status publish(const std::string& from, const std::string& to, bool& replaced) {
  replaced = false;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
  if (errno != EEXIST) return io_error("rename into place", to, errno);
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) != 0) {
    return io_error("replace", to, errno);
  }
  replaced = true;
  return {};
}

class DirectoryContainer final : public PyramidContainer {
 public:
  DirectoryContainer(ContainerPlan plan, OutputLock lock, std::string staging)
      : plan_(std::move(plan)), lock_(std::move(lock)), staging_(std::move(staging)) {
    made_.insert("");
  }
  ~DirectoryContainer() override { abort(); }

  Status add(std::string_view path, std::span<const std::uint8_t> bytes) override {
    const std::string full = staging_ + "/" + std::string(path);
    if (Status made = make_parents(path); !made) return made;
    const int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          static_cast<mode_t>(new_file_mode()));
    if (fd < 0) return io_error("create", full, errno);
    const int error_number = write_all(fd, bytes);
    if (::close(fd) != 0 && error_number == 0) return io_error("write", full, errno);
    if (error_number != 0) return io_error("write", full, error_number);
    return {};
  }

  Status add_directory(std::string_view path) override {
    return make_parents(std::string(path) + "/");
  }

  Status commit() override {
    // mkdtemp made the directory private (0700); the output gets the usual mode.
    if (::chmod(staging_.c_str(), directory_mode()) != 0) {
      return io_error("set the mode of", staging_, errno);
    }
    if (plan_.root_is_output) {
      bool replaced = false;
      if (Status s = publish(staging_, plan_.outputs.front(), replaced); !s) return s;
      if (!replaced) staging_.clear();  // nothing left to remove
      remove_staging();
      return {};
    }
    for (const std::string& output : plan_.outputs) {
      const std::string name(split_path(output).name);
      bool replaced = false;
      if (Status s = publish(staging_ + "/" + name, output, replaced); !s) return s;
    }
    remove_staging();  // now holds only what was replaced
    return {};
  }

  void abort() noexcept override { remove_staging(); }

 private:
  // The mode mkdir(path, 0777) would give: the umask's mode for files, searchable where readable.
  static mode_t directory_mode() {
    const unsigned file = new_file_mode();
    return static_cast<mode_t>(file | ((file & 0444u) >> 2));
  }

  void remove_staging() noexcept {
    if (staging_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(staging_, ignored);
    staging_.clear();
  }

  Status make_parents(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return {};
    const std::string parent(path.substr(0, slash));
    if (made_.contains(parent)) return {};
    if (Status s = make_parents(parent); !s) return s;
    const std::string full = staging_ + "/" + parent;
    if (::mkdir(full.c_str(), 0777) != 0 && errno != EEXIST) {
      return io_error("create directory", full, errno);
    }
    made_.insert(parent);
    return {};
  }

  ContainerPlan plan_;
  OutputLock lock_;
  std::string staging_;
  std::unordered_set<std::string> made_;  // directories created under staging_
};

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

class ZipContainer final : public PyramidContainer {
 public:
  ZipContainer(ContainerPlan plan, OutputLock lock, TempFileHandle temp, ArchivePtr writer)
      : plan_(std::move(plan)),
        lock_(std::move(lock)),
        temp_(std::move(temp)),
        writer_(std::move(writer)),
        entry_(archive_entry_new(), &archive_entry_free) {}
  ~ZipContainer() override { abort(); }

  Status add(std::string_view path, std::span<const std::uint8_t> bytes) override {
    name_.assign(plan_.zip_prefix).append(path);
    archive_entry_clear(entry_.get());
    archive_entry_set_pathname(entry_.get(), name_.c_str());
    archive_entry_set_filetype(entry_.get(), AE_IFREG);
    archive_entry_set_perm(entry_.get(), 0644);
    archive_entry_set_size(entry_.get(), static_cast<la_int64_t>(bytes.size()));
    // A fixed time keeps the archive the same bytes on every run.
    archive_entry_set_mtime(entry_.get(), kFixedTime, 0);
    if (archive_write_header(writer_.get(), entry_.get()) != ARCHIVE_OK) return failed("write");
    if (archive_write_data(writer_.get(), bytes.data(), bytes.size()) !=
        static_cast<la_ssize_t>(bytes.size())) {
      return failed("write");
    }
    return {};
  }

  Status add_directory(std::string_view /*path*/) override { return {}; }

  Status commit() override {
    if (archive_write_close(writer_.get()) != ARCHIVE_OK) return failed("finish");
    writer_.reset();
    Status s =
        close_and_rename(std::exchange(temp_.fd, -1), temp_.path, plan_.outputs.front(), false);
    if (s) temp_.path.clear();
    return s;
  }

  void abort() noexcept override {
    writer_.reset();
    if (temp_.fd >= 0) ::close(std::exchange(temp_.fd, -1));
    if (!temp_.path.empty()) {
      ::unlink(temp_.path.c_str());
      temp_.path.clear();
    }
  }

 private:
  static constexpr time_t kFixedTime = 315532800;  // 1980-01-01, the earliest zip time

  Error failed(std::string_view what) {
    const int error_number = archive_errno(writer_.get());
    return Error{ErrorCode::kIo,
                 fmt::format("cannot {} {}: {}", what, plan_.outputs.front(),
                             error_number != 0 ? std::string(std::strerror(error_number))
                                               : std::string(archive_error_string(writer_.get())))};
  }

  ContainerPlan plan_;
  OutputLock lock_;
  TempFileHandle temp_;
  ArchivePtr writer_;
  EntryPtr entry_;
  std::string name_;
};

Result<std::unique_ptr<PyramidContainer>> open_zip(ContainerPlan plan, OutputLock lock) {
  auto temp = create_temp_beside(plan.outputs.front(), new_file_mode());
  if (!temp) return std::move(temp).error();
  ArchivePtr writer(archive_write_new(), &archive_write_free);
  if (writer == nullptr || archive_write_set_format_zip(writer.get()) != ARCHIVE_OK ||
      archive_write_set_options(writer.get(), "zip:compression=store") != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(writer.get(), 0) != ARCHIVE_OK ||
      archive_write_open_fd(writer.get(), temp->fd) != ARCHIVE_OK) {
    ::close(temp->fd);
    ::unlink(temp->path.c_str());
    return Error{ErrorCode::kIo,
                 fmt::format("cannot start the zip archive {}: {}", plan.outputs.front(),
                             writer ? archive_error_string(writer.get()) : "")};
  }
  return std::unique_ptr<PyramidContainer>(std::make_unique<ZipContainer>(
      std::move(plan), std::move(lock), std::move(temp).value(), std::move(writer)));
}

Result<std::unique_ptr<PyramidContainer>> open_directory(ContainerPlan plan, OutputLock lock) {
  const std::string& first = plan.outputs.front();
  const PathParts parts = split_path(first);
  std::string pattern = fmt::format("{}.{}.tessera-XXXXXX", parts.directory, parts.name);
  if (::mkdtemp(pattern.data()) == nullptr)
    return io_error("create a directory beside", first, errno);
  return std::unique_ptr<PyramidContainer>(
      std::make_unique<DirectoryContainer>(std::move(plan), std::move(lock), std::move(pattern)));
}

}  // namespace

Result<std::unique_ptr<PyramidContainer>> open_container(const ContainerPlan& plan) {
  // -o out/scan creates out/, as the other outputs do.
  const std::string parent = parent_directory(plan.outputs.front());
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) return io_error("create the directory", parent, error.value());
  auto lock = OutputLock::acquire(plan.lock_path, plan.outputs.front());
  if (!lock) return std::move(lock).error();
  if (Status s = refuse_existing(plan); !s) return std::move(s).error();
  if (plan.zip) return open_zip(plan, std::move(lock).value());
  return open_directory(plan, std::move(lock).value());
}

}  // namespace tessera::detail
