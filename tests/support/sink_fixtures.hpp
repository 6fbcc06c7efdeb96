// Values and limits the sink tests share: crops to hand a sink, payload bytes, a file size limit.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/engine/sink.hpp"

namespace tessera::test {

// `size` bytes that differ from their neighbours, reproducible from the seed.
std::vector<std::uint8_t> payload(std::size_t size, std::uint8_t seed);

std::string as_string(const std::vector<std::uint8_t>& bytes);

// A crop of `job` as the engine hands it to a sink; it points at `job` and `bytes`.
CropResult make_crop(const JobInfo& job, std::uint32_t index, Roi roi, std::string_view key,
                     const std::vector<std::uint8_t>& bytes,
                     OutputFormat format = OutputFormat::kJpeg);

// Makes writes past `bytes` fail with EFBIG (after a short write), like a disk that fills up.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes);
  ~FileSizeLimit();
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

}  // namespace tessera::test
