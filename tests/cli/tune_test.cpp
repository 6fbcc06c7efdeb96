// `tessera tune` and `--profile`, run through the built binary as a user would: the profile
// it writes, what tile/crop/random do with a profile, bad profiles, the PNG settings it tries
// by default, and the lossy-codec report.
// Nothing here looks at how fast anything ran: timings depend on the machine.
#include <filesystem>
#include <set>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::test;
using nlohmann::json;

namespace {

// A photo-like image of width x height, written as a JPEG (q90) or PNG file.
void write_photo(const std::string& path, int width, int height, OutputFormat format) {
  EncodeOptions options;
  options.format = format;
  write_image(path, width, height, options, 5);
}

json read_json(const std::string& path) {
  json value = json::parse(read_text(path), nullptr, false);
  REQUIRE_FALSE(value.is_discarded());
  return value;
}

// tune searches up to twice the engine's own thread count (TBB's, which honours CPU quotas).
int max_threads() {
  return 2 * resolved_settings().threads;
}

void check_engine_in_range(const json& engine) {
  REQUIRE(engine.is_object());
  CHECK(engine.at("threads").get<int>() >= 1);
  CHECK(engine.at("threads").get<int>() <= max_threads());
  CHECK(engine.at("crops_in_flight").get<int>() >= 1);
  CHECK(engine.at("band_rows").get<int>() >= 8);
  CHECK(engine.at("jobs_in_flight").get<int>() >= 1);
}

// 384x256 cut into 64x64 tiles: 24 crops.
constexpr int kWidth = 384;
constexpr int kHeight = 256;
constexpr int kTiles = 24;

}  // namespace

TEST_CASE("tune writes a profile in range that tile accepts, and -j overrides it", "[cli][tune]") {
  TempDir dir;
  write_photo(dir / "in.jpg", kWidth, kHeight, OutputFormat::kJpeg);
  const CliOutcome tune = run_tessera(dir, "tune in.jpg --tile 64 --time 3s -o profile.json");
  INFO(tune.err);
  REQUIRE(tune.code == 0);
  CHECK(tune.out.find("median ms") != std::string::npos);
  CHECK(tune.out.find("sink: null") != std::string::npos);
  CHECK(tune.out.find("PSNR") == std::string::npos);
  CHECK(tune.out.find("size MB") != std::string::npos);  // bytes always stand next to time

  const json profile = read_json(dir / "profile.json");
  CHECK(profile.at("tessera_profile") == 1);
  check_engine_in_range(profile.at("engine"));
  CHECK_FALSE(profile.contains("codec"));
  CHECK(profile.at("machine").at("cores").get<int>() >= 1);
  const json& measured = profile.at("measured");
  const json& candidates = measured.at("candidates");
  REQUIRE(candidates.size() >= 2);
  CHECK(candidates.front().at("setting") == "defaults");
  for (const json& c : candidates) {
    CHECK(c.at("runs_s").size() >= 3);
    CHECK(c.at("min_s").get<double>() <= c.at("median_s").get<double>());
    CHECK(c.at("median_s").get<double>() <= c.at("max_s").get<double>());
    CHECK(c.at("crops") == kTiles);  // every candidate ran the whole job
  }
  // The chosen engine settings are one of the measured candidates.
  bool chosen_was_measured = false;
  for (const json& c : candidates)
    chosen_was_measured = chosen_was_measured || c.at("engine") == profile.at("engine");
  CHECK(chosen_was_measured);
  if (measured.at("defaults_are_best").get<bool>()) {
    CHECK(tune.out.find("the defaults are already the best (within noise)") != std::string::npos);
    CHECK(profile.at("engine") == candidates.front().at("engine"));
  }

  const int threads = profile.at("engine").at("threads").get<int>();
  const CliOutcome tile = run_tessera(dir, "tile in.jpg --tile 64 --profile profile.json --json");
  INFO(tile.err);
  REQUIRE(tile.code == 0);
  CHECK(json::parse(tile.out).at("crops") == kTiles);
  CHECK(tile.err.find(fmt::format("threads {} (profile)", threads)) != std::string::npos);

  const CliOutcome explicit_j =
      run_tessera(dir, "tile in.jpg --tile 64 --profile profile.json -j 1 --json");
  INFO(explicit_j.err);
  REQUIRE(explicit_j.code == 0);
  CHECK(explicit_j.err.find("threads 1 (command line)") != std::string::npos);
  CHECK(explicit_j.err.find(fmt::format("crops_in_flight {} (profile)",
                                        profile.at("engine").at("crops_in_flight").get<int>())) !=
        std::string::npos);
}

TEST_CASE("a profile's settings reach the engine unless a flag is given", "[cli][tune]") {
  TempDir dir;
  write_photo(dir / "in.jpg", kWidth, kHeight, OutputFormat::kJpeg);
  // One encode buffer: the pool can never hold more than one.
  write_text(dir / "one.json", R"({"tessera_profile": 1,
    "engine": {"threads": 2, "crops_in_flight": 1, "band_rows": 16, "jobs_in_flight": 1}})");
  const CliOutcome tile = run_tessera(dir, "tile in.jpg --tile 64 --profile one.json --json");
  INFO(tile.err);
  REQUIRE(tile.code == 0);
  const json summary = json::parse(tile.out);
  CHECK(summary.at("crops") == kTiles);
  CHECK(summary.at("pool_buffers") == 1);

  const CliOutcome random =
      run_tessera(dir, "random in.jpg --count 7 --size 48 --profile one.json --quiet --json");
  INFO(random.err);
  REQUIRE(random.code == 0);
  CHECK(json::parse(random.out).at("pool_buffers") == 1);
  CHECK(random.err.empty());  // --quiet: no profile line either

  const CliOutcome overridden =
      run_tessera(dir, "tile in.jpg --tile 64 --profile one.json --crops-in-flight 3 -j 1 --json");
  INFO(overridden.err);
  REQUIRE(overridden.code == 0);
  CHECK(overridden.err.find("crops_in_flight 3 (command line)") != std::string::npos);
  CHECK(overridden.err.find("band_rows 16 (profile)") != std::string::npos);

  SECTION("codec settings from a profile change the output; explicit flags win") {
    write_text(dir / "codec.json", R"({"tessera_profile": 1, "engine": {"threads": 1},
      "codec": {"optimize": true, "progressive": true}})");
    const auto bytes_out = [&](const std::string& extra) {
      const CliOutcome o = run_tessera(dir, "tile in.jpg --tile 64 --quiet --json " + extra);
      REQUIRE(o.code == 0);
      return json::parse(o.out).at("bytes_out").get<std::uint64_t>();
    };
    const auto plain = bytes_out("");
    const auto with_profile = bytes_out("--profile codec.json");
    const auto progressive_only = bytes_out("--progressive --optimize");
    CHECK(with_profile != plain);
    CHECK(with_profile == progressive_only);
  }
}

TEST_CASE("a bad profile is a usage error that names the file", "[cli][tune]") {
  TempDir dir;
  write_photo(dir / "in.jpg", 128, 128, OutputFormat::kJpeg);
  write_text(dir / "rois.csv", "0,0,32,32\n");
  const std::pair<const char*, const char*> kBad[] = {
      {"garbage.json", "this is not json {"},
      {"array.json", "[1, 2, 3]"},
      {"noversion.json", R"({"engine": {"threads": 2}})"},
      {"version2.json", R"({"tessera_profile": 2, "engine": {"threads": 2}})"},
      {"noengine.json", R"({"tessera_profile": 1})"},
      {"negative.json", R"({"tessera_profile": 1, "engine": {"threads": -1}})"},
      {"text.json", R"({"tessera_profile": 1, "engine": {"band_rows": "many"}})"},
      {"filter.json", R"({"tessera_profile": 1, "engine": {}, "codec": {"png_filter": "best"}})"},
      {"level.json", R"({"tessera_profile": 1, "engine": {}, "codec": {"png_level": 13}})"},
      {"truncated.json", R"({"tessera_profile": 1, "engine": {"threads": 2)"},
  };
  for (const auto& [name, text] : kBad) {
    write_text(dir / name, text);
    for (const std::string command : {"tile in.jpg --tile 32", "crop in.jpg --rois rois.csv",
                                      "random in.jpg --count 2 --size 16"}) {
      const CliOutcome o = run_tessera(dir, fmt::format("{} --profile {}", command, name));
      INFO(command << " --profile " << name << ": " << o.err);
      CHECK(o.code == 2);
      CHECK(o.err.find(name) != std::string::npos);
      CHECK(o.out.empty());
    }
  }
  const CliOutcome missing = run_tessera(dir, "tile in.jpg --tile 32 --profile missing.json");
  CHECK(missing.code == 2);
  CHECK(missing.err.find("cannot read the profile missing.json") != std::string::npos);

  write_text(dir / "jobs.jsonl", "{\"input\": \"in.jpg\"}\n");
  const CliOutcome manifest =
      run_tessera(dir, "manifest jobs.jsonl --tile 32 --profile garbage.json");
  CHECK(manifest.code == 2);
  CHECK(manifest.err.find("garbage.json") != std::string::npos);
}

TEST_CASE("tune --allow-lossy-changes reports size and PSNR for codec settings", "[cli][tune]") {
  TempDir dir;
  SECTION("JPEG: DCT, Huffman and progressive") {
    write_photo(dir / "in.jpg", kWidth, kHeight, OutputFormat::kJpeg);
    const CliOutcome tune =
        run_tessera(dir, "tune in.jpg --tile 64 --time 3s --allow-lossy-changes -o p.json");
    INFO(tune.err);
    REQUIRE(tune.code == 0);
    CHECK(tune.out.find("size MB") != std::string::npos);
    CHECK(tune.out.find("PSNR dB") != std::string::npos);
    const json profile = read_json(dir / "p.json");
    check_engine_in_range(profile.at("engine"));
    const json& codec = profile.at("codec");
    CHECK(codec.at("fast_dct").is_boolean());
    CHECK(codec.at("optimize").is_boolean());
    CHECK(codec.at("progressive").is_boolean());
    const json& defaults = profile.at("measured").at("candidates").front();
    // q90 of a photo-like picture: well above 30 dB, and not lossless.
    CHECK(defaults.at("psnr_db").get<double>() > 30.0);
    CHECK(defaults.at("psnr_db").get<double>() < 99.0);
    CHECK(defaults.at("bytes_out").get<std::uint64_t>() > 0);
    bool saw_codec_row = false;
    for (const json& c : profile.at("measured").at("candidates")) {
      if (c.at("codec") == "optimised Huffman on") {
        saw_codec_row = true;
        // Optimised Huffman tables: same pixels, fewer bytes.
        CHECK(c.at("psnr_db") == defaults.at("psnr_db"));
        CHECK(c.at("bytes_out").get<std::uint64_t>() <
              defaults.at("bytes_out").get<std::uint64_t>());
      }
    }
    CHECK(saw_codec_row);
  }
  SECTION("PNG: every setting stays lossless") {
    write_photo(dir / "in.png", 256, 192, OutputFormat::kPng);
    const CliOutcome tune =
        run_tessera(dir, "tune in.png -f png --tile 64 --time 3s --allow-lossy-changes -o p.json");
    INFO(tune.err);
    REQUIRE(tune.code == 0);
    CHECK(tune.out.find("lossless") != std::string::npos);
    const json profile = read_json(dir / "p.json");
    CHECK(profile.at("codec").at("png_level").get<int>() >= 0);
    for (const json& c : profile.at("measured").at("candidates")) CHECK(c.at("lossless") == true);
  }
}

TEST_CASE("tune tries PNG level, filter and encoder by default and keeps the size in bounds",
          "[cli][tune]") {
  TempDir dir;
  write_photo(dir / "in.png", 256, 192, OutputFormat::kPng);
  // No growth allowed: the faster PNG settings all write more bytes here, so this is where a
  // size check that does not hold would show.
  for (const int growth : {0}) {
    const CliOutcome tune = run_tessera(
        dir, fmt::format("tune in.png -f png --tile 64 --time 8s --max-size-growth {} -o p.json",
                         growth));
    INFO(tune.err);
    REQUIRE(tune.code == 0);
    CHECK(tune.out.find("size MB") != std::string::npos);  // bytes next to time
    CHECK(tune.out.find("PSNR dB") == std::string::npos);  // lossless: nothing to measure
    const json profile = read_json(dir / "p.json");
    const json& codec = profile.at("codec");
    CHECK(codec.at("png_encoder").is_string());
    CHECK(codec.at("png_filter").is_string());
    CHECK(codec.at("png_level").is_number_integer());
    const json& measured = profile.at("measured");
    std::set<std::string> codecs;
    for (const json& c : measured.at("candidates")) {
      codecs.insert(c.at("codec").get<std::string>());
      CHECK(c.at("bytes_out").get<std::uint64_t>() > 0);
    }
    CHECK(codecs.count("PNG level 1") == 1);
    CHECK(codecs.count("PNG filter none") == 1);
    CHECK(codecs.count("PNG encoder libspng") == 1);
    // Whatever it chose is no more than --max-size-growth larger than the defaults.
    const auto defaults_bytes = measured.at("defaults_bytes_out").get<double>();
    CHECK(measured.at("chosen_bytes_out").get<double>() <= defaults_bytes * (1 + growth / 100.0));
    // The profile runs, and writes PNGs.
    const CliOutcome tile =
        run_tessera(dir, "tile in.png -f png --tile 64 --profile p.json -o out");
    INFO(tile.err);
    CHECK(tile.code == 0);
  }
}

TEST_CASE("tune checks its arguments before running", "[cli][tune]") {
  TempDir dir;
  write_photo(dir / "in.jpg", 128, 96, OutputFormat::kJpeg);
  write_text(dir / "rois.csv", "0,0,32,32\n16,16,48,48\n");
  for (const char* time : {"30s", "2m", "90", "0.5m"}) {
    const CliOutcome o =
        run_tessera(dir, fmt::format("tune in.jpg --tile 32 --time {} -o t.json --quiet", time));
    INFO(time << ": " << o.err);
    CHECK(o.code == 0);
  }
  const CliOutcome rois =
      run_tessera(dir, "tune in.jpg --rois rois.csv --time 2s -o r.json --quiet");
  INFO(rois.err);
  CHECK(rois.code == 0);
  CHECK(read_json(dir / "r.json").at("measured").at("candidates").front().at("crops") == 2);

  const std::pair<const char*, const char*> kUsage[] = {
      {"tune in.jpg --tile 32 --time soon -o p.json", "--time \"soon\" is not a duration"},
      {"tune in.jpg --tile 32 --time 0 -o p.json", "is not a duration"},
      {"tune in.jpg --tile 32 --time 10x -o p.json", "is not a duration"},
      {"tune in.jpg --time 2s -o p.json", "tune needs the plan"},
      {"tune in.jpg --tile 32 --rois rois.csv -o p.json", "give only one"},
      {"tune - --tile 32 -o p.json < in.jpg", "cannot read stdin"},
  };
  for (const auto& [command, message] : kUsage) {
    const CliOutcome o = run_tessera(dir, command);
    INFO(command << ": " << o.err);
    CHECK(o.code == 2);
    CHECK(o.err.find(message) != std::string::npos);
  }
  const CliOutcome no_output = run_tessera(dir, "tune in.jpg --tile 32");
  CHECK(no_output.code == 2);
  CHECK_FALSE(fs::exists(dir / "p.json"));
}
