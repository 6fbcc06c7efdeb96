#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "sink_fixtures.hpp"
#include "temp_dir.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;

// Directory trees print as their file names and sizes when a check fails.
template <>
struct Catch::StringMaker<std::map<std::string, std::string>> {
  static std::string convert(const std::map<std::string, std::string>& tree) {
    std::string text = "{";
    for (const auto& [name, bytes] : tree)
      text += " " + name + " (" + std::to_string(bytes.size()) + " bytes)";
    return text + " }";
  }
};
using tessera::CropResult;
using tessera::ErrorCode;
using tessera::JobInfo;
using namespace tessera::test;

namespace {

// Every file and directory under root (hidden ones too), relative, with file contents.
// The tree of outputs: the sink's lock file, which stays for the next run, is not one.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> tree;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string relative = fs::relative(entry.path(), root).string();
    if (relative == ".tessera.lock") continue;
    if (entry.is_regular_file()) {
      const auto bytes = tessera::test::read_file(entry.path().string());
      tree[relative] = std::string(bytes.begin(), bytes.end());
    } else {
      tree[relative + "/"] = "";
    }
  }
  return tree;
}

std::unique_ptr<tessera::Sink> directory_sink(const fs::path& directory,
                                              const std::string& name_template) {
  tessera::DirectorySinkOptions options;
  options.directory = directory.string();
  options.name_template = name_template;
  auto sink = tessera::make_directory_sink(options);
  REQUIRE(sink.ok());
  return std::move(*sink);
}

}  // namespace

TEST_CASE("checked_key accepts only short keys of letters, digits, _ and -", "[sink][directory]") {
  CHECK(tessera::checked_key("tile_07-B").value() == "tile_07-B");
  CHECK(tessera::checked_key(std::string(200, 'k')).ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "../../x", "/etc/passwd", "a.b", "a b", "a/b", "..",
                                "caf\xc3\xa9", std::string(201, 'k')}) {
    auto key = tessera::checked_key(bad);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(key.error().message, Catch::Contains("A-Z, a-z, 0-9"));
  }
  CHECK_THAT(tessera::checked_key("../../x").error().message, Catch::Contains("\"../../x\""));
}

TEST_CASE("directory sink names files from the template", "[sink][directory]") {
  TempDir tmp;
  const JobInfo job{3, "/data/in/scan.v2.tif", "grid", 640, 480, {}};
  const auto jpeg = payload(1000, 1);
  const auto png = payload(77, 2);

  SECTION("default template: stem directory, x_y and the extension") {
    auto sink = directory_sink(tmp.path(), "{stem}/{x}_{y}.{ext}");
    REQUIRE(sink->consume(make_crop(job, 0, {32, 64, 16, 8}, "", jpeg)).ok());
    REQUIRE(sink->consume(make_crop(job, 1, {48, 64, 16, 8}, "", png, tessera::OutputFormat::kPng))
                .ok());
    REQUIRE(sink->finish().ok());
    const std::map<std::string, std::string> expected = {{"scan_v2/", ""},
                                                         {"scan_v2/32_64.jpg", as_string(jpeg)},
                                                         {"scan_v2/48_64.png", as_string(png)}};
    CHECK(snapshot(tmp.path()) == expected);
  }

  SECTION("every placeholder; {key} falls back to the index") {
    auto sink = directory_sink(tmp.path(), "{job}/{stem}-{index}-{x}-{y}-{w}-{h}-{key}.{ext}");
    REQUIRE(sink->consume(make_crop(job, 5, {1, 2, 30, 40}, "", jpeg)).ok());
    REQUIRE(sink->consume(make_crop(job, 6, {-4, 0, 30, 40}, "left-Edge_1", jpeg)).ok());
    const std::map<std::string, std::string> expected = {
        {"3/", ""},
        {"3/scan_v2-5-1-2-30-40-5.jpg", as_string(jpeg)},
        {"3/scan_v2-6--4-0-30-40-left-Edge_1.jpg", as_string(jpeg)}};
    CHECK(snapshot(tmp.path()) == expected);
  }

  SECTION("stems: stdin, spaces and dots are sanitised") {
    auto sink = directory_sink(tmp.path(), "{stem}.{ext}");
    const JobInfo from_stdin{0, "-", "grid", 1, 1, {}};
    const JobInfo odd{1, "dir.d/my image.final.jpeg", "grid", 1, 1, {}};
    const JobInfo hidden{2, ".hidden", "grid", 1, 1, {}};
    REQUIRE(sink->consume(make_crop(from_stdin, 0, {}, "", jpeg)).ok());
    REQUIRE(sink->consume(make_crop(odd, 0, {}, "", jpeg)).ok());
    REQUIRE(sink->consume(make_crop(hidden, 0, {}, "", jpeg)).ok());
    const std::map<std::string, std::string> expected = {{"stdin.jpg", as_string(jpeg)},
                                                         {"my_image_final.jpg", as_string(jpeg)},
                                                         {"_hidden.jpg", as_string(jpeg)}};
    CHECK(snapshot(tmp.path()) == expected);
  }

  SECTION("a second crop with the same name replaces the first, leaving no temporary file") {
    auto sink = directory_sink(tmp.path(), "{x}.{ext}");
    REQUIRE(sink->consume(make_crop(job, 0, {7, 0, 1, 1}, "", jpeg)).ok());
    REQUIRE(sink->consume(make_crop(job, 1, {7, 0, 1, 1}, "", png)).ok());
    const std::map<std::string, std::string> expected = {{"7.jpg", as_string(png)}};
    CHECK(snapshot(tmp.path()) == expected);
  }
}

TEST_CASE("directory sink rejects bad templates when it is made", "[sink][directory]") {
  TempDir tmp;
  for (const char* bad : {"{stem}/{foo}.{ext}", "/etc/{x}.{ext}", "a/../{x}.{ext}", "a//{x}",
                          "{x}/", "./{x}", "..", "{x", "x}", "{}", "{ x}", ""}) {
    CAPTURE(bad);
    tessera::DirectorySinkOptions options;
    options.directory = (tmp.path() / "out").string();
    options.name_template = bad;
    auto sink = tessera::make_directory_sink(options);
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(sink.error().message, Catch::Contains("template"));
  }
  CHECK_THAT(
      tessera::make_directory_sink({(tmp.path() / "out").string(), "{stem}/{foo}"}).error().message,
      Catch::Contains("{foo}") && Catch::Contains("{stem} {job} {index}"));
  CHECK(tessera::make_directory_sink({"", "{x}"}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("directory sink refuses keys that would escape the directory", "[sink][directory]") {
  TempDir tmp;
  // Deep enough that "../../x" from out/img/ would still land inside tmp, where it is seen.
  const fs::path out = tmp.path() / "a" / "b" / "out";
  auto sink = directory_sink(out, "{stem}/{key}.{ext}");
  const JobInfo job{0, "img.png", "list", 100, 100, {}};
  const auto bytes = payload(64, 9);
  const auto before = snapshot(tmp.path());

  for (const char* bad : {"../../x", "/etc/passwd", "a.b", "..", "x/../../y", "sub/x"}) {
    CAPTURE(bad);
    tessera::Status status = sink->consume(make_crop(job, 0, {0, 0, 8, 8}, bad, bytes));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidArgument);
    CHECK(snapshot(tmp.path()) == before);
  }
  // A refused key is a per-crop failure: the sink keeps working.
  REQUIRE(sink->consume(make_crop(job, 1, {0, 0, 8, 8}, "good_key", bytes)).ok());
  CHECK(snapshot(out) ==
        std::map<std::string, std::string>{{"img/", ""}, {"img/good_key.jpg", as_string(bytes)}});
}

TEST_CASE("directory sink reports I/O failures and leaves no partial file", "[sink][directory]") {
  TempDir tmp;
  const JobInfo job{0, "img.jpg", "grid", 100, 100, {}};
  const auto bytes = payload(300 * 1024, 3);
  { std::ofstream(tmp.path() / "file.txt") << "not a directory"; }

  SECTION("the output directory lies under a regular file") {
    auto sink =
        tessera::make_directory_sink({(tmp.path() / "file.txt" / "sub").string(), "{x}.{ext}"});
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.error().code == ErrorCode::kIo);
    CHECK_THAT(sink.error().message,
               Catch::Contains("file.txt/sub") && Catch::Contains("not a directory"));
  }

  SECTION("a subdirectory from the template cannot be created") {
    auto sink = directory_sink(tmp.path(), "file.txt/{x}.{ext}");
    tessera::Status status = sink->consume(make_crop(job, 0, {1, 2, 3, 4}, "", bytes));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kIo);
    CHECK_THAT(status.error().message, Catch::Contains((tmp.path() / "file.txt").string()));
    sink->abort();
    CHECK(snapshot(tmp.path()) ==
          std::map<std::string, std::string>{{"file.txt", "not a directory"}});
  }

  SECTION("the disk fills up in the middle of a file") {
    auto sink = directory_sink(tmp.path() / "out", "{x}.{ext}");
    const auto small = payload(1000, 4);
    REQUIRE(sink->consume(make_crop(job, 0, {1, 0, 3, 4}, "", small)).ok());
    tessera::Status status = [&] {
      FileSizeLimit limit(100 * 1024);
      return sink->consume(make_crop(job, 1, {2, 0, 3, 4}, "", bytes));
    }();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kIo);
    CHECK_THAT(status.error().message, Catch::Contains((tmp.path() / "out" / "2.jpg").string()));
    sink->abort();
    // The complete file stays; neither the failed one nor its temporary file remains.
    CHECK(snapshot(tmp.path() / "out") ==
          std::map<std::string, std::string>{{"1.jpg", as_string(small)}});
  }
}

TEST_CASE("directory sink with fsync writes the same files", "[sink][directory]") {
  TempDir tmp;
  tessera::DirectorySinkOptions options;
  options.directory = (tmp.path() / "a" / "b").string();
  options.name_template = "{stem}/{index}.{ext}";
  options.fsync = true;
  auto sink = tessera::make_directory_sink(options);
  REQUIRE(sink.ok());
  const JobInfo job{0, "x.jpg", "grid", 10, 10, {}};
  const auto bytes = payload(5000, 5);
  REQUIRE((*sink)->consume(make_crop(job, 42, {}, "", bytes)).ok());
  REQUIRE((*sink)->finish().ok());
  CHECK(snapshot(tmp.path() / "a" / "b") ==
        std::map<std::string, std::string>{{"x/", ""}, {"x/42.jpg", as_string(bytes)}});
  // Outputs get the mode any new file gets (0666 less the umask), not mkstemp's 0600.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  const auto expected_mode = static_cast<fs::perms>(0666 & ~mask);
  CHECK(fs::status(tmp.path() / "a" / "b" / "x" / "42.jpg").permissions() == expected_mode);
}
