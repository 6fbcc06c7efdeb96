#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "posix_io.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using tessera::ErrorCode;
using namespace tessera::detail;
using namespace tessera::test;

namespace {

std::atomic<int> g_signals{0};

// SIGUSR1 without SA_RESTART for the life of the object, so that a blocked write() returns
// early: with a short count when part of the data went through, with EINTR when none did.
class InterruptingSignal {
 public:
  InterruptingSignal() {
    struct sigaction action {};
    action.sa_handler = [](int) { g_signals.fetch_add(1); };
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    ::sigaction(SIGUSR1, &action, &previous_);
  }
  ~InterruptingSignal() { ::sigaction(SIGUSR1, &previous_, nullptr); }
  InterruptingSignal(const InterruptingSignal&) = delete;
  InterruptingSignal& operator=(const InterruptingSignal&) = delete;

 private:
  struct sigaction previous_ {};
};

std::vector<std::uint8_t> pattern(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + (i >> 9));
  return bytes;
}

// Everything until end of file, in small reads with pauses, so that the writer keeps blocking.
std::vector<std::uint8_t> drain_slowly(int fd) {
  std::vector<std::uint8_t> received;
  std::uint8_t chunk[1000];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return received;
    received.insert(received.end(), chunk, chunk + n);
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

}  // namespace

TEST_CASE("write_all delivers every byte through short and interrupted writes", "[posix_io]") {
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  ::fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096);  // a small pipe: the writer blocks again and again
  const std::vector<std::uint8_t> sent = pattern(512 * 1024);

  InterruptingSignal signal;
  g_signals = 0;
  std::atomic<bool> writing{true};
  const pthread_t writer = ::pthread_self();
  std::thread interrupter([&] {
    while (writing) {
      ::pthread_kill(writer, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  std::vector<std::uint8_t> received;
  std::thread reader([&] { received = drain_slowly(pipe_fds[0]); });

  const int error_number = write_all(pipe_fds[1], sent);
  writing = false;
  interrupter.join();
  ::close(pipe_fds[1]);
  reader.join();
  ::close(pipe_fds[0]);

  CHECK(error_number == 0);
  CHECK(g_signals > 0);  // the write really was interrupted
  REQUIRE(received.size() == sent.size());
  CHECK(received == sent);
}

TEST_CASE("write_all returns the errno of a failed write", "[posix_io]") {
  const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const std::vector<std::uint8_t> bytes = pattern(100);
  CHECK(write_all(fd, bytes) == ENOSPC);
  CHECK(write_all(fd, {}) == 0);  // nothing to write is not a write
  ::close(fd);
}

TEST_CASE("split_path cuts after the last slash and keeps it with the directory", "[posix_io]") {
  struct Case {
    std::string_view path, directory, name, parent;
  };
  const Case cases[] = {
      {"a", "", "a", "."},
      {"/a", "/", "a", "/"},
      {"a/b/", "a/b/", "", "a/b"},
      {"", "", "", "."},
      {"out/a/x.tar", "out/a/", "x.tar", "out/a"},
      {"/", "/", "", "/"},
      {"a//b", "a//", "b", "a/"},
      {".hidden", "", ".hidden", "."},
  };
  for (const Case& c : cases) {
    INFO("path \"" << c.path << "\"");
    const PathParts parts = split_path(c.path);
    CHECK(parts.directory == c.directory);
    CHECK(parts.name == c.name);
    CHECK(std::string(parts.directory) + std::string(parts.name) == c.path);
    CHECK(parent_directory(c.path) == c.parent);
  }
}

TEST_CASE("close_and_rename publishes a complete file under its final name", "[posix_io]") {
  TempDir dir;
  const bool sync = GENERATE(false, true);
  const std::string temp = dir / ".out.tmp";
  const std::string final_path = dir / "out";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  const std::vector<std::uint8_t> bytes = pattern(3000);
  REQUIRE(write_all(fd, bytes) == 0);

  REQUIRE(close_and_rename(fd, temp, final_path, sync));
  CHECK_FALSE(fs::exists(temp));
  CHECK(read_text(final_path) == std::string(bytes.begin(), bytes.end()));
  CHECK(::fcntl(fd, F_GETFD) == -1);  // closed
}

TEST_CASE("close_and_rename reports a failed rename and leaves the temporary file", "[posix_io]") {
  TempDir dir;
  const std::string temp = dir / ".out.tmp";
  const std::string final_path = dir / "missing/out";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);

  const tessera::Status status = close_and_rename(fd, temp, final_path, true);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kIo);
  CHECK_THAT(status.error().message,
             Catch::Contains("cannot rename " + temp + " to " + final_path));
  CHECK(fs::exists(temp));
  CHECK(::fcntl(fd, F_GETFD) == -1);
}

TEST_CASE("sync_directory and io_error name the path and what to do", "[posix_io]") {
  TempDir dir;
  CHECK(sync_directory(dir.path().string()));
  const tessera::Status missing = sync_directory(dir / "missing");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("cannot open directory " + (dir / "missing")));

  const tessera::Error full = io_error("write", "out/x.jpg", ENOSPC);
  CHECK(full.code == ErrorCode::kIo);
  CHECK_THAT(
      full.message,
      Catch::StartsWith("cannot write out/x.jpg: No space left on device; the disk is full"));
}
