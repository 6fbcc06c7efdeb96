#include "run_record.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include <fmt/format.h>

#include "posix_io.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "tessera/version.hpp"

namespace tessera::detail {
namespace {

constexpr int kRecordFormat = 1;
// A record lists its inputs; a million-line manifest still fits, a wrong file does not.
constexpr std::uint64_t kMaxRecordBytes = std::uint64_t{256} << 20;
constexpr std::size_t kShortValue = 60;  // values longer than this are named, not shown

Error bad_record(const std::string& path, std::string_view why) {
  return Error{ErrorCode::kIo, fmt::format("the run record {} {}; move it away, or pass "
                                           "--overwrite to replace the output it describes",
                                           path, why)};
}

Result<std::string> read_small_file(const std::string& path, bool& missing) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    missing = errno == ENOENT;
    if (missing) return std::string();
    return io_error("open the run record", path, errno);
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) ||
      static_cast<std::uint64_t>(status.st_size) > kMaxRecordBytes) {
    ::close(fd);
    return bad_record(path, "is not a regular file of reasonable size");
  }
  std::string text(static_cast<std::size_t>(status.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = ::read(fd, text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  text.resize(done);
  return text;
}

std::string shown(const nlohmann::json& value) {
  if (value.is_null()) return "absent";
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<std::optional<RunRecord>> read_run_record(const std::string& path) {
  bool missing = false;
  auto text = read_small_file(path, missing);
  if (!text) return std::move(text).error();
  if (missing) return std::optional<RunRecord>();
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  if (!json.is_object() || json.value("tessera_run_record", 0) != kRecordFormat ||
      !json.contains("run") || !json["run"].is_object() || !json.contains("state") ||
      !json["state"].is_string()) {
    return bad_record(path, "is not a tessera run record this version reads");
  }
  return std::optional<RunRecord>(RunRecord{json["run"], json["state"] == "complete"});
}

Status write_run_record(const std::string& path, const RunRecord& record) {
  nlohmann::ordered_json json;
  json["tessera_run_record"] = kRecordFormat;
  json["state"] = record.complete ? "complete" : "writing";
  json["run"] = record.run;
  return tessera::write_file_atomically(
      path, json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
}

Result<nlohmann::json> run_of(const std::string& caller_run) {
  auto run = nlohmann::json::parse(caller_run, nullptr, false);
  if (!run.is_object()) {
    return Error{ErrorCode::kInvalidArgument, "the run description must be a JSON object"};
  }
  run["tessera"] = std::string(kVersion);
  return run;
}

std::vector<std::string> run_differences(const nlohmann::json& before, const nlohmann::json& now) {
  std::vector<std::string> fields;
  auto compare = [&](const std::string& key) {
    const nlohmann::json none;
    const auto& a = before.contains(key) ? before[key] : none;
    const auto& b = now.contains(key) ? now[key] : none;
    if (a == b) return;
    const std::string was = shown(a);
    const std::string is = shown(b);
    fields.push_back(was.size() + is.size() > 2 * kShortValue
                         ? key
                         : fmt::format("{} ({} before, {} now)", key, was, is));
  };
  for (const auto& [key, value] : now.items()) compare(key);
  for (const auto& [key, value] : before.items()) {
    if (!now.contains(key)) compare(key);
  }
  return fields;
}

Result<Claim> claim_output(const ClaimRequest& r) {
  if (r.resume && r.overwrite) {
    return Error{ErrorCode::kInvalidArgument,
                 "--resume keeps an earlier run and --overwrite removes it; pass only one"};
  }
  const std::optional<RunRecord>& old = *r.old;
  if (!old && !r.has_outputs) return Claim::kFresh;
  if (r.overwrite) return Claim::kReplace;
  if (!old) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} already holds tessera outputs without a run record, so what "
                             "made them is unknown; pass --overwrite to replace them, or choose "
                             "another output",
                             r.output)};
  }
  const std::vector<std::string> differences = run_differences(old->run, *r.run);
  if (!differences.empty()) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("{} holds a different run (it differs in {}); {}", r.output,
                    fmt::join(differences, ", "),
                    r.resume ? "--resume continues only the same run: run it with the "
                               "earlier settings and inputs, or pass --overwrite "
                               "instead of --resume to replace it"
                             : "pass --overwrite to replace it, or choose another output")};
  }
  return r.resume ? Claim::kResume : Claim::kReplace;
}

}  // namespace tessera::detail
