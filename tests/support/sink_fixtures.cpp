#include "sink_fixtures.hpp"

#include <csignal>

#include <catch2/catch.hpp>

namespace tessera::test {

std::vector<std::uint8_t> payload(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return bytes;
}

std::string as_string(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

CropResult make_crop(const JobInfo& job, std::uint32_t index, Roi roi, std::string_view key,
                     const std::vector<std::uint8_t>& bytes, OutputFormat format) {
  CropResult crop;
  crop.job = &job;
  crop.index = index;
  crop.roi = roi;
  crop.key = key;
  crop.format = format;
  crop.bytes = bytes;
  return crop;
}

FileSizeLimit::FileSizeLimit(rlim_t bytes) {
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
  previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved_;
  limited.rlim_cur = bytes;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
}

FileSizeLimit::~FileSizeLimit() {
  ::setrlimit(RLIMIT_FSIZE, &saved_);
  std::signal(SIGXFSZ, previous_handler_);
}

}  // namespace tessera::test
