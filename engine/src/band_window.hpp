// BandWindow: the rows of one image that are resident at a time, as one contiguous range of
// virtual memory however the rows wrap. It is a ring of `capacity` rows mapped twice back to
// back, so rows [a, b) with b - a <= capacity are always contiguous: a crop is a zero-copy
// view whichever bands it spans, and the ring's pages are reused (touched once) instead of
// faulting in fresh memory for every band. It never decides which rows are free; its owner does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tessera/codecs/image_view.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera::detail {

class BandWindow {
 public:
  // A window for rows of `row_bytes` bytes holding at least `min_capacity` rows. The stride is
  // padded so the ring is a whole number of pages.
  static Result<BandWindow> create(std::size_t row_bytes, int min_capacity);
  // A window over a whole image already in the caller's memory: every row is resident at
  // once (the capacity is the height), nothing is mapped and nothing is ever written to it.
  static BandWindow borrow(const ImageView& image);

  BandWindow() = default;
  BandWindow(BandWindow&& other) noexcept;
  BandWindow& operator=(BandWindow&& other) noexcept;
  BandWindow(const BandWindow&) = delete;
  BandWindow& operator=(const BandWindow&) = delete;
  ~BandWindow();

  int capacity() const noexcept { return capacity_; }
  std::size_t stride() const noexcept { return stride_; }
  // Bytes of memory the window holds: none when it borrows the caller's.
  std::size_t bytes() const noexcept {
    return borrowed_ ? 0 : static_cast<std::size_t>(capacity_) * stride_;
  }

  // Address of image row y. Rows y .. y + capacity - 1 follow at `stride` intervals.
  std::uint8_t* row(int y) const noexcept {
    return base_ + static_cast<std::size_t>(y % capacity_) * stride_;
  }

  // A view of image rows [y, y + h), columns [x, x + w); h <= capacity.
  ImageView view(int x, int y, int w, int h, PixelFormat format) const noexcept {
    return ImageView{
        row(y) + static_cast<std::size_t>(x) * static_cast<std::size_t>(channel_count(format)), w,
        h, stride_, format};
  }

 private:
  void release() noexcept;

  std::uint8_t* base_ = nullptr;
  std::size_t mapped_bytes_ = 0;  // twice the ring
  std::size_t stride_ = 0;
  int capacity_ = 0;
  bool borrowed_ = false;
};

}  // namespace tessera::detail
