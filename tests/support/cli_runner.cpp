#include "cli_runner.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "test_images.hpp"

namespace tessera::test {

namespace {

std::string with_binary_for_tessera(const std::string& line) {
  const std::string word = "tessera";
  std::string expanded;
  for (std::size_t i = 0; i < line.size();) {
    if (line.compare(i, word.size(), word) == 0 && (i == 0 || line[i - 1] == ' ')) {
      expanded += TESSERA_CLI;
      i += word.size();
    } else {
      expanded += line[i++];
    }
  }
  return expanded;
}

// The braces send the output of every command of the line into the capture files.
CliOutcome run_captured(const TempDir& dir, const std::string& line) {
  const std::string shell =
      fmt::format("cd '{}' && {{ {} ; }} > .stdout 2> .stderr", dir.path().string(), line);
  const int status = std::system(shell.c_str());
  CliOutcome outcome;
  outcome.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = read_text(dir.path() / ".stdout");
  outcome.err = read_text(dir.path() / ".stderr");
  std::filesystem::remove(dir.path() / ".stdout");
  std::filesystem::remove(dir.path() / ".stderr");
  return outcome;
}

}  // namespace

CliOutcome run_shell(const TempDir& dir, const std::string& line) {
  return run_captured(dir, with_binary_for_tessera(line));
}

CliOutcome run_tessera(const TempDir& dir, const std::string& arguments) {
  return run_captured(dir, fmt::format("'{}' {}", TESSERA_CLI, arguments));
}

OwnedImage write_image(const std::string& path, int width, int height, const EncodeOptions& options,
                       std::uint64_t seed) {
  OwnedImage image = make_demo_image(width, height, PixelFormat::kRgb8, seed);
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  write_bytes(path, *bytes);
  return image;
}

bool tessera_bookkeeping(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name == ".tessera.lock" || name == ".tessera-run.json" || name.ends_with(".run.json") ||
         (name.starts_with(".") &&
          (name.ends_with(".tar.lock") || name.ends_with(".tessera.lock")));
}

std::string memory_cap_prefix(long kilobytes) {
#if defined(__SANITIZE_ADDRESS__)
  (void)kilobytes;
  return "";
#else
  return fmt::format("ulimit -v {}; ", kilobytes);
#endif
}

std::vector<std::filesystem::path> output_files(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && !tessera_bookkeeping(entry.path()))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> output_names(const std::filesystem::path& root) {
  std::vector<std::string> names;
  for (const auto& file : output_files(root))
    names.push_back(std::filesystem::relative(file, root).string());
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json last_json_line(const std::string& text) {
  std::string found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("{")) found = line;
  }
  REQUIRE(!found.empty());
  return nlohmann::json::parse(found);
}

}  // namespace tessera::test
