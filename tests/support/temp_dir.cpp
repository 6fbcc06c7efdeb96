#include "temp_dir.hpp"

#include <stdlib.h>

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace tessera::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  // mkdtemp picks a name no other test process holds, so parallel test runs never share a
  // directory.
  std::string pattern = (fs::temp_directory_path() / "tessera-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tessera::test
