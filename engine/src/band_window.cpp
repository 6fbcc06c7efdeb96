#include "band_window.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <utility>

#include <fmt/format.h>

namespace tessera::detail {
namespace {

constexpr std::size_t kRowAlignment = 64;  // a cache line, and it keeps the page period short

std::size_t round_up(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

Error map_error(const char* what, std::size_t bytes) {
  return Error{
      ErrorCode::kTooLarge,
      fmt::format("cannot {} a band window of {} MiB: {}; lower --band-rows or use smaller "
                  "crops",
                  what, bytes >> 20, std::strerror(errno))};
}

}  // namespace

Result<BandWindow> BandWindow::create(std::size_t row_bytes, int min_capacity) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  BandWindow window;
  window.stride_ = round_up(row_bytes, kRowAlignment);
  // The ring must be a whole number of pages for the second mapping to line up.
  const std::size_t rows_per_period = page / std::gcd(window.stride_, page);
  window.capacity_ =
      static_cast<int>(round_up(static_cast<std::size_t>(min_capacity), rows_per_period));
  const std::size_t ring = window.bytes();

  // Anonymous shared memory, not a memfd: growing a memfd with ftruncate counts against the
  // file-size limit (ulimit -f) and dies by SIGXFSZ. mremap with old_size 0 duplicates a
  // shared mapping, which gives the second view of the same pages right after the first.
  void* reserve =
      ::mmap(nullptr, 2 * ring, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserve == MAP_FAILED) return map_error("reserve", 2 * ring);
  auto* base = static_cast<std::uint8_t*>(reserve);
  const bool mapped =
      ::mmap(base, ring, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
          MAP_FAILED &&
      ::mremap(base, 0, ring, MREMAP_MAYMOVE | MREMAP_FIXED, base + ring) != MAP_FAILED;
  if (!mapped) {
    const Error error = map_error("map", ring);
    ::munmap(base, 2 * ring);
    return error;
  }
  window.base_ = base;
  window.mapped_bytes_ = 2 * ring;
  return window;
}

BandWindow BandWindow::borrow(const ImageView& image) {
  BandWindow window;
  // The window never writes through base_: rows are only read by crops, and the pixel
  // decoder leaves rows that are already in place untouched.
  window.base_ =
      const_cast<std::uint8_t*>(image.data);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  window.stride_ = image.stride;
  window.capacity_ = image.height;
  window.borrowed_ = true;
  return window;
}

BandWindow::BandWindow(BandWindow&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_bytes_(std::exchange(other.mapped_bytes_, 0)),
      stride_(other.stride_),
      capacity_(other.capacity_),
      borrowed_(other.borrowed_) {}

BandWindow& BandWindow::operator=(BandWindow&& other) noexcept {
  if (this != &other) {
    release();
    base_ = std::exchange(other.base_, nullptr);
    mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
    stride_ = other.stride_;
    capacity_ = other.capacity_;
    borrowed_ = other.borrowed_;
  }
  return *this;
}

BandWindow::~BandWindow() {
  release();
}

void BandWindow::release() noexcept {
  if (base_ != nullptr && !borrowed_) ::munmap(base_, mapped_bytes_);
  base_ = nullptr;
}

}  // namespace tessera::detail
