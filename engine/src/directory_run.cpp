#include "directory_run.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "run_record.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/input.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kLockName = ".tessera.lock";
constexpr std::string_view kRecordName = ".tessera-run.json";

// "{stem}/{x}_{y}.{ext}" -> "*/*_*.*": every placeholder matches within one path component,
// literal glob characters are escaped.
std::string template_glob(std::string_view name_template) {
  std::string glob;
  bool in_placeholder = false;
  for (const char c : name_template) {
    if (in_placeholder) {
      if (c == '}') in_placeholder = false;
      continue;
    }
    if (c == '{') {
      in_placeholder = true;
      glob += '*';
    } else {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') glob += '\\';
      glob += c;
    }
  }
  return glob;
}

// The relative path a directory entry stands for: itself, or for a temporary file the final
// file it was being written as.
std::optional<std::string> run_path_of(const fs::path& relative) {
  const std::string name = relative.filename().string();
  if (auto final_name = final_name_of_temp(name)) {
    return (relative.parent_path() / std::string(*final_name)).string();
  }
  return relative.string();
}

// Removes the regular files (and leftover temporary files) under `directory` whose paths match
// the template an earlier run recorded; then the directories this left empty.
Status remove_run_files(const std::string& directory, std::string_view name_template) {
  const std::string glob = template_glob(name_template);
  std::error_code error;
  std::vector<fs::path> files;
  std::vector<fs::path> folders;
  for (auto it = fs::recursive_directory_iterator(directory, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_symlink(error)) continue;
    if (it->is_directory(error)) {
      folders.push_back(it->path());
      continue;
    }
    if (!it->is_regular_file(error)) continue;
    const auto path = run_path_of(fs::relative(it->path(), directory, error));
    if (path && ::fnmatch(glob.c_str(), path->c_str(), FNM_PATHNAME | FNM_PERIOD) == 0)
      files.push_back(it->path());
  }
  if (error) return io_error("list the output directory", directory, error.value());
  for (const fs::path& file : files) {
    if (!fs::remove(file, error) && error)
      return io_error("remove the earlier run's file", file.string(), error.value());
  }
  for (auto folder = folders.rbegin(); folder != folders.rend(); ++folder) {
    if (fs::is_empty(*folder, error)) fs::remove(*folder, error);
  }
  return {};
}

// The earlier run's name template, or the default when the record has none.
std::string recorded_template(const std::optional<RunRecord>& old, const std::string& fallback) {
  if (!old || !old->run.contains("names") || !old->run["names"].is_string()) return fallback;
  return old->run["names"].get<std::string>();
}

}  // namespace

Result<DirectoryClaim> claim_directory(const std::string& directory,
                                       const DirectorySinkOptions& options) {
  DirectoryClaim claim;
  auto lock = OutputLock::acquire(fmt::format("{}/{}", directory, kLockName), directory + "/");
  if (!lock) return std::move(lock).error();
  claim.lock.emplace(std::move(lock).value());
  if (options.run.empty()) return claim;

  auto run = run_of(options.run);
  if (!run) return std::move(run).error();
  claim.run = std::move(run).value();
  claim.run["names"] = options.name_template;
  claim.record_path = fmt::format("{}/{}", directory, kRecordName);
  auto old = read_run_record(claim.record_path);
  if (!old) return std::move(old).error();
  // Without a record, which files in a directory are tessera's cannot be told: none are.
  auto decided =
      claim_output({directory + "/", &*old, false, &claim.run, options.resume, options.overwrite});
  if (!decided) return std::move(decided).error();
  if (*decided == Claim::kReplace && options.overwrite) {
    const std::string names = recorded_template(*old, options.name_template);
    if (Status s = remove_run_files(directory, names); !s) return std::move(s).error();
  }
  if (Status s = write_run_record(claim.record_path, {claim.run, false}); !s)
    return std::move(s).error();
  return claim;
}

bool valid_output_file(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode) || status.st_size <= 0)
    return false;
  auto input = InputBytes::open_file(path);
  return input && open_decoder(std::move(input).value()).ok();
}

}  // namespace tessera::detail
