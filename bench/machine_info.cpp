#include "machine_info.hpp"

#include <fmt/core.h>
#include <jconfig.h>
#include <oneapi/tbb/version.h>
#include <spng.h>
#include <sys/utsname.h>
#include <zlib.h>

#include <fstream>
#include <opencv2/core/utility.hpp>
#include <string>
#include <thread>

namespace tessera::bench {
namespace {

#define TESSERA_STRINGIFY_INNER(x) #x
#define TESSERA_STRINGIFY(x) TESSERA_STRINGIFY_INNER(x)

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string first_line(const char* path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

}  // namespace

nlohmann::json machine_info() {
  struct utsname name {};
  ::uname(&name);
  return {{"nproc", std::thread::hardware_concurrency()},
          {"cpu_model", cpu_model()},
          {"loadavg", first_line("/proc/loadavg")},
          {"kernel", std::string(name.sysname) + " " + name.release},
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
