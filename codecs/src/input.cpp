// InputBytes: memory-mapped files and in-memory buffers behind one read-only span.
#include "tessera/codecs/input.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace tessera {
namespace {

struct Mapping {
  void* address = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (address != nullptr) munmap(address, size);
  }
};

Error io_error(const std::string& path, const char* what, int err) {
  return Error{ErrorCode::kIo, fmt::format("{}: {}: {}", path, what, std::strerror(err))};
}

}  // namespace

Result<InputBytes> InputBytes::open_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error(path, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{ErrorCode::kIo, fmt::format("{}: not a regular file; give an image file", path)};
  }
  InputBytes input;
  input.name_ = path;
  if (st.st_size == 0) {
    ::close(fd);
    return input;  // empty: open_decoder reports it
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<std::size_t>(st.st_size);
  mapping->address = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (mapping->address == MAP_FAILED) {
    mapping->address = nullptr;
    return io_error(path, "cannot map", err);
  }
  input.bytes_ = {static_cast<const std::uint8_t*>(mapping->address), mapping->size};
  input.owner_ = std::move(mapping);
  input.mapped_ = true;
  return input;
}

void InputBytes::release_before(const std::uint8_t* position) noexcept {
  if (!mapped_ || position < bytes_.data() || position > bytes_.data() + bytes_.size()) return;
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t end = static_cast<std::size_t>(position - bytes_.data()) / page * page;
  if (end <= released_) return;
  // The mapping starts on a page boundary, so [released_, end) is whole pages.
  ::madvise(const_cast<std::uint8_t*>(bytes_.data()) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

Result<InputBytes> InputBytes::read_stream(std::FILE* stream, const std::string& name) {
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  while (true) {
    const std::size_t n = std::fread(chunk, 1, sizeof chunk, stream);
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (n < sizeof chunk) break;
  }
  if (std::ferror(stream)) return io_error(name, "cannot read", errno);
  return from_vector(std::move(bytes), name);
}

InputBytes InputBytes::from_vector(std::vector<std::uint8_t> bytes, std::string name) {
  auto owned = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
  InputBytes input;
  input.bytes_ = {owned->data(), owned->size()};
  input.owner_ = std::move(owned);
  input.name_ = std::move(name);
  return input;
}

InputBytes InputBytes::borrow(std::span<const std::uint8_t> bytes, std::string name) {
  InputBytes input;
  input.bytes_ = bytes;
  input.name_ = std::move(name);
  return input;
}

}  // namespace tessera
