// The system calls behind the file sinks, written once: writing every byte, making a finished
// temporary file visible under its final name, fsync, splitting a path, and the kIo error
// that tells the user what to do. Nothing here knows about crops, shards or names of outputs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

// A path cut after its last '/': "out/a/x.tar" -> {"out/a/", "x.tar"}. The directory keeps
// its slash, so directory + name is always the path again. "x" -> {"", "x"}, "/x" -> {"/", "x"},
// "a/b/" -> {"a/b/", ""} (it names no file), "" -> {"", ""}.
struct PathParts {
  std::string_view directory;
  std::string_view name;
};
PathParts split_path(std::string_view path) noexcept;

// The directory to open, create or sync for `path`'s entry: "x" -> ".", "/x" -> "/",
// "a/b/x" -> "a/b".
std::string parent_directory(std::string_view path);

// Writes every byte, again after a signal (EINTR) or a short write. Returns 0, or the errno
// of the write that failed (the caller decides how to report it).
[[nodiscard]] int write_all(int fd, std::span<const std::uint8_t> bytes) noexcept;

// Flushes `directory`'s entries to disk, so that a rename in it survives a power cut.
Status sync_directory(const std::string& directory);

// Publishes a complete file written at `temp_path` as `final_path`: closes `fd` and renames,
// which is atomic, so a reader sees the whole file or none. With `sync`, the data is flushed
// before the close and the directory entry after the rename. `fd` is closed on every path;
// on failure the caller still owns (and removes) `temp_path`. Errors name `final_path`.
Status close_and_rename(int fd, const std::string& temp_path, const std::string& final_path,
                        bool sync);

// The mode open(path, O_CREAT, 0666) would give a new file: 0666 without the umask bits.
unsigned new_file_mode();

// A new file created exclusively (mkostemp) beside `final_path`, named ".NAME.tmp-XXXXXX" with
// NAME cut to fit NAME_MAX: unique, so two writers never share it, and never a symlink or a
// file planted there beforehand. Its mode is `mode`. Errors name `final_path`.
struct TempFileHandle {
  int fd = -1;
  std::string path;
};
Result<TempFileHandle> create_temp_beside(const std::string& final_path, unsigned mode);

// Writes `bytes` to `final_path` atomically: a temporary file beside it, then a rename.
Status write_file_atomically(const std::string& final_path, std::span<const std::uint8_t> bytes,
                             unsigned mode);

// For a directory entry `name` made by create_temp_beside(), the final name it was made for (cut
// as create_temp_beside() cuts it); nullopt for any other name.
std::optional<std::string_view> final_name_of_temp(std::string_view name);

// An exclusive advisory lock (flock) on `lock_path`, held until the object goes, so that two
// tessera processes never write the same output. The lock file is opened with O_NOFOLLOW and
// O_NONBLOCK (a symlink or FIFO planted there is refused, never followed or waited on) and is
// left in place: removing it would let a third process lock a different inode.
class OutputLock {
 public:
  static Result<OutputLock> acquire(const std::string& lock_path, const std::string& output);
  OutputLock(OutputLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OutputLock& operator=(OutputLock&&) = delete;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();

 private:
  explicit OutputLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// A kIo error for a failed system call on `path`: the call, strerror(error_number) and a hint
// for the errors a user can fix (disk full, permissions, read-only file system).
Error io_error(std::string_view what, const std::string& path, int error_number);

}  // namespace tessera::detail
