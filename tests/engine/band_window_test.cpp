// The band window: any run of up to `capacity` rows is contiguous, however it wraps.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
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

// A memfd grown with ftruncate counted against the file-size limit and died by SIGXFSZ. The
// limit is set in a forked child, with SIGXFSZ at its default action, as under `ulimit -f 0`.
TEST_CASE("a band window does not depend on the file size limit", "[engine][window]") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const struct rlimit zero { 0, 0 };
    ::signal(SIGXFSZ, SIG_DFL);
    if (::setrlimit(RLIMIT_FSIZE, &zero) != 0) ::_exit(2);
    auto window = BandWindow::create(4096, 64);
    if (!window.ok()) ::_exit(3);
    std::memset(window->row(0), 1, window->bytes());
    ::_exit(window->row(window->capacity())[0] == 1 ? 0 : 4);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("status " << status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
