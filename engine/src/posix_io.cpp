#include "posix_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

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
    case EIO: return "the device reported an I/O error; check the disk";
    default: return "check the output location";
  }
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

Error io_error(std::string_view what, const std::string& path, int error_number) {
  return Error{ErrorCode::kIo,
               fmt::format("cannot {} {}: {}; {}", what, path,
                           std::generic_category().message(error_number), io_hint(error_number))};
}

}  // namespace tessera::detail
