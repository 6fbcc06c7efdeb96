// Tuning profiles: the JSON file `tessera tune` writes and `--profile FILE` reads. A profile
// only supplies defaults: a flag given on the command line always wins over it.
// Reading a profile never runs anything; a bad file is an error that names the file and the field.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"

namespace tessera::cli {

inline constexpr int kProfileVersion = 1;

struct EngineProfile {
  int threads = 0;          // 0: every core
  int crops_in_flight = 0;  // 0: the engine's default
  int band_rows = 0;        // 0: the engine's default
  int jobs_in_flight = 0;   // 0: the engine's default
};

// Codec settings a profile may change; each one is optional so a profile can leave it alone.
struct CodecProfile {
  std::optional<bool> fast_dct;
  std::optional<bool> optimize;
  std::optional<bool> progressive;
  std::optional<int> png_level;
  std::optional<std::string> png_filter;    // a name from png_filter_names()
  std::optional<std::string> png_strategy;  // a name from zlib_strategy_names()
  std::optional<std::string> png_encoder;   // a name from png_encoder_names()
  bool empty() const noexcept {
    return !fast_dct && !optimize && !progressive && !png_level && !png_filter && !png_strategy &&
           !png_encoder;
  }
};

struct Profile {
  EngineProfile engine;
  CodecProfile codec;
};

// `source` names the file in error messages.
Result<Profile> parse_profile(std::string_view text, const std::string& source);
Result<Profile> load_profile(const std::string& path);

// The "engine" and "codec" members of a profile file.
nlohmann::ordered_json engine_json(const EngineProfile& engine);
nlohmann::ordered_json codec_json(const CodecProfile& codec);

// Asks whether the user typed an option (e.g. "--threads") on the command line.
using FlagGiven = std::function<bool(std::string_view option)>;

// Copies the profile's settings into `args` wherever the flag was not given, and returns one
// line per setting saying where its value came from, e.g. "threads 2 (command line)".
std::vector<std::string> apply_profile(const Profile& profile, CommonArgs& args,
                                       const FlagGiven& given);

}  // namespace tessera::cli
