#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "directory_run.hpp"
#include "output_names.hpp"
#include "posix_io.hpp"
#include "run_record.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera {

namespace {

using detail::close_and_rename;
using detail::io_error;
using detail::parent_directory;
using detail::PathParts;
using detail::split_path;
using detail::write_all;

// A file written under a hidden temporary name next to its final name. Unless commit()
// succeeds, the destructor closes and removes it, on every path out of consume().
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { discard(); }

  Status open(const std::string& final_path, mode_t mode) {
    auto temp = detail::create_temp_beside(final_path, mode);
    if (!temp) return std::move(temp).error();
    fd_ = temp->fd;
    path_ = std::move(temp->path);
    return {};
  }

  Status write(std::span<const std::uint8_t> bytes, const std::string& final_path) {
    if (const int error_number = write_all(fd_, bytes); error_number != 0) {
      return io_error("write", final_path, error_number);
    }
    return {};
  }

  Status commit(const std::string& final_path, bool sync) {
    // On failure path_ stays for discard() to remove; after a rename, when only the directory
    // sync failed, that unlink finds nothing, since the name is random.
    Status s = close_and_rename(std::exchange(fd_, -1), path_, final_path, sync);
    if (s) path_.clear();
    return s;
  }

  void discard() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    if (!path_.empty()) {
      ::unlink(path_.c_str());
      path_.clear();
    }
  }

 private:
  int fd_ = -1;
  std::string path_;
};

class DirectorySink final : public Sink {
 public:
  DirectorySink(std::string directory, detail::NameTemplate names, bool sync, bool resume,
                detail::DirectoryClaim claim)
      : directory_(std::move(directory)),
        names_(std::move(names)),
        sync_(sync),
        resume_(resume),
        file_mode_(static_cast<mode_t>(detail::new_file_mode())),
        claim_(std::move(claim)) {}

  // Files appear under their final name only by rename, once complete; still, a file that is
  // empty or does not decode (damaged since, or not tessera's) is written again, not trusted.
  // A key that cannot be expanded does not exist: consume() will report it.
  bool exists(const CropResult& crop) const override {
    if (!resume_) return false;
    auto relative = names_.expand(crop);
    if (!relative) return false;
    return detail::valid_output_file(directory_ + "/" + *relative);
  }

  Status check_plan(const JobInfo& job, std::span<const PlannedCrop> crops) const override {
    return detail::check_directory_plan(names_, job, crops);
  }

  Status consume(const CropResult& crop) override {
    auto relative = names_.expand(crop);
    if (!relative) return std::move(relative).error();
    const std::string path = directory_ + "/" + *relative;
    if (Status made = make_parent(path); !made) return made;

    TempFile file;
    if (Status s = file.open(path, file_mode_); !s) return s;
    if (Status s = file.write(crop.bytes, path); !s) return s;
    return file.commit(path, sync_);
  }

  Status finish() override {
    if (claim_.record_path.empty()) return {};
    return detail::write_run_record(claim_.record_path, detail::RunRecord{claim_.run, true});
  }

  // Nothing to do: a temporary file never outlives the consume() call that made it.
  void abort() noexcept override {}

 private:
  Status make_parent(const std::string& path) {
    std::string parent = parent_directory(path);
    // Crops of one image usually share a directory: skip the stat calls when it is the last one.
    if (parent == last_parent_) return {};
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) return io_error("create directory", parent, error.value());
    last_parent_ = std::move(parent);
    return {};
  }

  std::string directory_;
  detail::NameTemplate names_;
  bool sync_;
  bool resume_;
  mode_t file_mode_;
  detail::DirectoryClaim claim_;  // the lock and run record, held for the whole run
  std::string last_parent_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_directory_sink(const DirectorySinkOptions& options) {
  if (options.directory.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "the output directory is empty; name a directory to write into"};
  }
  auto names = detail::NameTemplate::parse(options.name_template);
  if (!names) return std::move(names).error();
  if (options.several_jobs) {
    if (Status s = names->check_several_jobs(); !s) return std::move(s).error();
  }

  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) return io_error("create the output directory", options.directory, error.value());
  if (!std::filesystem::is_directory(options.directory, error)) {
    return io_error("use the output directory", options.directory, ENOTDIR);
  }

  std::string directory = options.directory;
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  auto claim = detail::claim_directory(directory, options);
  if (!claim) return std::move(claim).error();
  return std::unique_ptr<Sink>(
      std::make_unique<DirectorySink>(std::move(directory), std::move(*names), options.fsync,
                                      options.resume, std::move(claim).value()));
}

}  // namespace tessera
