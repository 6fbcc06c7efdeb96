// --resume meets shards that are not what tessera wrote: crafted headers claiming huge sizes,
// members cut short, garbage, empty or undecodable images. Each must be redone (the shard is
// removed and its crops encoded again), never trusted, and never drive an allocation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sink_fixtures.hpp"
#include "temp_dir.hpp"
#include "tessera/engine/file_sinks.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using tessera::JobInfo;
using namespace tessera::test;

namespace {

constexpr std::size_t kBlock = 512;

// One ustar header block for a regular file `name` whose size field says `size_octal`.
std::vector<std::uint8_t> tar_header(const std::string& name, const std::string& size_octal) {
  std::vector<std::uint8_t> block(kBlock, 0);
  auto put = [&](std::size_t at, const std::string& text) {
    std::copy(text.begin(), text.end(), block.begin() + static_cast<std::ptrdiff_t>(at));
  };
  put(0, name);
  put(100, "0000644");
  put(108, "0000000");
  put(116, "0000000");
  put(124, size_octal);
  put(136, "00000000000");
  put(148, "        ");
  block[156] = '0';
  put(257, "ustar");
  put(263, "00");
  unsigned sum = 0;
  for (const std::uint8_t byte : block) sum += byte;
  put(148, fmt::format("{:06o}", sum));
  block[154] = 0;
  block[155] = ' ';
  return block;
}

std::vector<std::uint8_t> join(std::vector<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

std::vector<std::uint8_t> zeros(std::size_t size) {
  return std::vector<std::uint8_t>(size, 0);
}

std::vector<std::uint8_t> padded(std::string text) {
  text.resize((text.size() + kBlock - 1) / kBlock * kBlock, '\0');
  return {text.begin(), text.end()};
}

const std::string kJson =
    R"({"source":"img.jpg","x":0,"y":0,"w":4,"h":4,"plan":"grid","index":1,"job":0})";

std::string octal(std::size_t size) {
  return fmt::format("{:011o}", size);
}

std::unique_ptr<tessera::Sink> resumed_sink(const fs::path& out) {
  tessera::TarSinkOptions options;
  options.path = out.string();
  options.resume = true;
  auto sink = tessera::make_tar_sink(options);
  REQUIRE(sink.ok());
  return std::move(*sink);
}

}  // namespace

TEST_CASE("resume redoes crafted or damaged shards without allocating what they claim",
          "[sink][tar][resume]") {
  TempDir tmp;
  const JobInfo job{0, "img.jpg", "grid", 100, 100, {}};
  const fs::path out = tmp.path() / "ds.tar";
  tessera::EncodeOptions encode;
  auto image =
      tessera::encode_to_vector(random_image(4, 4, tessera::PixelFormat::kRgb8, 1).view(), encode);
  REQUIRE(image.ok());
  {  // shard 0: a valid sample of crop 0, which resume keeps
    tessera::TarSinkOptions options;
    options.path = out.string();
    auto sink = tessera::make_tar_sink(options);
    REQUIRE(sink.ok());
    REQUIRE((*sink)->consume(make_crop(job, 0, {0, 0, 4, 4}, "", *image)).ok());
    REQUIRE((*sink)->finish().ok());
  }
  const auto json = padded(kJson);
  std::vector<std::uint8_t> crafted;
  SECTION("a member claims 8 GiB in a 1.5 KB shard") {
    crafted = join({tar_header("k.json", "77777777777"), zeros(kBlock), zeros(2 * kBlock)});
  }
  SECTION("a member claims more bytes than follow it") {
    crafted = join({tar_header("k.jpg", octal(5000)), zeros(kBlock)});
  }
  SECTION("garbage") {
    crafted = payload(1536, 7);
  }
  SECTION("an empty image member") {
    crafted = join({tar_header("k.jpg", octal(0)), tar_header("k.json", octal(kJson.size())), json,
                    zeros(2 * kBlock)});
  }
  SECTION("an image member that does not decode") {
    crafted = join({tar_header("k.jpg", octal(kBlock)), payload(kBlock, 3),
                    tar_header("k.json", octal(kJson.size())), json, zeros(2 * kBlock)});
  }
  write_bytes(tmp.path() / "ds-000001.tar", crafted);

  auto sink = resumed_sink(out);
  CHECK(sink->exists(make_crop(job, 0, {0, 0, 4, 4}, "", {})));
  CHECK_FALSE(sink->exists(make_crop(job, 1, {0, 0, 4, 4}, "", {})));
  CHECK(fs::exists(tmp.path() / "ds-000000.tar"));
  CHECK_FALSE(fs::exists(tmp.path() / "ds-000001.tar"));  // removed: its crops are redone
  REQUIRE(sink->consume(make_crop(job, 1, {4, 0, 4, 4}, "", *image)).ok());
  REQUIRE(sink->finish().ok());
  CHECK(fs::file_size(tmp.path() / "ds-000001.tar") > 0);
}

TEST_CASE("resume ignores and keeps what only looks like a shard", "[sink][tar][resume]") {
  TempDir tmp;
  const fs::path victim = tmp.path() / "victim.txt";
  write_text(victim, "keep me");
  fs::create_symlink(victim, tmp.path() / "ds-000000.tar");
  fs::create_symlink(victim, tmp.path() / ".ds-000001.tar.tmp-abcdef");
  write_text(tmp.path() / ".ds-000002.tar.tmp", "not a name tessera makes");
  write_text(tmp.path() / "ds-1.tar", "not a shard name");
  auto sink = resumed_sink(tmp.path() / "ds.tar");
  CHECK(fs::is_symlink(tmp.path() / "ds-000000.tar"));
  CHECK(fs::is_symlink(tmp.path() / ".ds-000001.tar.tmp-abcdef"));
  CHECK(fs::exists(tmp.path() / ".ds-000002.tar.tmp"));
  CHECK(fs::exists(tmp.path() / "ds-1.tar"));
  CHECK(read_text(victim) == "keep me");
}
