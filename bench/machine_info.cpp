#include "machine_info.hpp"

#include <fmt/core.h>
#include <jconfig.h>
#include <oneapi/tbb/version.h>
#include <spng.h>
#include <zlib.h>

#include <fstream>
#include <opencv2/core/utility.hpp>
#include <string>
#include <thread>

#include "host_info.hpp"

namespace tessera::bench {
namespace {

#define TESSERA_STRINGIFY_INNER(x) #x
#define TESSERA_STRINGIFY(x) TESSERA_STRINGIFY_INNER(x)

std::string first_line(const char* path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

}  // namespace

nlohmann::json machine_info() {
  return {{"nproc", std::thread::hardware_concurrency()},
          {"cpu_model", cli::cpu_model()},
          {"loadavg", first_line("/proc/loadavg")},
          {"kernel", cli::kernel_name()},
          {"compiler", __VERSION__},
          {"libraries",
           {{"libjpeg-turbo", TESSERA_STRINGIFY(LIBJPEG_TURBO_VERSION)},
            {"libspng",
             fmt::format("{}.{}.{}", SPNG_VERSION_MAJOR, SPNG_VERSION_MINOR, SPNG_VERSION_PATCH)},
            {"zlib", ZLIB_VERSION},
            {"oneTBB", TBB_VERSION_STRING},
            {"opencv", cv::getVersionString()}}}};
}

}  // namespace tessera::bench
