// One tar shard being written: libarchive lays out the members, this class buffers its bytes
// and sends them to a file (under a temporary name until close() renames it) or to standard
// output. It decides nothing about keys or when a shard is full; that is the tar sink's job.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

class ShardWriter {
 public:
  ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;
  ~ShardWriter() { abort(); }

  // Starts a shard in a new, exclusively created temporary file beside `final_path`, with file
  // mode `mode`, that close() renames to `final_path`.
  Status open_file(const std::string& final_path, unsigned mode);
  // Starts a shard on standard output, which stays open after close().
  Status open_stdout();

  bool is_open() const noexcept { return archive_ != nullptr; }
  // Bytes of the open shard so far, without the end-of-archive blocks.
  std::uint64_t size() const noexcept { return size_; }

  Status write_member(const std::string& name, std::span<const std::uint8_t> bytes);
  // Ends the archive, flushes and, for a file, renames it to its final name.
  Status close();
  // Drops the open shard; a file is removed. On standard output no end-of-archive is
  // written, so the reader sees a truncated stream rather than a silently short one.
  void abort() noexcept;

 private:
  struct ArchiveFree {
    void operator()(archive* a) const noexcept { archive_write_free(a); }
  };
  struct EntryFree {
    void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
  };

  Status start_archive();
  static la_ssize_t write_callback(archive* a, void* self, const void* data, size_t size);
  Status buffered_write(std::span<const std::uint8_t> bytes);
  Status write_fd(std::span<const std::uint8_t> bytes);
  Status flush();
  Error archive_failure(std::string_view what) const;

  std::unique_ptr<archive_entry, EntryFree> entry_;
  std::unique_ptr<archive, ArchiveFree> archive_;
  std::vector<std::uint8_t> buffer_;
  int fd_ = -1;
  bool owns_fd_ = false;  // false for standard output
  int write_errno_ = 0;
  std::string target_;     // the final shard name, for messages
  std::string temp_path_;  // set while a temporary shard exists on disk
  std::uint64_t size_ = 0;
};

}  // namespace tessera::detail
