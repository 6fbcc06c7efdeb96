// tune's parsers and arithmetic as units: durations, timing summaries and noise, and the codec
// settings it may try.
#include <catch2/catch.hpp>

#include <cmath>

#include "tune.hpp"
#include "tune_codecs.hpp"
#include "tune_search.hpp"

namespace tessera::cli {
namespace {

TEST_CASE("parse_duration reads seconds, minutes and hours", "[tune]") {
  CHECK(*parse_duration("90", "--time") == 90.0);
  CHECK(*parse_duration("30s", "--time") == 30.0);
  CHECK(*parse_duration("1.5m", "--time") == 90.0);
  CHECK(*parse_duration("2min", "--time") == 120.0);
  CHECK(*parse_duration("1h", "--time") == 3600.0);
  for (const char* bad : {"", "0", "-5s", "5d", "s", "nan", "inf"}) {
    INFO(bad);
    auto d = parse_duration(bad, "--time");
    REQUIRE_FALSE(d);
    CHECK(d.error().message.find("--time") != std::string::npos);
  }
}

TEST_CASE("summarize gives median, range and median absolute deviation", "[tune]") {
  const Summary odd = summarize({5, 1, 3});
  CHECK(odd.median == 3);
  CHECK(odd.min == 1);
  CHECK(odd.max == 5);
  CHECK(odd.mad == 2);
  CHECK(summarize({1, 2, 3, 10}).median == 2.5);
  CHECK(summarize({}).median == 0);
}

TEST_CASE("noise_between never falls below 2% of the reference", "[tune]") {
  const Timing tight = timing_of({1.0, 1.0, 1.0});
  CHECK(noise_between(tight, tight) == Approx(0.02));
  const Timing loose = timing_of({1.0, 1.1, 1.3});
  CHECK(noise_between(tight, loose) == Approx(0.3));
  CHECK(loose.runs.size() == 3);
}

TEST_CASE("codec_choices change one setting at a time, and none unless lossy changes are allowed",
          "[tune]") {
  EncodeArgs base;
  CHECK(codec_choices(base, OutputFormat::kJpeg, false).size() == 1);
  const auto jpeg = codec_choices(base, OutputFormat::kJpeg, true);
  REQUIRE(jpeg.size() == 4);
  CHECK(jpeg[0].change.empty());
  CHECK(jpeg[1].label == "fast DCT on");
  CHECK(with_codec(base, jpeg[1].change).fast_dct);
  const auto png = codec_choices(base, OutputFormat::kPng, true);
  for (std::size_t i = 1; i < png.size(); ++i) {
    CHECK_FALSE(png[i].change.fast_dct);
    CHECK(png[i].change.png_level != std::optional<int>(base.png_level));
  }
  const CodecProfile all = codec_settings(base, OutputFormat::kPng);
  CHECK(all.png_level == base.png_level);
  CHECK_FALSE(all.fast_dct);
}

}  // namespace
}  // namespace tessera::cli
