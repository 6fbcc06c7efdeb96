// tune's parsers and arithmetic as units: durations, timing summaries and noise, and the codec
// settings it may try.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

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

TEST_CASE("codec_choices change one setting at a time, JPEG's only when lossy changes are allowed",
          "[tune]") {
  EncodeArgs base;
  CHECK(codec_choices(base, OutputFormat::kJpeg, false).size() == 1);
  const auto jpeg = codec_choices(base, OutputFormat::kJpeg, true);
  REQUIRE(jpeg.size() == 4);
  CHECK(jpeg[0].change.empty());
  CHECK(jpeg[1].label == "fast DCT on");
  CHECK(with_codec(base, jpeg[1].change).fast_dct);
  CHECK(codec_choices(base, OutputFormat::kRaw, true).size() == 1);
}

TEST_CASE("PNG settings are lossless, so tune tries them without --allow-lossy-changes", "[tune]") {
  EncodeArgs base;  // libdeflate, level 6, adaptive filter
  for (bool allow_lossy : {false, true}) {
    const auto png = codec_choices(base, OutputFormat::kPng, allow_lossy);
    REQUIRE(png.size() > 1);
    CHECK(png[0].change.empty());
    std::set<std::string> labels;
    for (std::size_t i = 1; i < png.size(); ++i) {
      const CodecProfile& change = png[i].change;
      labels.insert(png[i].label);
      CHECK_FALSE(change.fast_dct);
      CHECK_FALSE(change.optimize);
      CHECK_FALSE(change.progressive);
      // libdeflate has no zlib strategies: none is offered unless the encoder changes too.
      if (change.png_strategy) {
        CHECK(change.png_encoder == std::optional<std::string>("libspng"));
      }
      // Every choice is a valid setting.
      EncodeArgs args = with_codec(base, change);
      args.format = "png";
      auto options = encode_options_from(args);
      INFO(png[i].label);
      CHECK(options.ok());
    }
    for (const char* expected : {"PNG encoder libspng", "PNG level 1", "PNG level 9",
                                 "PNG filter none", "PNG filter paeth"}) {
      CHECK(labels.count(expected) == 1);
    }
    CHECK(labels.count("PNG level 6") == 0);  // the user's own level is not a change
  }
  EncodeArgs libspng = base;
  libspng.png_encoder = "libspng";
  const auto spng_choices = codec_choices(libspng, OutputFormat::kPng, false);
  bool saw_strategy = false;
  for (const CodecChoice& c : spng_choices) saw_strategy = saw_strategy || c.change.png_strategy;
  CHECK(saw_strategy);
  const CodecProfile all = codec_settings(base, OutputFormat::kPng);
  CHECK(all.png_level == base.png_level);
  CHECK(all.png_encoder == std::optional<std::string>("libdeflate"));
  CHECK_FALSE(all.fast_dct);
}

TEST_CASE("two codec choices combine when they touch different settings", "[tune]") {
  CodecChoice level{"PNG level 2", {}};
  level.change.png_level = 2;
  CodecChoice filter{"PNG filter sub", {}};
  filter.change.png_filter = "sub";
  CodecChoice encoder{"PNG encoder libspng", {}};
  encoder.change.png_encoder = "libspng";
  encoder.change.png_level = 6;
  CHECK_FALSE(overlaps(level.change, filter.change));
  CHECK(overlaps(level.change, encoder.change));
  const CodecChoice both = combined(level, filter);
  CHECK(both.label == "PNG level 2 + PNG filter sub");
  const EncodeArgs args = with_codec(EncodeArgs{}, both.change);
  CHECK(args.png_level == 2);
  CHECK(args.png_filter == "sub");
  CHECK(args.png_encoder == "libdeflate");
}

}  // namespace
}  // namespace tessera::cli
