// Runs the built tessera binary (TESSERA_CLI) as a user would, inside a TempDir, and writes
// the image files those runs read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"

namespace tessera::test {

struct CliOutcome {
  int code = -1;  // the exit code; -1 when the shell did not exit normally
  std::string out;
  std::string err;
};

// Runs a shell line inside `dir` with stdout and stderr captured. Each word "tessera" (at the
// start or after a space) becomes the built binary, so a line reads like what a user types.
CliOutcome run_shell(const TempDir& dir, const std::string& line);

// Runs the built binary with `arguments` (shell syntax) inside `dir`.
CliOutcome run_tessera(const TempDir& dir, const std::string& arguments);

// Writes make_demo_image(width, height, RGB8, seed) encoded with `options`; returns its pixels.
OwnedImage write_image(const std::string& path, int width, int height, const EncodeOptions& options,
                       std::uint64_t seed = 3);

// Whether `path` is one of tessera's own files beside its outputs, not an output: the lock
// (".tessera.lock", ".NAME.tar.lock", a pyramid's ".NAME.tessera.lock") or the run record
// (".tessera-run.json", "NAME.run.json").
bool tessera_bookkeeping(const std::filesystem::path& path);

// "ulimit -v KB; " to cap a child shell's address space, or "" under AddressSanitizer, which
// reserves terabytes of address space and cannot start under such a cap.
std::string memory_cap_prefix(long kilobytes);

// The files a run wrote under root (none if it does not exist), sorted, without tessera's
// bookkeeping (locks and run records): as paths, and as names relative to root.
std::vector<std::filesystem::path> output_files(const std::filesystem::path& root);
std::vector<std::string> output_names(const std::filesystem::path& root);

// The JSON summary a command prints with --json: the last line of `text` that starts with '{'.
nlohmann::json last_json_line(const std::string& text);

}  // namespace tessera::test
