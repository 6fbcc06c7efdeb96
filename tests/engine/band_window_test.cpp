// The band window: any run of up to `capacity` rows is contiguous, however it wraps.
#include <cstring>

#include <catch2/catch.hpp>

#include "band_window.hpp"

using tessera::detail::BandWindow;

TEST_CASE("band window rows stay contiguous across the wrap", "[engine][window]") {
  for (std::size_t row_bytes : {1u, 3000u, 4096u, 49152u}) {
    auto window = BandWindow::create(row_bytes, 10);
    REQUIRE(window.ok());
    const int capacity = window->capacity();
    CHECK(capacity >= 10);
    CHECK(window->stride() % 64 == 0);
    CHECK(window->stride() >= row_bytes);
    // Write rows 0..5*capacity in order, as a decoder would, and after each row check that the
    // last `capacity` rows read back through one pointer + stride.
    for (int y = 0; y < 5 * capacity; ++y) {
      std::memset(window->row(y), y & 0xff, row_bytes);
      const int first = std::max(0, y - capacity + 1);
      const std::uint8_t* base = window->row(first);
      for (int r = first; r <= y; ++r) {
        const std::uint8_t* row = base + static_cast<std::size_t>(r - first) * window->stride();
        REQUIRE(row[0] == (r & 0xff));
        REQUIRE(row[row_bytes - 1] == (r & 0xff));
      }
    }
  }
}

TEST_CASE("a band window too large to map is an error, not a crash", "[engine][window]") {
  auto window = BandWindow::create(std::size_t{1} << 40, 1 << 20);
  REQUIRE_FALSE(window.ok());
  CHECK(window.error().code == tessera::ErrorCode::kTooLarge);
}
