// The help text states the engine's own resolved defaults, not numbers of its own.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "tessera/engine/engine.hpp"

namespace tessera::test {
namespace {

TEST_CASE("help text prints the defaults the engine resolves", "[help]") {
  TempDir dir;
  const EngineSettings defaults = resolved_settings();
  EngineOptions one_thread;
  one_thread.threads = 1;
  for (const char* command : {"tile", "crop", "random", "manifest", "tune", "demo"}) {
    INFO(command);
    const CliOutcome help = run_tessera(dir, fmt::format("{} --help", command));
    REQUIRE(help.code == 0);
    CHECK(help.out.find(fmt::format("every core, {} here", defaults.threads)) != std::string::npos);
    CHECK(help.out.find(fmt::format("(default: {} per thread)",
                                    resolved_settings(one_thread).crops_in_flight)) !=
          std::string::npos);
    CHECK(help.out.find(fmt::format("Rows decoded per step (default: {})", defaults.band_rows)) !=
          std::string::npos);
    CHECK(help.out.find(fmt::format("Images open at once (default: {})",
                                    defaults.jobs_in_flight)) != std::string::npos);
  }
}

TEST_CASE("resolved_settings fills only what the options leave at 0", "[help]") {
  EngineOptions options;
  options.threads = 3;
  options.band_rows = 8;
  options.jobs_in_flight = 0;
  const EngineSettings s = resolved_settings(options);
  CHECK(s.threads == 3);
  CHECK(s.crops_in_flight ==
        3 * resolved_settings(EngineOptions{}).crops_in_flight / resolved_settings().threads);
  CHECK(s.band_rows == 8);
  CHECK(s.jobs_in_flight == 1);
  options.crops_in_flight = 5;
  CHECK(resolved_settings(options).crops_in_flight == 5);
}

}  // namespace
}  // namespace tessera::test
