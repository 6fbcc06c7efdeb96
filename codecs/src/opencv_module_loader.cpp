// Loads the OpenCV decoder module with dlopen, found relative to the binary that contains
// libtessera_codecs (an executable, a shared library or a Python extension), never through
// an absolute install path, so that an installed or relocated tree finds its own module.
#include "opencv_module_loader.hpp"

#include <dlfcn.h>
#include <errno.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;

// The binary this code was linked into. For the main program dladdr() reports argv[0], which
// may be relative or a bare name found on PATH, so the kernel's answer is used instead.
fs::path own_binary() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&opencv_module), &info) == 0 || info.dli_fname == nullptr)
    return {};
  std::error_code error;
  if (std::string_view(info.dli_fname) == program_invocation_name)
    return fs::read_symlink("/proc/self/exe", error);
  const fs::path path = fs::canonical(info.dli_fname, error);
  return error ? fs::path(info.dli_fname) : path;
}

std::vector<fs::path> search_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("TESSERA_MODULE_PATH"); env != nullptr && *env != '\0') {
    std::string_view list(env);
    while (!list.empty()) {
      const auto colon = list.find(':');
      if (colon != 0) dirs.emplace_back(list.substr(0, colon));
      list = colon == std::string_view::npos ? std::string_view() : list.substr(colon + 1);
    }
    return dirs;
  }
  if (const fs::path binary = own_binary(); !binary.empty()) {
    const fs::path dir = binary.parent_path();
    dirs.push_back(dir);
    dirs.push_back(
        (dir / TESSERA_MODULE_INSTALL_RELDIR).lexically_normal());  // from bin/ to the module dir
    dirs.push_back(dir / "tessera");  // when the binary is itself a library in lib/
  }
  dirs.emplace_back(TESSERA_MODULE_BUILD_DIR);
  return dirs;
}

OpencvModule open_module(const fs::path& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return {
        nullptr,
        fmt::format("the OpenCV decoder module {} cannot be loaded ({}); install OpenCV's image "
                    "codecs (Debian 12: apt install libopencv-imgcodecs406)",
                    path.string(), dlerror())};
  }
  auto entry =
      reinterpret_cast<tessera_opencv_module_entry>(dlsym(handle, TESSERA_OPENCV_MODULE_ENTRY));
  const tessera_opencv_module* api = entry == nullptr ? nullptr : entry();
  if (api == nullptr || api->abi_version != TESSERA_OPENCV_MODULE_ABI_VERSION) {
    dlclose(handle);
    return {nullptr,
            fmt::format("{} is not an OpenCV decoder module of this tessera build (interface "
                        "version {}, expected {}); reinstall tessera",
                        path.string(), api == nullptr ? 0 : api->abi_version,
                        TESSERA_OPENCV_MODULE_ABI_VERSION)};
  }
  return {api, {}};  // stays loaded for the life of the process
}

OpencvModule load() {
  const std::vector<fs::path> dirs = search_dirs();
  for (const fs::path& dir : dirs) {
    const fs::path path = dir / TESSERA_OPENCV_MODULE_FILE;
    std::error_code error;
    if (fs::exists(path, error)) return open_module(path);
  }
  std::vector<std::string> names;
  for (const fs::path& dir : dirs) names.push_back(dir.string());
  return {
      nullptr,
      fmt::format("reading it needs tessera's OpenCV decoder module {} (for TIFF, BMP, WebP, ...), "
                  "which is in none of {}; install it with tessera, or set TESSERA_MODULE_PATH to "
                  "its directory",
                  TESSERA_OPENCV_MODULE_FILE, fmt::join(names, ", "))};
}

}  // namespace

const OpencvModule& opencv_module() {
  static const OpencvModule module = load();
  return module;
}

}  // namespace tessera::detail
