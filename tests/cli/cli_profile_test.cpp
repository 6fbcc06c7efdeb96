// Profiles as units: what --profile accepts, and that a flag typed on the command line wins.
#include <catch2/catch.hpp>

#include "profile.hpp"

namespace tessera::cli {
namespace {

constexpr const char* kProfile = R"({"tessera_profile": 1,
  "engine": {"threads": 3, "crops_in_flight": 12, "band_rows": 32, "jobs_in_flight": 1},
  "codec": {"fast_dct": true, "png_filter": "paeth"}})";

TEST_CASE("parse_profile reads the engine and codec settings", "[profile]") {
  auto profile = parse_profile(kProfile, "p.json");
  REQUIRE(profile);
  CHECK(profile->engine.threads == 3);
  CHECK(profile->engine.crops_in_flight == 12);
  CHECK(profile->engine.band_rows == 32);
  CHECK(profile->engine.jobs_in_flight == 1);
  CHECK(profile->codec.fast_dct == true);
  CHECK(profile->codec.png_filter == "paeth");
  CHECK_FALSE(profile->codec.optimize);
}

TEST_CASE("parse_profile names the file and the field it refuses", "[profile]") {
  for (const char* bad :
       {"not json", "{}", R"({"engine": {"threads": -1}})", R"({"engine": {}, "codec": 3})",
        R"({"engine": {}, "codec": {"png_filter": "zigzag"}})"}) {
    INFO(bad);
    auto profile = parse_profile(bad, "p.json");
    REQUIRE_FALSE(profile);
    CHECK(profile.error().message.find("p.json") != std::string::npos);
  }
}

TEST_CASE("apply_profile fills what the command line left out", "[profile]") {
  auto profile = parse_profile(kProfile, "p.json");
  REQUIRE(profile);
  CommonArgs args;
  args.run.threads = 7;
  const auto lines =
      apply_profile(*profile, args, [](std::string_view flag) { return flag == "--threads"; });
  CHECK(args.run.threads == 7);
  CHECK(args.run.crops_in_flight == 12);
  CHECK(args.run.band_rows == 32);
  CHECK(args.encode.fast_dct);
  CHECK(args.encode.png_filter == "paeth");
  CHECK_FALSE(lines.empty());
}

}  // namespace
}  // namespace tessera::cli
