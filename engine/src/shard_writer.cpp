#include "shard_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "posix_io.hpp"

namespace tessera::detail {
namespace {

constexpr std::size_t kWriteBuffer = 64 * 1024;
constexpr int kStdout = 1;

}  // namespace

ShardWriter::ShardWriter() : entry_(archive_entry_new()) {
  buffer_.reserve(kWriteBuffer);
}

Status ShardWriter::open_file(const std::string& final_path, unsigned mode) {
  target_ = final_path;
  auto temp = create_temp_beside(final_path, mode);
  if (!temp) return std::move(temp).error();
  fd_ = temp->fd;
  owns_fd_ = true;
  temp_path_ = std::move(temp->path);
  return start_archive();
}

Status ShardWriter::open_stdout() {
  target_ = "standard output";
  fd_ = kStdout;
  owns_fd_ = false;
  return start_archive();
}

Status ShardWriter::start_archive() {
  size_ = 0;
  write_errno_ = 0;
  archive_.reset(archive_write_new());
  archive* a = archive_.get();
  // No blocking: the shard ends right after the end-of-archive blocks, so its size is the
  // sum of its members and can be kept under max_shard_bytes; this class buffers instead.
  if (a == nullptr || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_add_filter_none(a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
      archive_write_open2(a, this, nullptr, &ShardWriter::write_callback, nullptr, nullptr) !=
          ARCHIVE_OK) {
    return archive_failure("start");
  }
  return {};
}

// Fixed owner, mode and time, so that the same crops make the same shard bytes.
Status ShardWriter::write_member(const std::string& name, std::span<const std::uint8_t> bytes) {
  archive_entry* e = entry_.get();
  archive_entry_clear(e);
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
  archive_entry_set_mtime(e, 0, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  if (archive_write_header(archive_.get(), e) != ARCHIVE_OK) return archive_failure("write");
  if (!bytes.empty()) {
    const la_ssize_t written = archive_write_data(archive_.get(), bytes.data(), bytes.size());
    if (written < 0 || static_cast<std::size_t>(written) != bytes.size())
      return archive_failure("write");
  }
  if (archive_write_finish_entry(archive_.get()) != ARCHIVE_OK) return archive_failure("write");
  return {};
}

Status ShardWriter::close() {
  if (archive_write_close(archive_.get()) != ARCHIVE_OK) return archive_failure("finish");
  archive_.reset();
  if (Status s = flush(); !s) return s;
  if (!owns_fd_) return {};
  if (Status s = close_and_rename(std::exchange(fd_, -1), temp_path_, target_, false); !s) return s;
  temp_path_.clear();
  return {};
}

void ShardWriter::abort() noexcept {
  if (archive_) {
    archive_write_fail(archive_.get());
    archive_.reset();
  }
  buffer_.clear();
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

la_ssize_t ShardWriter::write_callback(archive* a, void* self, const void* data, size_t size) {
  auto* writer = static_cast<ShardWriter*>(self);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  if (Status s = writer->buffered_write({bytes, size}); !s) {
    archive_set_error(a, writer->write_errno_, "%s", s.error().message.c_str());
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

Status ShardWriter::buffered_write(std::span<const std::uint8_t> bytes) {
  size_ += bytes.size();
  if (buffer_.size() + bytes.size() > kWriteBuffer) {
    if (Status s = flush(); !s) return s;
  }
  if (bytes.size() >= kWriteBuffer) return write_fd(bytes);
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return {};
}

Status ShardWriter::flush() {
  Status s = write_fd(buffer_);
  buffer_.clear();
  return s;
}

Status ShardWriter::write_fd(std::span<const std::uint8_t> bytes) {
  write_errno_ = write_all(fd_, bytes);
  if (write_errno_ != 0) return io_error("write", target_, write_errno_);
  return {};
}

Error ShardWriter::archive_failure(std::string_view what) const {
  if (write_errno_ != 0) return io_error(what, target_, write_errno_);
  const char* message = archive_ == nullptr ? nullptr : archive_error_string(archive_.get());
  return Error{ErrorCode::kIo, fmt::format("cannot {} {}: {}", what, target_,
                                           message == nullptr ? "libarchive failed" : message)};
}

}  // namespace tessera::detail
