// The system calls behind the file sinks, written once: writing every byte, making a finished
// temporary file visible under its final name, fsync, splitting a path, and the kIo error
// that tells the user what to do. Nothing here knows about crops, shards or names of outputs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

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

// A kIo error for a failed system call on `path`: the call, strerror(error_number) and a hint
// for the errors a user can fix (disk full, permissions, read-only file system).
Error io_error(std::string_view what, const std::string& path, int error_number);

}  // namespace tessera::detail
