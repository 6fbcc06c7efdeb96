// The command line's option parsers as units: what each accepts, and that each refusal says
// what to type instead.
#include <catch2/catch.hpp>

#include "cli_options.hpp"
#include "temp_dir.hpp"

namespace tessera::cli {
namespace {

TEST_CASE("parse_shard_size reads byte units and sample counts", "[options]") {
  CHECK(parse_shard_size("500")->bytes == 500);
  CHECK(parse_shard_size("1GB")->bytes == 1'000'000'000);
  CHECK(parse_shard_size("64KiB")->bytes == 64 * 1024);
  CHECK(parse_shard_size(" 2 mib ")->bytes == 2u << 20);
  CHECK(parse_shard_size("10000samples")->samples == 10000);
  CHECK(parse_shard_size("10000 samples")->samples == 10000);
  CHECK(parse_shard_size("1 sample")->bytes == 0);
}

TEST_CASE("parse_shard_size refuses zero, unknown units and overflow", "[options]") {
  for (const char* bad : {"", "0", "0samples", "1XB", "GB", "-5MB", "1.5GB", "99999999999TB"}) {
    INFO(bad);
    auto limit = parse_shard_size(bad);
    REQUIRE_FALSE(limit);
    CHECK(limit.error().message.find("--shard-size") != std::string::npos);
  }
}

TEST_CASE("parse_dimensions and parse_size_range", "[options]") {
  CHECK(*parse_dimensions("256", "--tile") == std::pair{256, 256});
  CHECK(*parse_dimensions("512x128", "--tile") == std::pair{512, 128});
  CHECK_FALSE(parse_dimensions("0x5", "--tile"));
  CHECK_FALSE(parse_dimensions("12x", "--tile"));
  CHECK(*parse_size_range("64:128", "--size") == std::pair{64, 128});
  CHECK(*parse_size_range("64", "--size") == std::pair{64, 64});
  CHECK_FALSE(parse_size_range("128:64", "--size"));
}

TEST_CASE("parse_fill and parse_edge", "[options]") {
  CHECK(*parse_fill("255,0,7") == Rgba{255, 0, 7, 255});
  CHECK(*parse_fill("1, 2, 3, 4") == Rgba{1, 2, 3, 4});
  CHECK_FALSE(parse_fill("1,2"));
  CHECK_FALSE(parse_fill("1,2,3,4,5"));
  CHECK_FALSE(parse_fill("256,0,0"));
  CHECK(*parse_edge("pad", EdgeOf::kGrid) == EdgePolicy::kPad);
  CHECK(*parse_edge("error", EdgeOf::kRois) == EdgePolicy::kError);
  CHECK_FALSE(parse_edge("error", EdgeOf::kGrid));
  CHECK(*parse_edge("shift", EdgeOf::kGrid) == EdgePolicy::kShift);
  auto shift_for_rois = parse_edge("shift", EdgeOf::kRois);
  REQUIRE_FALSE(shift_for_rois);
  CHECK_THAT(shift_for_rois.error().message, Catch::Contains("error, drop, pad or clip"));
}

TEST_CASE("overlap takes pixels or a percentage of the tile, rounded down as SAHI does",
          "[options]") {
  CHECK(*parse_overlap("20%", 512, 512) == std::pair{102, 102});
  CHECK(*parse_overlap("25%x10%", 256, 320) == std::pair{64, 32});
  CHECK(*parse_overlap("12.5%", 100, 100) == std::pair{12, 12});
  CHECK(*parse_overlap("16x8", 64, 32) == std::pair{16, 8});
  CHECK(*parse_overlap("0%", 64, 64) == std::pair{0, 0});
  for (const char* bad : {"100%", "-5%", "%", "20%%", "abc%", "64", "1e3%"}) {
    CAPTURE(bad);
    auto overlap = parse_overlap(bad, 64, 64);
    REQUIRE_FALSE(overlap);
    CHECK_THAT(overlap.error().message, Catch::Contains("percentage of the tile"));
  }
}

TEST_CASE("grid_from turns --overlap into a stride and refuses both at once", "[options]") {
  PlanArgs args;
  args.tile = "64x32";
  args.overlap = "16x8";
  auto grid = grid_from(args);
  REQUIRE(grid);
  CHECK(grid->stride_x == 48);
  CHECK(grid->stride_y == 24);
  args.stride = "10";
  CHECK_FALSE(grid_from(args));
  args.stride.clear();
  args.overlap = "64";
  CHECK_FALSE(grid_from(args));
}

TEST_CASE("plan_from picks the one plan the options describe", "[options]") {
  test::TempDir dir;
  test::write_text(dir.path() / "boxes.csv", "0,0,8,8\n4,4,8,8,k\n");
  PlanArgs args;
  CHECK_FALSE(plan_from(args).has_value());

  args.count = 3;
  args.size = "8:16";
  REQUIRE(plan_from(args));
  CHECK(std::holds_alternative<RandomSpec>(**plan_from(args)));

  args.tile = "32";
  CHECK_FALSE(*plan_from(args));  // --tile and --count

  args.tile.clear();
  args.rois = dir / "boxes.csv";
  auto both = *plan_from(args);
  REQUIRE_FALSE(both);
  CHECK(both.error().message.find("--rois") != std::string::npos);

  args.count.reset();
  args.edge = "pad";
  args.fill = "9,8,7";
  auto rois = *plan_from(args);
  REQUIRE(rois);
  const auto& list = std::get<RoiListSpec>(*rois);
  CHECK(list.rois.size() == 2);
  CHECK(list.edge == EdgePolicy::kPad);
  CHECK(list.fill == Rgba{9, 8, 7, 255});
}

TEST_CASE("encode_options_from writes JPEG unless -f is given", "[options]") {
  EncodeArgs args;
  CHECK(encode_options_from(args)->format == OutputFormat::kJpeg);
  args.format = "png";
  args.png_filter = "paeth";
  auto png = encode_options_from(args);
  REQUIRE(png);
  CHECK(png->format == OutputFormat::kPng);
  CHECK(png->png.filter == PngFilter::kPaeth);
  args.png_strategy = "zip";
  CHECK_FALSE(encode_options_from(args));
}

TEST_CASE("engine_options_from leaves unset settings to the engine's own defaults", "[options]") {
  RunArgs run;
  CHECK(resolved_settings(engine_options_from(run)) == resolved_settings());
  run.threads = 3;
  run.band_rows = 16;
  const EngineSettings s = resolved_settings(engine_options_from(run));
  CHECK(s.threads == 3);
  CHECK(s.crops_in_flight ==
        3 * resolved_settings(EngineOptions{}).crops_in_flight / resolved_settings().threads);
  CHECK(s.band_rows == 16);
}

}  // namespace
}  // namespace tessera::cli
