#include "child_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include <fmt/format.h>
#include <catch2/catch.hpp>

namespace tessera::test {

void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL(fmt::format("timed out after {} s waiting for {}",
                       std::chrono::duration<double>(timeout).count(), what));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

ChildProcess ChildProcess::spawn_tessera(const std::filesystem::path& dir,
                                         const std::vector<std::string>& args) {
  return spawn(dir, TESSERA_CLI, args, ".spawn_out", ".spawn_err");
}

ChildProcess ChildProcess::spawn(const std::filesystem::path& dir, const std::string& program,
                                 const std::vector<std::string>& args, const std::string& out,
                                 const std::string& err) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr))
      ::_exit(127);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execvp(program.c_str(), argv.data());
    ::_exit(127);
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), status_(other.status_) {
  other.pid_ = -1;
}

ChildProcess::~ChildProcess() {
  if (pid_ < 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

bool ChildProcess::running() {
  if (status_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  status_ = status;
  return false;
}

void ChildProcess::signal(int signal_number) {
  if (!status_) ::kill(pid_, signal_number);
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      FAIL(fmt::format("tessera (pid {}) was still running after {} s", pid_,
                       std::chrono::duration<double>(timeout).count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -1;
}

}  // namespace tessera::test
