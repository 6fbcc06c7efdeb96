// InputBytes and its two sources: a file or stream read with read(), and bytes in memory.
// read() rather than mmap: a mapped file that another program truncates raises SIGBUS, which
// kills the whole process; a short read only fails the job that reads it.
#include "tessera/codecs/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace tessera {

struct InputBytes::Origin {
  // Memory: the bytes and what keeps them alive.
  std::shared_ptr<const void> owner;
  std::span<const std::uint8_t> memory;
  // File or stream: a descriptor of our own, closed with the last copy.
  int fd = -1;
  bool stream = false;
  std::uint64_t size = 0;    // a file's size when it was opened
  struct timespec mtime {};  // and its modification time, to notice a rewrite
  std::vector<std::uint8_t> head;
  std::atomic<bool> stream_taken{false};

  ~Origin() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 16;

Error io_error(const std::string& path, const char* what, int err) {
  return Error{ErrorCode::kIo, fmt::format("{}: {}: {}", path, what, std::strerror(err))};
}

Error changed_error(const std::string& name, std::uint64_t size, std::uint64_t at) {
  return Error{ErrorCode::kIo,
               fmt::format("{}: the file changed while being read (it had {} bytes when opened, "
                           "read stopped at byte {}); another program truncated or rewrote it, "
                           "rerun once it is complete",
                           name, size, at)};
}

bool same_time(const struct timespec& a, const struct timespec& b) noexcept {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// Opens without blocking (O_NONBLOCK: a FIFO with no writer would wait in open() forever),
// then clears O_NONBLOCK so reads wait for data as usual. A directory is refused; so is any
// other non-regular file unless `streams` allows pipes and devices (read with a size limit).
Result<std::pair<int, struct stat>> open_input_fd(const std::string& path, std::string_view what,
                                                  bool streams) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    return Error{ErrorCode::kIo, fmt::format("{}: cannot open the {}: {}; check the path and its "
                                             "permissions",
                                             path, what, std::strerror(err))};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error(path, "cannot stat", err);
  }
  const bool stream = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode);
  if (!S_ISREG(st.st_mode) && !(streams && stream)) {
    ::close(fd);
    const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                                              : "a special file";
    return Error{ErrorCode::kIo,
                 fmt::format("{}: {}, not a regular file; give a {} file{}", path, kind, what,
                             streams ? "" : ", or pipe a stream to stdin as '-'")};
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return std::pair{fd, st};
}

// One read(); EINTR is not retried: only tessera's SIGINT/SIGTERM handlers interrupt, and
// they mean stop, so a read from a silent pipe must not swallow them.
Result<std::size_t> read_some(int fd, std::uint8_t* into, std::size_t count, std::uint64_t offset,
                              bool stream, const std::string& name) {
  const ssize_t got =
      stream ? ::read(fd, into, count) : ::pread(fd, into, count, static_cast<off_t>(offset));
  if (got >= 0) return static_cast<std::size_t>(got);
  if (errno == EINTR) {
    return Error{ErrorCode::kCancelled, fmt::format("{}: reading was interrupted", name)};
  }
  return io_error(name, "cannot read", errno);
}

Error stream_limit_error(const std::string& name) {
  return Error{ErrorCode::kTooLarge,
               fmt::format("{}: the stream holds more than {} MiB, the limit for an image read "
                           "from stdin; save it to a file and give its path instead",
                           name, kMaxStreamBytes >> 20)};
}

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::shared_ptr<const InputBytes::Origin> origin)
      : origin_(std::move(origin)) {}
  // All at once: a decoder reading memory copies nothing.
  Result<std::span<const std::uint8_t>> next() override {
    const auto rest = origin_->memory.subspan(position_);
    position_ = origin_->memory.size();
    return rest;
  }
  std::uint64_t position() const noexcept override { return position_; }

 private:
  std::shared_ptr<const InputBytes::Origin> origin_;
  std::size_t position_ = 0;
};

class FdSource final : public ByteSource {
 public:
  FdSource(std::shared_ptr<const InputBytes::Origin> origin, std::string name)
      : origin_(std::move(origin)), name_(std::move(name)), buffer_(kChunkBytes) {}

  Result<std::span<const std::uint8_t>> next() override {
    return origin_->stream ? next_from_stream() : next_from_file();
  }
  std::uint64_t position() const noexcept override { return position_; }

 private:
  // A file is read up to its size at open, and must still have it: a shorter or rewritten
  // file would give a decoder bytes of two different versions.
  Result<std::span<const std::uint8_t>> next_from_file() {
    if (position_ >= origin_->size) {
      struct stat st {};
      if (::fstat(origin_->fd, &st) == 0 &&
          (static_cast<std::uint64_t>(st.st_size) != origin_->size ||
           !same_time(st.st_mtim, origin_->mtime))) {
        return changed_error(name_, origin_->size, position_);
      }
      return std::span<const std::uint8_t>{};
    }
    const auto want = static_cast<std::size_t>(
        std::min<std::uint64_t>(buffer_.size(), origin_->size - position_));
    auto got = read_some(origin_->fd, buffer_.data(), want, position_, false, name_);
    if (!got) return std::move(got).error();
    if (*got == 0) return changed_error(name_, origin_->size, position_);
    position_ += *got;
    return std::span<const std::uint8_t>(buffer_.data(), *got);
  }

  // A stream's first bytes were read at open to sniff it; they come first.
  Result<std::span<const std::uint8_t>> next_from_stream() {
    if (position_ < origin_->head.size()) {
      const auto rest = std::span<const std::uint8_t>(origin_->head).subspan(position_);
      position_ = origin_->head.size();
      return rest;
    }
    if (position_ >= kMaxStreamBytes) return stream_limit_error(name_);
    auto got = read_some(origin_->fd, buffer_.data(), buffer_.size(), 0, true, name_);
    if (!got) return std::move(got).error();
    position_ += *got;
    return std::span<const std::uint8_t>(buffer_.data(), *got);
  }

  std::shared_ptr<const InputBytes::Origin> origin_;
  std::string name_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t position_ = 0;
};

// Fills `head` from the start of a file or stream, as far as kHeadBytes or the end.
Status read_head(InputBytes::Origin& origin, const std::string& name) {
  origin.head.resize(kHeadBytes);
  std::size_t have = 0;
  while (have < kHeadBytes) {
    auto got = read_some(origin.fd, origin.head.data() + have, kHeadBytes - have, have,
                         origin.stream, name);
    if (!got) return std::move(got).error();
    if (*got == 0) break;
    have += *got;
  }
  origin.head.resize(have);
  return {};
}

}  // namespace

Result<InputBytes> InputBytes::open_file(const std::string& path) {
  auto opened = open_input_fd(path, "image", false);
  if (!opened) return std::move(opened).error();
  auto origin = std::make_shared<Origin>();
  origin->fd = opened->first;
  origin->size = static_cast<std::uint64_t>(opened->second.st_size);
  origin->mtime = opened->second.st_mtim;
  if (Status head = read_head(*origin, path); !head) return std::move(head).error();
  InputBytes input;
  input.origin_ = std::move(origin);
  input.name_ = path;
  return input;
}

Result<InputBytes> InputBytes::open_stdin() {
  auto origin = std::make_shared<Origin>();
  origin->fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
  if (origin->fd < 0) return io_error("-", "cannot use stdin", errno);
  origin->stream = true;
  if (Status head = read_head(*origin, "-"); !head) return std::move(head).error();
  InputBytes input;
  input.origin_ = std::move(origin);
  input.name_ = "-";
  return input;
}

InputBytes InputBytes::from_vector(std::vector<std::uint8_t> bytes, std::string name) {
  auto owned = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
  InputBytes input = borrow({owned->data(), owned->size()}, std::move(name));
  input.origin_->owner = std::move(owned);
  return input;
}

InputBytes InputBytes::borrow(std::span<const std::uint8_t> bytes, std::string name) {
  InputBytes input;
  input.origin_ = std::make_shared<Origin>();
  input.origin_->memory = bytes;
  input.name_ = std::move(name);
  return input;
}

std::span<const std::uint8_t> InputBytes::head() const noexcept {
  if (!origin_) return {};
  if (origin_->fd < 0) return origin_->memory.first(std::min(origin_->memory.size(), kHeadBytes));
  return origin_->head;
}

std::optional<std::uint64_t> InputBytes::size() const noexcept {
  if (!origin_) return 0;
  if (origin_->fd < 0) return origin_->memory.size();
  if (origin_->stream) return std::nullopt;
  return origin_->size;
}

std::span<const std::uint8_t> InputBytes::memory() const noexcept {
  return origin_ ? origin_->memory : std::span<const std::uint8_t>{};
}

Result<std::unique_ptr<ByteSource>> InputBytes::open_source() const {
  if (!origin_)
    return std::unique_ptr<ByteSource>(
        std::make_unique<MemorySource>(std::make_shared<const Origin>()));
  if (origin_->fd < 0) return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(origin_));
  if (origin_->stream && origin_->stream_taken.exchange(true)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: a stream can be read only once; save it to a file to read it "
                             "again",
                             name_)};
  }
  return std::unique_ptr<ByteSource>(std::make_unique<FdSource>(origin_, name_));
}

Result<std::size_t> InputBytes::read_at(std::uint64_t offset, std::span<std::uint8_t> into) const {
  if (!origin_) return std::size_t{0};
  if (origin_->fd < 0) {
    const std::span<const std::uint8_t> bytes = origin_->memory;
    if (offset >= bytes.size()) return std::size_t{0};
    const auto count =
        static_cast<std::size_t>(std::min<std::uint64_t>(into.size(), bytes.size() - offset));
    std::memcpy(into.data(), bytes.data() + offset, count);
    return count;
  }
  if (origin_->stream) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("{}: a stream cannot be read at random offsets; read it whole first", name_)};
  }
  if (offset >= origin_->size) return std::size_t{0};
  const auto want =
      static_cast<std::size_t>(std::min<std::uint64_t>(into.size(), origin_->size - offset));
  std::size_t have = 0;
  while (have < want) {
    auto got = read_some(origin_->fd, into.data() + have, want - have, offset + have, false, name_);
    if (!got) return std::move(got).error();
    if (*got == 0) return changed_error(name_, origin_->size, offset + have);
    have += *got;
  }
  return have;
}

Status InputBytes::check_unchanged() const {
  if (!origin_ || origin_->fd < 0 || origin_->stream) return {};
  struct stat st {};
  if (::fstat(origin_->fd, &st) != 0) return io_error(name_, "cannot stat", errno);
  if (static_cast<std::uint64_t>(st.st_size) != origin_->size ||
      !same_time(st.st_mtim, origin_->mtime)) {
    return Error{ErrorCode::kIo,
                 fmt::format("{}: the file changed while being read (it had {} bytes when opened "
                             "and has {} now, or was rewritten); another program truncated or "
                             "rewrote it, rerun once it is complete",
                             name_, origin_->size, st.st_size)};
  }
  return {};
}

Result<std::span<const std::uint8_t>> InputBytes::read_all(std::vector<std::uint8_t>& storage,
                                                           std::uint64_t limit) const {
  if (origin_ && origin_->fd < 0) return origin_->memory;
  auto source = open_source();
  if (!source) return std::move(source).error();
  if (const auto known = size()) storage.reserve(static_cast<std::size_t>(std::min(*known, limit)));
  while (true) {
    auto chunk = (*source)->next();
    if (!chunk) return std::move(chunk).error();
    if (chunk->empty()) return std::span<const std::uint8_t>(storage);
    if (storage.size() + chunk->size() > limit) {
      return Error{ErrorCode::kTooLarge,
                   fmt::format("{}: more than {} MiB to hold in memory for a whole-image "
                               "decoder; convert the image to PNG or JPEG",
                               name_, limit >> 20)};
    }
    storage.insert(storage.end(), chunk->begin(), chunk->end());
  }
}

Result<std::string> read_text_file(const std::string& path, std::string_view what,
                                   std::uint64_t limit) {
  auto opened = open_input_fd(path, what, true);
  if (!opened) return std::move(opened).error();
  const int fd = opened->first;
  std::string text;
  char buffer[kChunkBytes];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const int err = errno;
      ::close(fd);
      if (got < 0) return io_error(path, "cannot read", err);
      return text;
    }
    if (text.size() + static_cast<std::size_t>(got) > limit) {
      ::close(fd);
      return Error{ErrorCode::kTooLarge,
                   fmt::format("{}: the {} is larger than {} MiB, the limit for text inputs; "
                               "split it into smaller files",
                               path, what, limit >> 20)};
    }
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace tessera
