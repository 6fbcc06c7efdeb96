// Runs one benchmark variant in a forked child so that its peak RSS (wait4's ru_maxrss) is its
// own and not mixed with the other variants'. The parent must stay small before forking: a
// child starts with the parent's resident pages already counted.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace tessera::bench {

struct ChildOutcome {
  nlohmann::json result;   // what the body returned, or {"error": "..."}
  long peak_rss_kib = 0;   // ru_maxrss of the child
  long start_rss_kib = 0;  // resident when the child began (inherited from the parent)
  bool ok = false;
};

// Calls body() in a child process and returns its JSON result. The body may throw; the message
// comes back as result["error"]. Called from a single-threaded parent only.
ChildOutcome run_in_child(const std::function<nlohmann::json()>& body);

// VmRSS of this process, in KiB.
long current_rss_kib();

}  // namespace tessera::bench
