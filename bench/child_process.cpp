#include "child_process.hpp"

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>

namespace tessera::bench {
namespace {

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string text;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  return text;
}

[[noreturn]] void child_main(int fd, const std::function<nlohmann::json()>& body) {
  nlohmann::json result;
  const long start = current_rss_kib();
  try {
    result = body();
  } catch (const std::exception& error) {
    result = nlohmann::json{{"error", error.what()}};
  } catch (...) {
    result = nlohmann::json{{"error", "unknown exception"}};
  }
  result["start_rss_kib"] = start;
  write_all(fd, result.dump());
  ::close(fd);
  std::fflush(nullptr);
  // _exit: the child must not run the parent's atexit handlers or static destructors.
  ::_exit(0);
}

}  // namespace

long current_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

ChildOutcome run_in_child(const std::function<nlohmann::json()>& body) {
  ChildOutcome outcome;
  int fds[2];
  if (::pipe(fds) != 0) {
    outcome.result = {{"error", std::string("pipe: ") + std::strerror(errno)}};
    return outcome;
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    outcome.result = {{"error", std::string("fork: ") + std::strerror(errno)}};
    ::close(fds[0]);
    ::close(fds[1]);
    return outcome;
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], body);
  }
  ::close(fds[1]);
  const std::string text = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  outcome.peak_rss_kib = usage.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
    outcome.result = {{"error", WIFSIGNALED(status)
                                    ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                    : std::string("child ended without a result")}};
    return outcome;
  }
  outcome.result = nlohmann::json::parse(text, nullptr, false);
  if (outcome.result.is_discarded()) {
    outcome.result = {{"error", "child wrote unreadable JSON"}};
    return outcome;
  }
  outcome.start_rss_kib = outcome.result.value("start_rss_kib", 0L);
  outcome.ok = !outcome.result.contains("error");
  return outcome;
}

}  // namespace tessera::bench
