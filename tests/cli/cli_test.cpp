// Runs the built tessera binary (TESSERA_CLI) as a user would: each test writes its inputs
// into a fresh temporary directory, runs a shell command there and checks exit codes, files,
// tar members, pixels and messages.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tessera/engine/demo_image.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::test;

namespace {

EncodeOptions png_options() {
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  return options;
}

EncodeOptions jpeg_options(JpegSubsampling subsampling = JpegSubsampling::k420) {
  EncodeOptions options;
  options.format = OutputFormat::kJpeg;
  options.jpeg.quality = 92;
  options.jpeg.subsampling = subsampling;
  return options;
}

std::set<std::string> files_under(const fs::path& root) {
  const auto names = output_names(root);
  return {names.begin(), names.end()};
}

std::vector<std::string> tar_members(const TempDir& dir, const std::string& tar) {
  auto listing = run_shell(dir, "tar -tf " + tar);
  REQUIRE(listing.code == 0);
  std::vector<std::string> members;
  std::istringstream lines(listing.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) members.push_back(line);
  }
  return members;
}

ImageHeader header_of(const std::string& path) {
  auto input = InputBytes::open_file(path);
  REQUIRE(input.ok());
  auto decoder = open_decoder(*input);
  REQUIRE(decoder.ok());
  return (*decoder)->header();
}

}  // namespace

TEST_CASE("demo runs with no arguments and prints a summary", "[cli]") {
  TempDir dir;
  auto result = run_shell(dir, "tessera demo");
  CHECK(result.code == 0);
  CHECK_THAT(result.out, Catch::Contains("256 crops written"));
  CHECK_THAT(result.out, Catch::Contains("MP/s"));
  CHECK_THAT(result.out, Catch::Contains("null sink"));
  CHECK(files_under(dir.path()).empty());
}

TEST_CASE("version and help", "[cli]") {
  TempDir dir;
  auto version = run_shell(dir, "tessera --version");
  CHECK(version.code == 0);
  CHECK_THAT(version.out, Catch::Contains("tessera 0.1.0"));
  for (const char* command : {"tile", "crop", "random", "info", "demo", "manifest"}) {
    auto help = run_shell(dir, fmt::format("tessera {} --help", command));
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("Examples:"));
  }
}

TEST_CASE("tile names and counts follow the edge policy, stride and overlap", "[cli]") {
  TempDir dir;
  write_image(dir / "pic.png", 300, 200, png_options());

  struct Case {
    std::string options;
    std::set<std::string> names;
    int last_width;  // width of the tile at the largest x
  };
  const std::vector<Case> cases = {
      {"--tile 128", {"pic/0_0.png", "pic/128_0.png"}, 128},
      {"--tile 128 --edge drop", {"pic/0_0.png", "pic/128_0.png"}, 128},
      {"--tile 128 --edge clip",
       {"pic/0_0.png", "pic/128_0.png", "pic/256_0.png", "pic/0_128.png", "pic/128_128.png",
        "pic/256_128.png"},
       44},
      {"--tile 128 --edge pad",
       {"pic/0_0.png", "pic/128_0.png", "pic/256_0.png", "pic/0_128.png", "pic/128_128.png",
        "pic/256_128.png"},
       128},
      {"--tile 128 --stride 100", {"pic/0_0.png", "pic/100_0.png"}, 128},
      {"--tile 128 --overlap 28", {"pic/0_0.png", "pic/100_0.png"}, 128},
      {"--tile 128x64 --stride 100x64 --edge clip",
       {"pic/0_0.png", "pic/100_0.png", "pic/200_0.png", "pic/0_64.png", "pic/100_64.png",
        "pic/200_64.png", "pic/0_128.png", "pic/100_128.png", "pic/200_128.png", "pic/0_192.png",
        "pic/100_192.png", "pic/200_192.png"},
       100},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.options) {
      fs::remove_all(dir / "out");
      auto result = run_shell(dir, "tessera tile pic.png -f png -o out --quiet " + c.options);
      REQUIRE(result.code == 0);
      CHECK(files_under(dir / "out") == c.names);
      const std::string last =
          *std::max_element(c.names.begin(), c.names.end(), [](const auto& a, const auto& b) {
            return std::stoi(a.substr(4)) < std::stoi(b.substr(4));
          });
      CHECK(header_of(dir / ("out/" + last)).width == c.last_width);
    }
  }
}

TEST_CASE("PNG crops survive a round trip through a tar shard pixel for pixel", "[cli]") {
  TempDir dir;
  const OwnedImage source = write_image(dir / "src.jpg", 200, 150, jpeg_options());
  // The JPEG's decoded pixels are the source of truth for lossless PNG crops.
  auto decoded = decode_whole(*InputBytes::open_file(dir / "src.jpg"));
  REQUIRE(decoded.ok());

  auto result =
      run_shell(dir, "tessera tile src.jpg --tile 64 --edge clip -f png -o shards.tar --quiet");
  REQUIRE(result.code == 0);
  REQUIRE(fs::exists(dir / "shards-000000.tar"));
  fs::create_directories(dir / "x");
  REQUIRE(run_shell(dir, "tar -xf shards-000000.tar -C x").code == 0);

  int compared = 0;
  for (const std::string& name : files_under(dir / "x")) {
    if (!name.ends_with(".png")) continue;
    // Keys are STEM_X_Y_W_H.
    int x = 0, y = 0, w = 0, h = 0;
    REQUIRE(std::sscanf(name.c_str(), "src_%d_%d_%d_%d.png", &x, &y, &w, &h) == 4);
    auto crop = decode_whole(*InputBytes::open_file(dir / ("x/" + name)));
    REQUIRE(crop.ok());
    REQUIRE(crop->width == w);
    REQUIRE(crop->height == h);
    CHECK(same_pixels(crop->view(), decoded->view().crop(x, y, w, h)));
    auto meta = nlohmann::json::parse(
        read_text(dir.path() / "x" / (name.substr(0, name.size() - 4) + ".json")));
    CHECK(meta["x"] == x);
    CHECK(meta["y"] == y);
    ++compared;
  }
  CHECK(compared == 4 * 3);
}

TEST_CASE("tar shards split at the size limit and at a sample count", "[cli]") {
  TempDir dir;
  write_image(dir / "src.png", 256, 256, png_options());

  SECTION("by bytes") {
    auto result =
        run_shell(dir, "tessera tile src.png --tile 64 -o s.tar --shard-size 64KiB --json");
    REQUIRE(result.code == 0);
    const auto summary = last_json_line(result.out);
    std::size_t shards = 0;
    std::size_t samples = 0;
    for (; fs::exists(dir / fmt::format("s-{:06}.tar", shards)); ++shards) {
      const std::string shard = fmt::format("s-{:06}.tar", shards);
      CHECK(fs::file_size(dir / shard) <= 64u * 1024u);
      samples += tar_members(dir, shard).size() / 2;
    }
    CHECK(shards > 1);
    CHECK(samples == 16);
    CHECK(summary["crops"] == 16);
  }
  SECTION("by samples") {
    auto result =
        run_shell(dir, "tessera tile src.png --tile 64 -o s.tar --shard-size 5samples --quiet");
    REQUIRE(result.code == 0);
    std::vector<std::size_t> counts;
    for (int i = 0; fs::exists(dir / fmt::format("s-{:06}.tar", i)); ++i) {
      counts.push_back(tar_members(dir, fmt::format("s-{:06}.tar", i)).size() / 2);
    }
    CHECK(counts == std::vector<std::size_t>{5, 5, 5, 1});
  }
}

TEST_CASE("a manifest with one corrupt image completes the others and names the bad file",
          "[cli]") {
  TempDir dir;
  write_image(dir / "one.jpg", 128, 128, jpeg_options());
  write_image(dir / "two.png", 128, 64, png_options());
  write_bytes(dir / "broken.jpg",
              {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 2, 3});
  {
    std::ofstream jobs(dir / "jobs.jsonl");
    jobs << R"({"input": "one.jpg"})"
         << "\n"
         << R"({"input": "broken.jpg", "plan": {"tile": 32}})"
         << "\n"
         << R"({"input": "two.png", "plan": {"tile": 32}, "key_prefix": "p2"})"
         << "\n";
  }
  auto result = run_shell(
      dir, "tessera manifest jobs.jsonl --tile 64 -o out --name '{stem}/{key}.{ext}' --quiet");
  CHECK(result.code == 1);
  CHECK_THAT(result.err, Catch::Contains("tessera: broken.jpg"));
  CHECK_THAT(result.err, Catch::Contains("line 2"));
  const auto files = files_under(dir / "out");
  CHECK(std::count_if(files.begin(), files.end(), [](auto& f) { return f.starts_with("one/"); }) ==
        4);
  CHECK(std::count_if(files.begin(), files.end(),
                      [](auto& f) { return f.starts_with("two/p2_"); }) == 8);
  CHECK(files.size() == 12);
}

TEST_CASE("a bad manifest line is named by its number and skipped", "[cli]") {
  TempDir dir;
  write_image(dir / "one.jpg", 64, 64, jpeg_options());
  {
    std::ofstream jobs(dir / "jobs.jsonl");
    jobs << R"({"input": "one.jpg", "plan": {"tile": 32}})"
         << "\n\n{not json\n"
         << R"({"input": "one.jpg"})"
         << "\n";
  }
  auto result = run_shell(dir, "tessera manifest jobs.jsonl --json");
  CHECK(result.code == 1);
  CHECK_THAT(result.err, Catch::Contains("jobs.jsonl:3:"));
  CHECK_THAT(result.err, Catch::Contains("jobs.jsonl:4: no plan"));
  CHECK(last_json_line(result.out)["crops"] == 4);
}

TEST_CASE("stdin input and a tar stream on stdout", "[cli]") {
  TempDir dir;
  write_image(dir / "in.jpg", 128, 96, jpeg_options());
  auto result = run_shell(dir, "cat in.jpg | tessera tile - --tile 32 -o - --json > out.tar");
  REQUIRE(result.code == 0);
  const auto members = tar_members(dir, "out.tar");
  CHECK(members.size() == 2 * 12);
  CHECK(std::find(members.begin(), members.end(), "stdin_96_64_32_32.jpg") != members.end());
  // --json moves to stderr when stdout carries the tar stream.
  CHECK(last_json_line(result.err)["crops"] == 12);
  CHECK(result.out.empty());
}

TEST_CASE("ROI keys that would escape the output directory are refused", "[cli]") {
  TempDir dir;
  write_image(dir / "img.png", 64, 64, png_options());
  {
    std::ofstream rois(dir / "rois.csv");
    rois << "x,y,w,h,key\n0,0,16,16,fine\n8,8,16,16,../../escaped\n";
  }
  fs::create_directories(dir / "deep/out");
  auto result = run_shell(dir, "cd deep && tessera crop ../img.png --rois ../rois.csv -o out");
  CHECK(result.code == 2);
  CHECK_THAT(result.err, Catch::Contains("../../escaped"));
  CHECK_THAT(result.err, Catch::Contains("ROI 1"));
  const auto files = files_under(dir.path());
  CHECK(std::none_of(files.begin(), files.end(),
                     [](auto& f) { return f.find("escaped") != std::string::npos; }));
  CHECK(files_under(dir / "deep/out").empty());

  SECTION("safe keys name the files") {
    std::ofstream(dir / "rois.csv") << "0,0,16,16,fine\n8,8,16,24,also-fine\n";
    auto ok = run_shell(dir, "tessera crop img.png --rois rois.csv -f png -o out --quiet");
    CHECK(ok.code == 0);
    CHECK(files_under(dir / "out") == std::set<std::string>{"img/fine.png", "img/also-fine.png"});
    CHECK(header_of(dir / "out/img/also-fine.png").height == 24);
  }
}

TEST_CASE("an ROI outside the image fails with the plan's advice", "[cli]") {
  TempDir dir;
  write_image(dir / "img.png", 64, 64, png_options());
  std::ofstream(dir / "rois.csv") << "0,0,16,16\n60,10,16,16\n";
  auto result = run_shell(dir, "tessera crop img.png --rois rois.csv --quiet");
  CHECK(result.code == 1);
  CHECK_THAT(result.err, Catch::Contains("tessera: img.png: ROI 1 (x=60 y=10 w=16 h=16)"));
  CHECK_THAT(result.err, Catch::Contains("--edge clip"));
  CHECK(run_shell(dir, "tessera crop img.png --rois rois.csv --edge clip --quiet").code == 0);
}

TEST_CASE("skip-blank skips the crops of a uniform half", "[cli]") {
  TempDir dir;
  OwnedImage image = make_demo_image(128, 128, PixelFormat::kRgb8, 5);
  std::fill(image.pixels.begin(),
            image.pixels.begin() + static_cast<std::ptrdiff_t>(image.stride() * 64), 200);
  auto bytes = encode_to_vector(image.view(), png_options());
  REQUIRE(bytes.ok());
  write_bytes(dir / "half.png", *bytes);

  auto result = run_shell(dir, "tessera tile half.png --tile 32 --skip-blank 2 -o out --json");
  REQUIRE(result.code == 0);
  const auto summary = last_json_line(result.out);
  CHECK(summary["skipped"] == 8);
  CHECK(summary["crops"] == 8);
  const auto files = files_under(dir / "out");
  CHECK(files.size() == 8);
  CHECK(std::all_of(files.begin(), files.end(),
                    [](auto& f) { return std::stoi(f.substr(f.find('_') + 1)) >= 64; }));
}

TEST_CASE("bad arguments exit with 2 and say what to do", "[cli]") {
  TempDir dir;
  write_image(dir / "img.jpg", 64, 64, jpeg_options());
  struct Case {
    std::string command;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"tessera tile img.jpg --tile 0", "--tile \"0\" is not a size"},
      {"tessera tile img.jpg", "--tile is required"},
      {"tessera tile img.jpg --tile 32 --stride 16 --overlap 8", "give only one"},
      {"tessera tile img.jpg --tile 32 --overlap 32", "smaller than the tile"},
      {"tessera tile img.jpg --tile 32 --fill 1,2", "--fill"},
      {"tessera tile img.jpg --tile 32 -q 0", "quality"},
      {"tessera tile img.jpg --tile 32 --bogus", "bogus"},
      {"tessera tile img.jpg --tile 32 -o s.tar --shard-size lots", "10000samples"},
      {"tessera tile img.jpg --tile 32 -o dir --shard-size 1GB", "only applies to tar"},
      {"tessera tile img.jpg --tile 32 -o out --name '{nope}.{ext}'", "nope"},
      {"tessera tile - - --tile 32", "only once"},
      {"tessera crop img.jpg --rois missing.csv", "missing.csv"},
      {"tessera random img.jpg --count 3 --size 64:32", "MIN:MAX"},
      {"tessera manifest nowhere.jsonl --tile 32", "nowhere.jsonl"},
      {"tessera", "subcommand"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.command) {
      auto result = run_shell(dir, c.command);
      CHECK(result.code == 2);
      CHECK_THAT(result.err, Catch::Contains(c.message));
    }
  }
}

TEST_CASE("info reads headers only and prints text or JSON", "[cli]") {
  TempDir dir;
  write_image(dir / "a.jpg", 80, 48, jpeg_options(JpegSubsampling::k444));
  write_image(dir / "b.png", 33, 17, png_options());

  auto text = run_shell(dir, "tessera info a.jpg b.png");
  CHECK(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("a.jpg: 80x48 jpeg, 3 channels"));
  CHECK_THAT(text.out, Catch::Contains("4:4:4"));
  CHECK_THAT(text.out, Catch::Contains("b.png: 33x17 png"));

  auto json = run_shell(dir, "tessera info --json a.jpg b.png");
  REQUIRE(json.code == 0);
  const auto all = nlohmann::json::parse(json.out);
  REQUIRE(all.size() == 2);
  CHECK(all[0]["width"] == 80);
  CHECK(all[0]["height"] == 48);
  CHECK(all[0]["format"] == "jpeg");
  CHECK(all[0]["channels"] == 3);
  CHECK(all[0]["subsampling"] == "4:4:4");
  CHECK(all[0]["progressive"] == false);
  CHECK(all[0]["restart_markers"] == false);
  CHECK(all[1]["format"] == "png");
  CHECK(all[1]["width"] == 33);

  write_bytes(dir / "junk.jpg", {1, 2, 3});
  auto bad = run_shell(dir, "tessera info junk.jpg a.jpg");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("tessera: junk.jpg"));
  CHECK_THAT(bad.out, Catch::Contains("a.jpg: 80x48"));
}

TEST_CASE("the json summary reports the run's counts and sizes", "[cli]") {
  TempDir dir;
  write_image(dir / "a.jpg", 96, 64, jpeg_options());
  write_image(dir / "b.jpg", 64, 64, jpeg_options());
  write_bytes(dir / "c.jpg", {0xff, 0xd8, 0xff, 0xdb, 0, 0});
  auto result = run_shell(dir, "tessera tile a.jpg b.jpg c.jpg --tile 32 -o out --json -j 2");
  CHECK(result.code == 1);
  const auto summary = last_json_line(result.out);
  for (const char* field : {"images", "crops", "failed", "skipped", "bytes_out", "wall_s",
                            "decode_s", "encode_cpu_s", "peak_rss_mb", "peak_window_mb"}) {
    CHECK(summary.contains(field));
  }
  CHECK(summary["images"] == 3);
  CHECK(summary["failed_images"] == 1);
  CHECK(summary["crops"] == 6 + 4);
  CHECK(summary["skipped"] == 0);
  std::uintmax_t bytes = 0;
  for (const auto& f : files_under(dir / "out")) bytes += fs::file_size(dir.path() / "out" / f);
  CHECK(summary["bytes_out"] == bytes);
  CHECK(summary["peak_rss_mb"].get<double>() > 0);
  CHECK_THAT(result.err, Catch::Contains("tessera: c.jpg"));
}

TEST_CASE("random crops are reproducible from the seed and default to JPEG", "[cli]") {
  TempDir dir;
  write_image(dir / "a.png", 200, 200, png_options());
  REQUIRE(
      run_shell(dir, "tessera random a.png --count 7 --size 16:48 --seed 9 -o r1 --quiet").code ==
      0);
  REQUIRE(run_shell(dir, "tessera random a.png --count 7 --size 16:48 --seed 9 -o r2 --quiet -j 1")
              .code == 0);
  const auto first = files_under(dir / "r1");
  CHECK(first.size() == 7);
  CHECK(first == files_under(dir / "r2"));
  CHECK(std::all_of(first.begin(), first.end(), [](auto& f) { return f.ends_with(".jpg"); }));
  for (const auto& f : first)
    CHECK(read_text(dir.path() / "r1" / f) == read_text(dir.path() / "r2" / f));
}

TEST_CASE("quiet mode prints nothing on success", "[cli]") {
  TempDir dir;
  write_image(dir / "a.jpg", 64, 64, jpeg_options());
  auto result = run_shell(dir, "tessera tile a.jpg --tile 32 --quiet -o out");
  CHECK(result.code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.empty());
}
