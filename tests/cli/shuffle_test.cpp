// --shuffle SEED: shuffled tar shards are the same bytes for every thread count, hold exactly
// the samples (names and bytes) of the unshuffled run, mix images as the buffer size predicts,
// keep the buffer within its limits, and are refused where they cannot apply.
#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::test;

namespace {

constexpr int kImages = 6;
constexpr int kTilesPerImage = 16;  // 64x64 images cut into 16x16 tiles
constexpr int kBuffer = 32;

struct Member {
  std::string shard;
  std::string name;
  std::string bytes;
};

// The members of every NAME-*.tar under `dir`, shard by shard in name order, each in its order.
std::vector<Member> members_in_order(const fs::path& dir) {
  std::vector<fs::path> shards;
  for (const auto& file : fs::directory_iterator(dir)) {
    if (file.path().extension() == ".tar") shards.push_back(file.path());
  }
  std::sort(shards.begin(), shards.end());
  std::vector<Member> members;
  for (const fs::path& shard : shards) {
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                  &archive_read_free);
    archive_read_support_format_tar(reader.get());
    REQUIRE(archive_read_open_filename(reader.get(), shard.c_str(), 65536) == ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
      std::string bytes(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
      if (!bytes.empty()) archive_read_data(reader.get(), bytes.data(), bytes.size());
      members.push_back({shard.filename().string(), archive_entry_pathname(entry), bytes});
    }
  }
  return members;
}

std::map<std::string, std::string> by_name(const std::vector<Member>& members) {
  std::map<std::string, std::string> all;
  for (const Member& m : members) CHECK(all.emplace(m.name, m.bytes).second);
  return all;
}

// The job of each sample, in the order written, from its KEY.json.
std::vector<int> sample_jobs(const std::vector<Member>& members) {
  std::vector<int> jobs;
  for (const Member& m : members) {
    if (m.name.ends_with(".json")) jobs.push_back(nlohmann::json::parse(m.bytes)["job"].get<int>());
  }
  return jobs;
}

std::map<std::string, std::string> shard_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& file : fs::directory_iterator(dir)) {
    if (file.path().extension() == ".tar")
      files[file.path().filename().string()] = read_text(file.path());
  }
  return files;
}

void write_images(const TempDir& tmp) {
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  for (int i = 0; i < kImages; ++i)
    write_image(tmp / fmt::format("img{}.png", i), 64, 64, png, static_cast<std::uint64_t>(i));
}

std::string inputs() {
  std::string list;
  for (int i = 0; i < kImages; ++i) list += fmt::format(" img{}.png", i);
  return list;
}

std::string shuffled_run(const std::string& out, int threads, const std::string& extra = "") {
  return fmt::format(
      "tile{} --tile 16 -o {} --shard-size 20samples --shuffle 5 --shuffle-buffer {} "
      "-j {} --json{}",
      inputs(), out, kBuffer, threads, extra);
}

}  // namespace

TEST_CASE("shuffled shards are the same bytes for 1, 2 and 8 threads", "[cli][shuffle]") {
  TempDir tmp;
  write_images(tmp);
  std::map<std::string, std::string> first;
  for (int threads : {1, 2, 8}) {
    const std::string dir = fmt::format("t{}", threads);
    const auto run = run_tessera(tmp, shuffled_run(dir + "/ds.tar", threads));
    INFO(run.err);
    REQUIRE(run.code == 0);
    const auto files = shard_files(tmp.path() / dir);
    CHECK(files.size() == 5);  // 96 samples, 20 per shard
    if (threads == 1) {
      first = files;
    } else {
      CHECK(files == first);
    }
  }
}

TEST_CASE("shuffled shards hold the unshuffled run's samples, mixed across images",
          "[cli][shuffle]") {
  TempDir tmp;
  write_images(tmp);
  const auto plain =
      run_tessera(tmp, fmt::format("tile{} --tile 16 -o plain/ds.tar -j 2", inputs()));
  REQUIRE(plain.code == 0);
  const auto shuffled = run_tessera(tmp, shuffled_run("mixed/ds.tar", 2));
  INFO(shuffled.err);
  REQUIRE(shuffled.code == 0);

  const auto plain_members = members_in_order(tmp.path() / "plain");
  const auto mixed_members = members_in_order(tmp.path() / "mixed");
  // The same samples under the same keys with the same bytes; only the order differs.
  CHECK(by_name(mixed_members) == by_name(plain_members));
  CHECK(plain_members.size() == 2 * kImages * kTilesPerImage);
  // Each sample's image is still followed by its JSON.
  for (std::size_t i = 0; i + 1 < mixed_members.size(); i += 2) {
    const std::string key = mixed_members[i].name.substr(0, mixed_members[i].name.find('.'));
    CHECK(mixed_members[i + 1].name == key + ".json");
  }

  // Neighbours from one image: (m-1)/m of them unshuffled; shuffled, the share the buffer
  // predicts, (1-q)/(1+q) with q = exp(-m/B) (README, "Shuffled shards"), at most twice over.
  const auto share = [](const std::vector<int>& jobs) {
    std::size_t same = 0;
    for (std::size_t i = 1; i < jobs.size(); ++i) same += jobs[i] == jobs[i - 1] ? 1 : 0;
    return static_cast<double>(same) / static_cast<double>(jobs.size() - 1);
  };
  const double q = std::exp(-static_cast<double>(kTilesPerImage) / kBuffer);
  const double expected = (1 - q) / (1 + q);
  const double plain_same = share(sample_jobs(plain_members));
  const double mixed_same = share(sample_jobs(mixed_members));
  INFO("same-image neighbours: unshuffled " << plain_same << ", shuffled " << mixed_same
                                            << ", expected " << expected);
  CHECK(plain_same > 0.9);
  CHECK(mixed_same <= 2 * expected);

  // The buffer held at most its limit, and --json says so.
  const auto json = last_json_line(shuffled.out);
  REQUIRE(json.contains("shuffle"));
  CHECK(json["shuffle"]["seed"] == 5);
  CHECK(json["shuffle"]["buffer_samples"] == kBuffer);
  CHECK(json["shuffle"]["samples"] == kImages * kTilesPerImage);
  CHECK(json["shuffle"]["peak_samples"] == kBuffer);
  CHECK(json["shuffle"]["peak_bytes"].get<std::uint64_t>() > 0);
}

TEST_CASE("a shuffle memory limit bounds the buffer's bytes", "[cli][shuffle]") {
  TempDir tmp;
  write_images(tmp);
  // Each sample is a 16x16 RGB PNG of noise-like pixels (about 800 bytes) plus its JSON.
  const auto run = run_tessera(tmp, shuffled_run("ds.tar", 2, " --shuffle-memory 8KB"));
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto json = last_json_line(run.out);
  CHECK(json["shuffle"]["buffer_bytes"] == 8000);
  CHECK(json["shuffle"]["peak_bytes"].get<std::uint64_t>() <= 8000);
  CHECK(json["shuffle"]["peak_samples"].get<int>() < kBuffer);  // bytes were the limit
  CHECK(json["shuffle"]["peak_samples"].get<int>() > 1);
  CHECK(members_in_order(tmp.path()).size() == 2 * kImages * kTilesPerImage);
}

TEST_CASE("resuming a shuffled run writes the missing samples", "[cli][shuffle]") {
  TempDir tmp;
  write_images(tmp);
  REQUIRE(run_tessera(tmp, shuffled_run("full/ds.tar", 2)).code == 0);
  REQUIRE(run_tessera(tmp, shuffled_run("cut/ds.tar", 2)).code == 0);
  // As if the run had stopped with shards 1 and 3 unwritten.
  fs::remove(tmp.path() / "cut" / "ds-000001.tar");
  fs::remove(tmp.path() / "cut" / "ds-000003.tar");
  const auto resumed = run_tessera(tmp, shuffled_run("cut/ds.tar", 2, " --resume"));
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK(last_json_line(resumed.out)["resumed"] == 20 + 20 + 16);  // shards 0, 2 and 4
  CHECK(by_name(members_in_order(tmp.path() / "cut")) ==
        by_name(members_in_order(tmp.path() / "full")));

  // Another seed is another run: refused, naming the field.
  const auto other = run_tessera(
      tmp, fmt::format("tile{} --tile 16 -o cut/ds.tar --shard-size 20samples --shuffle 6 "
                       "--shuffle-buffer {} --resume",
                       inputs(), kBuffer));
  CHECK(other.code == 2);
  CHECK_THAT(other.err, Catch::Contains("shuffle"));
}

TEST_CASE("shuffle is refused outside tar shards", "[cli][shuffle]") {
  TempDir tmp;
  write_images(tmp);
  for (const std::string out : {"-o dir", "-o -", ""}) {
    const auto run = run_tessera(tmp, "tile img0.png --tile 16 --shuffle 1 " + out);
    INFO(out << ": " << run.err);
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Catch::Contains("--shuffle reorders the samples of tar shards"));
  }
  const auto lonely = run_tessera(tmp, "tile img0.png --tile 16 -o a.tar --shuffle-buffer 10");
  CHECK(lonely.code == 2);
  CHECK_THAT(lonely.err, Catch::Contains("add --shuffle SEED"));
  const auto samples = run_tessera(tmp,
                                   "tile img0.png --tile 16 -o a.tar --shuffle 1 "
                                   "--shuffle-memory 10samples");
  CHECK(samples.code == 2);
  CHECK_THAT(samples.err, Catch::Contains("is not a byte size"));
  CHECK_FALSE(fs::exists(tmp.path() / "dir"));
}
