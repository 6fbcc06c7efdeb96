// Waiting with a deadline. A test that waits on something outside its control (a child
// process, a file another process writes) fails with a message naming what it waited for,
// instead of hanging until ctest kills it without saying why.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::test {

// Polls `done` every millisecond until it returns true; after `timeout`, FAILs the test with
// "timed out after N s waiting for <what>".
void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::string_view what);

// A child process the test owns: every wait has a deadline, and a child still running when
// the object goes (a failed REQUIRE unwinds past it) is killed and reaped, never left behind.
class ChildProcess {
 public:
  // Starts the built tessera (TESSERA_CLI) with `args` in `dir`; its stdout and stderr go to
  // dir/.spawn_out and dir/.spawn_err.
  static ChildProcess spawn_tessera(const std::filesystem::path& dir,
                                    const std::vector<std::string>& args);
  // Starts `program` (looked up in PATH) with `args` in `dir`, its stdout and stderr going to
  // the files `out` and `err` (relative to dir).
  static ChildProcess spawn(const std::filesystem::path& dir, const std::string& program,
                            const std::vector<std::string>& args, const std::string& out,
                            const std::string& err);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // False once the child has exited (it is then reaped and its status kept).
  bool running();
  void signal(int signal_number);
  // The exit code, or -1 when a signal ended it. A child still running after `timeout` is
  // killed and the test FAILs.
  int wait(std::chrono::milliseconds timeout);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<int> status_;  // from waitpid, once reaped
};

}  // namespace tessera::test
