#include "posix_io.hpp"

#include "tessera/engine/file_sinks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace tessera::detail {
namespace {

const char* io_hint(int error_number) noexcept {
  switch (error_number) {
    case ENOSPC: return "the disk is full; free some space or write somewhere else";
    case EFBIG:
      return "file size limit (ulimit -f) reached; raise it with ulimit -f, or write smaller "
             "files (--shard-size for tar output)";
    case EDQUOT: return "the disk quota is used up; free some space or write somewhere else";
    case EACCES:
    case EPERM: return "permission denied; check the owner and mode of the output directory";
    case EROFS: return "the file system is read-only; choose a writable output location";
    case ENOTDIR:
      return "a part of the output path is a file, not a directory; choose another path";
    case ENAMETOOLONG: return "the name is too long; use a shorter directory, template or key";
    case EMFILE:
    case ENFILE: return "too many open files; raise the limit with ulimit -n";
    case ELOOP:
      return "a symbolic link is where tessera writes; remove it or choose another output";
    case EIO: return "the device reported an I/O error; check the disk";
    default: return "check the output location";
  }
}

// Keeps ".NAME.tmp-XXXXXX" within NAME_MAX.
constexpr std::size_t kMaxTempStem = 200;
constexpr std::string_view kTempMarker = ".tmp-";
constexpr std::size_t kTempRandom = 6;  // mkostemp's XXXXXX
constexpr unsigned kDefaultUmask = 022;

// umask() can only be read by setting it, which races with other threads creating files;
// /proc/self/status shows it without changing it.
unsigned current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      return static_cast<unsigned>(std::strtoul(line.c_str() + 6, nullptr, 8) & 0777);
    }
  }
  return kDefaultUmask;
}

}  // namespace

PathParts split_path(std::string_view path) noexcept {
  const auto slash = path.find_last_of('/');
  const std::size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  return {path.substr(0, name_start), path.substr(name_start)};
}

std::string parent_directory(std::string_view path) {
  const std::string_view directory = split_path(path).directory;
  if (directory.empty()) return ".";
  if (directory == "/") return "/";
  return std::string(directory.substr(0, directory.size() - 1));
}

int write_all(int fd, std::span<const std::uint8_t> bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return 0;
}

Status sync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", directory, errno);
  const int result = ::fsync(fd);
  const int error_number = errno;
  ::close(fd);
  if (result != 0) return io_error("sync directory", directory, error_number);
  return {};
}

Status close_and_rename(int fd, const std::string& temp_path, const std::string& final_path,
                        bool sync) {
  if (sync && ::fsync(fd) != 0) {
    const int error_number = errno;
    ::close(fd);
    return io_error("sync", final_path, error_number);
  }
  // close() is where a file system that defers writes (NFS) reports that they failed.
  if (::close(fd) != 0) return io_error("write", final_path, errno);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return io_error("rename " + temp_path + " to", final_path, errno);
  }
  if (sync) return sync_directory(parent_directory(final_path));
  return {};
}

unsigned new_file_mode() {
  static const unsigned mode = 0666 & ~current_umask();
  return mode;
}

Result<TempFileHandle> create_temp_beside(const std::string& final_path, unsigned mode) {
  const PathParts parts = split_path(final_path);
  TempFileHandle temp;
  temp.path = fmt::format("{}.{}{}XXXXXX", parts.directory, parts.name.substr(0, kMaxTempStem),
                          kTempMarker);
  temp.fd = ::mkostemp(temp.path.data(), O_CLOEXEC);
  if (temp.fd < 0) return io_error("create a temporary file for", final_path, errno);
  // mkostemp creates 0600; outputs get the mode any new file would get.
  if (::fchmod(temp.fd, static_cast<mode_t>(mode)) != 0) {
    const int error_number = errno;
    ::close(temp.fd);
    ::unlink(temp.path.c_str());
    return io_error("set the mode of", temp.path, error_number);
  }
  return temp;
}

Status write_file_atomically(const std::string& final_path, std::span<const std::uint8_t> bytes,
                             unsigned mode) {
  auto temp = create_temp_beside(final_path, mode);
  if (!temp) return std::move(temp).error();
  Status s;
  if (const int error_number = write_all(temp->fd, bytes); error_number != 0) {
    ::close(temp->fd);
    s = io_error("write", final_path, error_number);
  } else {
    s = close_and_rename(temp->fd, temp->path, final_path, false);
  }
  if (!s) ::unlink(temp->path.c_str());
  return s;
}

std::optional<std::string_view> final_name_of_temp(std::string_view name) {
  if (!name.starts_with('.') || name.size() < 1 + kTempMarker.size() + kTempRandom) {
    return std::nullopt;
  }
  const std::string_view marked = name.substr(1, name.size() - 1 - kTempRandom);
  if (!marked.ends_with(kTempMarker)) return std::nullopt;
  return marked.substr(0, marked.size() - kTempMarker.size());
}

Result<OutputLock> OutputLock::acquire(const std::string& lock_path, const std::string& output) {
  const int fd =
      ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("create the lock file", lock_path, errno);
  OutputLock lock(fd);
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    return Error{ErrorCode::kIo, fmt::format("the lock file {} is not a regular file; remove it "
                                             "and run again",
                                             lock_path)};
  }
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return Error{ErrorCode::kIo,
                   fmt::format("{} is being written by another tessera process (it holds {}); "
                               "wait for it to finish or choose another output",
                               output, lock_path)};
    }
    return io_error("lock", lock_path, errno);
  }
  return lock;
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

Error io_error(std::string_view what, const std::string& path, int error_number) {
  return Error{ErrorCode::kIo,
               fmt::format("cannot {} {}: {}; {}", what, path,
                           std::generic_category().message(error_number), io_hint(error_number))};
}

}  // namespace tessera::detail

namespace tessera {

Status write_file_atomically(const std::string& path, std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  return detail::write_file_atomically(path, std::span(bytes, text.size()),
                                       detail::new_file_mode());
}

}  // namespace tessera
