#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sink_fixtures.hpp"
#include "temp_dir.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using tessera::CropResult;
using tessera::ErrorCode;
using tessera::JobInfo;
using namespace tessera::test;

namespace {

struct Member {
  std::string name;
  std::string bytes;
  friend bool operator==(const Member&, const Member&) = default;
};

std::ostream& operator<<(std::ostream& out, const Member& member) {
  return out << member.name << " (" << member.bytes.size() << " bytes)";
}

std::string file_text(const fs::path& path) {
  const auto bytes = tessera::test::read_file(path.string());
  return {bytes.begin(), bytes.end()};
}

// Reads a whole tar with libarchive and checks the fields that make shards reproducible.
std::vector<Member> read_with_libarchive(const std::string& tar_bytes) {
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                &archive_read_free);
  REQUIRE(archive_read_support_format_tar(reader.get()) == ARCHIVE_OK);
  REQUIRE(archive_read_open_memory(reader.get(), tar_bytes.data(), tar_bytes.size()) == ARCHIVE_OK);
  std::vector<Member> members;
  archive_entry* entry = nullptr;
  int status = ARCHIVE_OK;
  while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    CHECK(archive_entry_mtime(entry) == 0);
    CHECK(archive_entry_uid(entry) == 0);
    CHECK(archive_entry_gid(entry) == 0);
    CHECK(archive_entry_perm(entry) == 0644);
    CHECK(archive_entry_filetype(entry) == AE_IFREG);
    const char* uname = archive_entry_uname(entry);
    CHECK((uname == nullptr || std::string(uname).empty()));
    Member member{archive_entry_pathname(entry),
                  std::string(static_cast<std::size_t>(archive_entry_size(entry)), '\0')};
    if (!member.bytes.empty()) {
      REQUIRE(archive_read_data(reader.get(), member.bytes.data(), member.bytes.size()) ==
              static_cast<la_ssize_t>(member.bytes.size()));
    }
    members.push_back(std::move(member));
  }
  CHECK(status == ARCHIVE_EOF);
  return members;
}

std::vector<Member> read_with_libarchive(const fs::path& path) {
  return read_with_libarchive(file_text(path));
}

std::string command_output(const std::string& command) {
  std::unique_ptr<FILE, decltype(&pclose)> pipe(::popen(command.c_str(), "r"), &pclose);
  REQUIRE(pipe != nullptr);
  std::string output;
  char chunk[4096];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe.get())) output.append(chunk, n);
  return output;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    result.push_back(text.substr(start, end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return result;
}

std::vector<std::string> names_of(const std::vector<Member>& members) {
  std::vector<std::string> names;
  for (const auto& member : members) names.push_back(member.name);
  return names;
}

// GNU tar lists the members, then extracts them so their bytes can be compared.
std::vector<Member> read_with_gnu_tar(const fs::path& tar) {
  const auto names = lines(command_output("tar -tf '" + tar.string() + "'"));
  const fs::path extract = tar.parent_path() / "gnu-extract";
  fs::create_directories(extract);
  REQUIRE(std::system(("tar -xf '" + tar.string() + "' -C '" + extract.string() + "'").c_str()) ==
          0);
  std::vector<Member> members;
  for (const auto& name : names) members.push_back({name, file_text(extract / name)});
  fs::remove_all(extract);
  return members;
}

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

std::vector<Member> read_with_python(const fs::path& tar) {
  const std::string script =
      "import sys, tarfile\n"
      "with tarfile.open(sys.argv[1]) as t:\n"
      "    for m in t:\n"
      "        print(m.name, t.extractfile(m).read().hex())\n";
  const auto output = command_output("python3 -c '" + script + "' '" + tar.string() + "'");
  std::vector<Member> members;
  for (const auto& line : lines(output)) {
    const auto space = line.find(' ');
    REQUIRE(space != std::string::npos);
    members.push_back({line.substr(0, space), from_hex(line.substr(space + 1))});
  }
  return members;
}

std::unique_ptr<tessera::Sink> tar_sink(const std::string& path, std::uint64_t max_bytes = 0,
                                        std::uint64_t max_samples = 0) {
  tessera::TarSinkOptions options;
  options.path = path;
  options.max_shard_bytes = max_bytes;
  options.max_shard_samples = max_samples;
  auto sink = tessera::make_tar_sink(options);
  REQUIRE(sink.ok());
  return std::move(*sink);
}

// The directory's files but the lock file ".NAME.tar.lock", which stays for the next run.
std::vector<std::string> directory_listing(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (!(name.starts_with(".") && name.ends_with(".tar.lock"))) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Each sample's image is followed by its JSON, under the same key.
void check_samples_whole(const std::vector<Member>& members) {
  REQUIRE(members.size() % 2 == 0);
  for (std::size_t i = 0; i < members.size(); i += 2) {
    const auto key = members[i].name.substr(0, members[i].name.find('.'));
    CHECK(members[i + 1].name == key + ".json");
  }
}

}  // namespace

TEST_CASE("tar sink writes WebDataset samples readable by libarchive, GNU tar and Python",
          "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{2, "/data/in/scan.v2.tif", "grid 16x16 stride 16x16 edge drop", 64, 48, {}};
  const auto first = payload(1000, 1);
  const auto second = payload(512, 2);
  const auto third = payload(0, 3);
  const std::string long_key(150, 'L');

  auto sink = tar_sink((tmp.path() / "out.tar").string());
  REQUIRE(sink->consume(make_crop(job, 0, {0, 16, 16, 8}, "", first)).ok());
  REQUIRE(sink->consume(make_crop(job, 1, {16, 16, 16, 8}, "named-Tile_1", second,
                                  tessera::OutputFormat::kPng))
              .ok());
  REQUIRE(sink->consume(make_crop(job, 7, {-2, 0, 5, 5}, long_key, third)).ok());
  // A label becomes KEY.cls between the image and KEY.json; other fields end the JSON.
  tessera::SampleFieldsBuilder builder;
  REQUIRE(builder.add("label", std::int64_t{-3}).ok());
  REQUIRE(builder.add("split", std::string("val")).ok());
  REQUIRE(builder.add("n", tessera::JsonText{"[1]"}).ok());
  const tessera::SharedFields fields = builder.finish();
  CropResult labelled = make_crop(job, 8, {0, 0, 4, 4}, "lab", second);
  labelled.fields = fields.get();
  REQUIRE(sink->consume(labelled).ok());
  REQUIRE(sink->finish().ok());
  CHECK(directory_listing(tmp.path()) == std::vector<std::string>{"out-000000.tar"});

  const std::vector<Member> expected = {
      {"scan_v2_0_16_16_8.jpg", as_string(first)},
      {"scan_v2_0_16_16_8.json",
       R"({"source":"/data/in/scan.v2.tif","x":0,"y":16,"w":16,"h":8,"plan":"grid 16x16 stride 16x16 edge drop","index":0,"job":2,"image_width":64,"image_height":48})"},
      {"named-Tile_1.png", as_string(second)},
      {"named-Tile_1.json",
       R"({"source":"/data/in/scan.v2.tif","x":16,"y":16,"w":16,"h":8,"plan":"grid 16x16 stride 16x16 edge drop","index":1,"job":2,"image_width":64,"image_height":48})"},
      {long_key + ".jpg", ""},
      {long_key + ".json",
       R"({"source":"/data/in/scan.v2.tif","x":-2,"y":0,"w":5,"h":5,"plan":"grid 16x16 stride 16x16 edge drop","index":7,"job":2,"image_width":64,"image_height":48})"},
      {"lab.jpg", as_string(second)},
      {"lab.cls", "-3"},
      {"lab.json",
       R"({"source":"/data/in/scan.v2.tif","x":0,"y":0,"w":4,"h":4,"plan":"grid 16x16 stride 16x16 edge drop","index":8,"job":2,"image_width":64,"image_height":48,"split":"val","n":[1]})"},
  };
  const fs::path shard = tmp.path() / "out-000000.tar";
  CHECK(read_with_libarchive(shard) == expected);
  CHECK(read_with_gnu_tar(shard) == expected);
  CHECK(read_with_python(shard) == expected);
}

TEST_CASE("tar shards are byte-identical on every run", "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "a.png", "random 5 crops", 100, 100, {}};
  auto write_run = [&](const std::string& name) {
    auto sink = tar_sink((tmp.path() / name / "out.tar").string(), 0, 2);
    for (std::uint32_t i = 0; i < 5; ++i) {
      const auto bytes = payload(300 + i * 200, static_cast<std::uint8_t>(i));
      REQUIRE(sink->consume(make_crop(job, i, {int(i), 2, 3, 4}, "", bytes)).ok());
    }
    REQUIRE(sink->finish().ok());
  };
  write_run("one");
  write_run("two");
  const auto shards = directory_listing(tmp.path() / "one");
  REQUIRE(shards == std::vector<std::string>{"out-000000.tar", "out-000001.tar", "out-000002.tar"});
  CHECK(directory_listing(tmp.path() / "two") == shards);
  for (const auto& shard : shards) {
    CAPTURE(shard);
    CHECK(file_text(tmp.path() / "one" / shard) == file_text(tmp.path() / "two" / shard));
  }
}

TEST_CASE("tar shards split at the sample limit, never inside a sample", "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "img.jpg", "grid", 100, 100, {}};
  auto sink = tar_sink((tmp.path() / "ds.tar").string(), 0, 2);
  for (std::uint32_t i = 0; i < 5; ++i) {
    REQUIRE(sink->consume(make_crop(job, i, {int(i) * 10, 0, 10, 10}, "", payload(100, 1))).ok());
  }
  REQUIRE(sink->finish().ok());
  REQUIRE(directory_listing(tmp.path()) ==
          std::vector<std::string>{"ds-000000.tar", "ds-000001.tar", "ds-000002.tar"});
  const auto shard0 = read_with_libarchive(tmp.path() / "ds-000000.tar");
  const auto shard1 = read_with_libarchive(tmp.path() / "ds-000001.tar");
  const auto shard2 = read_with_libarchive(tmp.path() / "ds-000002.tar");
  CHECK(names_of(shard0) == std::vector<std::string>{"img_0_0_10_10.jpg", "img_0_0_10_10.json",
                                                     "img_10_0_10_10.jpg", "img_10_0_10_10.json"});
  CHECK(names_of(shard1) == std::vector<std::string>{"img_20_0_10_10.jpg", "img_20_0_10_10.json",
                                                     "img_30_0_10_10.jpg", "img_30_0_10_10.json"});
  CHECK(names_of(shard2) == std::vector<std::string>{"img_40_0_10_10.jpg", "img_40_0_10_10.json"});
  CHECK(names_of(read_with_gnu_tar(tmp.path() / "ds-000001.tar")) == names_of(shard1));
}

TEST_CASE("tar shards stay under the byte limit, and an oversized sample goes alone",
          "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "img.jpg", "grid", 100, 100, {}};
  // One sample: image header 512 + 1024 data, JSON header 512 + 512; the end of archive is 1024.
  const std::uint64_t sample_bytes = 512 + 1024 + 512 + 512;
  const std::uint64_t limit = 2 * sample_bytes + 1024;
  auto sink = tar_sink((tmp.path() / "ds.tar").string(), limit, 0);
  const auto image = payload(1000, 1);
  const auto huge = payload(20000, 2);
  REQUIRE(sink->consume(make_crop(job, 0, {0, 0, 1, 1}, "", image)).ok());
  REQUIRE(sink->consume(make_crop(job, 1, {1, 0, 1, 1}, "", image)).ok());
  REQUIRE(sink->consume(make_crop(job, 2, {2, 0, 1, 1}, "", image)).ok());
  REQUIRE(sink->consume(make_crop(job, 3, {3, 0, 1, 1}, "", huge)).ok());
  REQUIRE(sink->consume(make_crop(job, 4, {4, 0, 1, 1}, "", image)).ok());
  REQUIRE(sink->finish().ok());

  REQUIRE(
      directory_listing(tmp.path()) ==
      std::vector<std::string>{"ds-000000.tar", "ds-000001.tar", "ds-000002.tar", "ds-000003.tar"});
  // Exactly at the limit: two samples fill the first shard and no padding follows.
  CHECK(fs::file_size(tmp.path() / "ds-000000.tar") == limit);
  CHECK(fs::file_size(tmp.path() / "ds-000001.tar") == sample_bytes + 1024);
  CHECK(fs::file_size(tmp.path() / "ds-000002.tar") > limit);
  CHECK(fs::file_size(tmp.path() / "ds-000003.tar") == sample_bytes + 1024);
  std::vector<std::string> all;
  for (int i = 0; i < 4; ++i) {
    const auto members =
        read_with_libarchive(tmp.path() / ("ds-00000" + std::to_string(i) + ".tar"));
    check_samples_whole(members);
    for (const auto& name : names_of(members)) all.push_back(name);
  }
  CHECK(all == std::vector<std::string>{"img_0_0_1_1.jpg", "img_0_0_1_1.json", "img_1_0_1_1.jpg",
                                        "img_1_0_1_1.json", "img_2_0_1_1.jpg", "img_2_0_1_1.json",
                                        "img_3_0_1_1.jpg", "img_3_0_1_1.json", "img_4_0_1_1.jpg",
                                        "img_4_0_1_1.json"});
  CHECK(read_with_libarchive(tmp.path() / "ds-000002.tar").front().bytes == as_string(huge));

  // One byte less and the end-of-archive blocks no longer fit after two samples.
  auto tighter = tar_sink((tmp.path() / "tight" / "ds.tar").string(), limit - 1, 0);
  REQUIRE(tighter->consume(make_crop(job, 0, {0, 0, 1, 1}, "", image)).ok());
  REQUIRE(tighter->consume(make_crop(job, 1, {1, 0, 1, 1}, "", image)).ok());
  REQUIRE(tighter->finish().ok());
  CHECK(directory_listing(tmp.path() / "tight") ==
        std::vector<std::string>{"ds-000000.tar", "ds-000001.tar"});
  CHECK(fs::file_size(tmp.path() / "tight" / "ds-000000.tar") == sample_bytes + 1024);
}

TEST_CASE("tar byte limit counts the pax header of long keys", "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "img.jpg", "grid", 100, 100, {}};
  const std::string key_a(180, 'a');
  const std::string key_b(180, 'b');
  const std::string key_c(180, 'c');
  const auto image = payload(700, 1);
  auto one = tar_sink((tmp.path() / "one" / "x.tar").string());
  REQUIRE(one->consume(make_crop(job, 0, {}, key_a, image)).ok());
  REQUIRE(one->finish().ok());
  const auto single = fs::file_size(tmp.path() / "one" / "x-000000.tar");
  CHECK(single > 512 + 1024 + 512 + 512 + 1024);  // the long names needed pax headers

  // A limit that two such samples meet exactly: a sample must be counted to the byte.
  auto two = tar_sink((tmp.path() / "two" / "x.tar").string(), 2 * (single - 1024) + 1024, 0);
  REQUIRE(two->consume(make_crop(job, 0, {}, key_a, image)).ok());
  REQUIRE(two->consume(make_crop(job, 1, {}, key_b, image)).ok());
  REQUIRE(two->consume(make_crop(job, 2, {}, key_c, image)).ok());
  REQUIRE(two->finish().ok());
  CHECK(directory_listing(tmp.path() / "two") ==
        std::vector<std::string>{"x-000000.tar", "x-000001.tar"});
  CHECK(fs::file_size(tmp.path() / "two" / "x-000000.tar") == 2 * (single - 1024) + 1024);
  const auto shard0 = tmp.path() / "two" / "x-000000.tar";
  CHECK(names_of(read_with_python(shard0)) ==
        std::vector<std::string>{key_a + ".jpg", key_a + ".json", key_b + ".jpg", key_b + ".json"});
  CHECK(read_with_gnu_tar(shard0) == read_with_libarchive(shard0));

  // One byte less: a sample counted without its pax headers would still squeeze in.
  auto tighter =
      tar_sink((tmp.path() / "tight" / "x.tar").string(), 2 * (single - 1024) + 1024 - 1, 0);
  REQUIRE(tighter->consume(make_crop(job, 0, {}, key_a, image)).ok());
  REQUIRE(tighter->consume(make_crop(job, 1, {}, key_b, image)).ok());
  REQUIRE(tighter->finish().ok());
  CHECK(directory_listing(tmp.path() / "tight") ==
        std::vector<std::string>{"x-000000.tar", "x-000001.tar"});
  CHECK(fs::file_size(tmp.path() / "tight" / "x-000000.tar") == single);
}

TEST_CASE("tar sink keeps keys unique across jobs and refuses unsafe keys", "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "photo.jpg", "random", 100, 100, {}};
  const JobInfo second{1, "other/photo.jpg", "rois", 100, 100, {}};
  const auto image = payload(10, 1);
  auto sink = tar_sink((tmp.path() / "out.tar").string());

  REQUIRE(sink->consume(make_crop(job, 0, {5, 5, 20, 20}, "", image)).ok());
  // An identical crop that the plan did not mark as sharing its position.
  REQUIRE(sink->consume(make_crop(job, 1, {5, 5, 20, 20}, "", image)).ok());
  for (const char* bad : {"../../x", "/etc/passwd", "a.b", "has space"}) {
    CAPTURE(bad);
    tessera::Status status = sink->consume(make_crop(job, 2, {}, bad, image));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidArgument);
  }
  REQUIRE(sink->consume(make_crop(job, 3, {0, 0, 1, 1}, "ok_key", image)).ok());
  // The same ROI key for another image, and a key equal to an earlier generated one.
  REQUIRE(sink->consume(make_crop(second, 0, {0, 0, 1, 1}, "ok_key", image)).ok());
  REQUIRE(sink->consume(make_crop(second, 1, {0, 0, 1, 1}, "photo_5_5_20_20", image)).ok());
  REQUIRE(sink->finish().ok());

  CHECK(names_of(read_with_libarchive(tmp.path() / "out-000000.tar")) ==
        std::vector<std::string>{"photo_5_5_20_20.jpg", "photo_5_5_20_20.json",
                                 "photo_5_5_20_20_j0.jpg", "photo_5_5_20_20_j0.json", "ok_key.jpg",
                                 "ok_key.json", "ok_key_j1.jpg", "ok_key_j1.json",
                                 "photo_5_5_20_20_j1.jpg", "photo_5_5_20_20_j1.json"});
  CHECK(directory_listing(tmp.path()) == std::vector<std::string>{"out-000000.tar"});
}

TEST_CASE("tar sink accepts only '-' or a .tar path", "[sink][tar]") {
  TempDir tmp;
  for (const char* bad : {"out.zip", "out", ".tar", "dir/.tar", "out.tar/", "", "out.TAR"}) {
    CAPTURE(bad);
    auto sink = tessera::make_tar_sink({bad, 0, 0});
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(sink.error().message, Catch::Contains(".tar"));
  }
}

TEST_CASE("a tar run with no samples writes no shard", "[sink][tar]") {
  TempDir tmp;
  auto sink = tar_sink((tmp.path() / "sub" / "out.tar").string());
  REQUIRE(sink->finish().ok());
  CHECK(directory_listing(tmp.path() / "sub").empty());
}

TEST_CASE("tar sink streams one archive to stdout for '-'", "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "-", "grid", 100, 100, {}};
  const auto image = payload(3000, 1);
  const fs::path captured = tmp.path() / "stdout.tar";

  auto run_to_stdout = [&](std::uint32_t samples) {
    std::fflush(stdout);
    const int saved = ::dup(1);
    const int file = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(saved >= 0);
    REQUIRE(file >= 0);
    ::dup2(file, 1);
    ::close(file);
    tessera::Status status;
    {
      auto sink = tar_sink("-", 1, 1);  // limits do not apply to a stream
      for (std::uint32_t i = 0; i < samples && status.ok(); ++i) {
        status = sink->consume(make_crop(job, i, {int(i), 0, 4, 4}, "", image));
      }
      if (status.ok()) status = sink->finish();
    }
    ::dup2(saved, 1);
    ::close(saved);
    REQUIRE(status.ok());
  };

  run_to_stdout(3);
  const auto members = read_with_libarchive(captured);
  CHECK(names_of(members) == std::vector<std::string>{"stdin_0_0_4_4.jpg", "stdin_0_0_4_4.json",
                                                      "stdin_1_0_4_4.jpg", "stdin_1_0_4_4.json",
                                                      "stdin_2_0_4_4.jpg", "stdin_2_0_4_4.json"});
  CHECK(members[2].bytes == as_string(image));
  CHECK(names_of(read_with_gnu_tar(captured)) == names_of(members));
  CHECK(directory_listing(tmp.path()) == std::vector<std::string>{"stdout.tar"});

  run_to_stdout(0);  // the reader at the other end of a pipe still gets a valid, empty archive
  CHECK(file_text(captured) == std::string(1024, '\0'));
}

TEST_CASE("tar sink I/O failure is fatal, and abort keeps complete shards only", "[sink][tar]") {
  TempDir tmp;
  const JobInfo job{0, "img.jpg", "grid", 100, 100, {}};
  { std::ofstream(tmp.path() / "file.txt") << "x"; }

  SECTION("the shard directory lies under a regular file") {
    auto sink = tessera::make_tar_sink({(tmp.path() / "file.txt" / "out.tar").string(), 0, 0});
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.error().code == ErrorCode::kIo);
    CHECK_THAT(sink.error().message, Catch::Contains("file.txt"));
  }

  SECTION("the disk fills up in the second shard") {
    auto sink = tar_sink((tmp.path() / "out" / "ds.tar").string(), 0, 1);
    const auto small = payload(100, 1);
    const auto big = payload(300 * 1024, 2);
    REQUIRE(sink->consume(make_crop(job, 0, {0, 0, 1, 1}, "", small)).ok());
    tessera::Status status = [&] {
      FileSizeLimit limit(100 * 1024);
      return sink->consume(make_crop(job, 1, {1, 0, 1, 1}, "", big));
    }();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kIo);
    CHECK_THAT(status.error().message, Catch::Contains("ds-000001.tar"));
    const auto listing = directory_listing(tmp.path() / "out");
    REQUIRE(listing.size() == 2);
    CHECK(listing[0].starts_with(".ds-000001.tar.tmp-"));  // unique: mkostemp's random suffix
    CHECK(listing[1] == "ds-000000.tar");
    // Once failed, the sink refuses more work rather than writing a broken shard.
    CHECK(sink->consume(make_crop(job, 2, {2, 0, 1, 1}, "", small)).error().code == ErrorCode::kIo);
    sink->abort();
    CHECK(directory_listing(tmp.path() / "out") == std::vector<std::string>{"ds-000000.tar"});
    CHECK(names_of(read_with_libarchive(tmp.path() / "out" / "ds-000000.tar")) ==
          std::vector<std::string>{"img_0_0_1_1.jpg", "img_0_0_1_1.json"});
  }
}
