// Fuzzes the CLI's JSON-lines manifest parser. The parser is private to
// tessera::cli::ManifestSource (tools/job_sources.cpp, part of the executable rather than a
// library), so the harness compiles that file in and drives the public open()/next() over
// a temporary file that holds the fuzz bytes. Every job it yields is then planned.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "job_sources.hpp"

namespace {

// One manifest path per process: libFuzzer workers run as separate processes.
const std::string& manifest_path() {
  static const std::string path = [] {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("tessera_fuzz_manifest_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    return (dir / "manifest.jsonl").string();
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = manifest_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  tessera::cli::JobNotes notes;
  auto source = tessera::cli::ManifestSource::open(path, {}, notes);
  if (!source) return 0;
  tessera::PlanLimits limits;
  limits.max_crops = 4096;
  // A line yields at most one job, so this bounds the loop whatever the input holds.
  for (std::size_t jobs = 0; jobs <= size; ++jobs) {
    auto job = (*source)->next();
    if (!job) break;
    if (job->path.empty()) __builtin_trap();
    (void)tessera::make_plan(job->plan, 640, 480, limits);
  }
  return 0;
}
