#include "profile.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tessera/codecs/formats.hpp"
#include "tessera/codecs/input.hpp"

namespace tessera::cli {
namespace {

using nlohmann::json;

constexpr int kMaxThreads = 1024;
constexpr int kMaxCropsInFlight = 1 << 20;
constexpr int kMaxBandRows = 1 << 16;
constexpr int kMaxJobsInFlight = 256;

Error bad_profile(const std::string& source, const std::string& what) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("profile {}: {}; write a new one with 'tessera tune' or fix the file",
                           source, what)};
}

// Reads an optional whole number in [lo, hi]; a missing member leaves `out` alone.
Status read_int(const json& object, const char* section, const char* name, int lo, int hi, int& out,
                const std::string& source) {
  auto it = object.find(name);
  if (it == object.end()) return {};
  if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
    return bad_profile(source, fmt::format("\"{}.{}\" must be a whole number from {} to {}, not {}",
                                           section, name, lo, hi, it->dump()));
  }
  out = it->get<int>();
  return {};
}

Status read_bool(const json& object, const char* name, std::optional<bool>& out,
                 const std::string& source) {
  auto it = object.find(name);
  if (it == object.end()) return {};
  if (!it->is_boolean())
    return bad_profile(source, fmt::format("\"codec.{}\" must be true or false", name));
  out = it->get<bool>();
  return {};
}

// choices: the codecs' names of the option.
Status read_choice(const json& object, const char* name, const std::vector<std::string>& choices,
                   std::optional<std::string>& out, const std::string& source) {
  auto it = object.find(name);
  if (it == object.end()) return {};
  if (!it->is_string() ||
      std::find(choices.begin(), choices.end(), it->get<std::string>()) == choices.end()) {
    return bad_profile(source, fmt::format("\"codec.{}\" must be one of {}, not {}", name,
                                           fmt::join(choices, ", "), it->dump()));
  }
  out = it->get<std::string>();
  return {};
}

Result<EngineProfile> read_engine(const json& root, const std::string& source) {
  auto it = root.find("engine");
  if (it == root.end() || !it->is_object())
    return bad_profile(source, "it has no \"engine\" object");
  EngineProfile engine;
  for (Status s : {read_int(*it, "engine", "threads", 0, kMaxThreads, engine.threads, source),
                   read_int(*it, "engine", "crops_in_flight", 0, kMaxCropsInFlight,
                            engine.crops_in_flight, source),
                   read_int(*it, "engine", "band_rows", 0, kMaxBandRows, engine.band_rows, source),
                   read_int(*it, "engine", "jobs_in_flight", 0, kMaxJobsInFlight,
                            engine.jobs_in_flight, source)}) {
    if (!s) return std::move(s).error();
  }
  return engine;
}

Result<CodecProfile> read_codec(const json& root, const std::string& source) {
  CodecProfile codec;
  auto it = root.find("codec");
  if (it == root.end() || it->is_null()) return codec;
  if (!it->is_object()) return bad_profile(source, "\"codec\" must be an object");
  int level = -1;
  for (Status s :
       {read_bool(*it, "fast_dct", codec.fast_dct, source),
        read_bool(*it, "optimize", codec.optimize, source),
        read_bool(*it, "progressive", codec.progressive, source),
        read_int(*it, "codec", "png_level", 0, 12, level, source),
        read_choice(*it, "png_filter", png_filter_names(), codec.png_filter, source),
        read_choice(*it, "png_strategy", zlib_strategy_names(), codec.png_strategy, source),
        read_choice(*it, "png_encoder", png_encoder_names(), codec.png_encoder, source)}) {
    if (!s) return std::move(s).error();
  }
  if (level >= 0) codec.png_level = level;
  return codec;
}

std::string origin(bool from_command_line) {
  return from_command_line ? "command line" : "profile";
}

// One engine setting: the profile's value unless the flag was given. 0 means "the engine's
// default", so it is shown that way.
std::string apply_int(const char* label, const char* flag, int profile_value, int& arg,
                      const FlagGiven& given) {
  const bool explicit_flag = given(flag);
  if (!explicit_flag) arg = profile_value;
  const std::string value = arg == 0 ? std::string("auto") : std::to_string(arg);
  return fmt::format("{} {} ({})", label, value, origin(explicit_flag));
}

template <class T>
void apply_codec(const char* label, const char* flag, const std::optional<T>& profile_value, T& arg,
                 const FlagGiven& given, std::vector<std::string>& lines) {
  if (!profile_value) return;
  const bool explicit_flag = given(flag);
  if (!explicit_flag) arg = *profile_value;
  lines.push_back(fmt::format("{} {} ({})", label, arg, origin(explicit_flag)));
}

}  // namespace

Result<Profile> parse_profile(std::string_view text, const std::string& source) {
  const json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object())
    return bad_profile(source, "it is not a JSON object");
  auto version = root.find("tessera_profile");
  if (version == root.end())
    return bad_profile(source, "it has no \"tessera_profile\" member, so it is not a profile");
  if (!version->is_number_integer() || version->get<std::int64_t>() != kProfileVersion) {
    return bad_profile(source,
                       fmt::format("\"tessera_profile\" is {}, but this tessera reads version {}",
                                   version->dump(), kProfileVersion));
  }
  Profile profile;
  auto engine = read_engine(root, source);
  if (!engine) return std::move(engine).error();
  profile.engine = *engine;
  auto codec = read_codec(root, source);
  if (!codec) return std::move(codec).error();
  profile.codec = std::move(codec).value();
  return profile;
}

Result<Profile> load_profile(const std::string& path) {
  auto text = read_text_file(path, "profile");
  if (!text) {
    if (text.error().code == ErrorCode::kTooLarge) return std::move(text).error();
    return Error{ErrorCode::kIo,
                 fmt::format("cannot read the profile {} ({}); check the path, or write one with "
                             "'tessera tune ... -o {}'",
                             path, text.error().message, path)};
  }
  return parse_profile(*text, path);
}

nlohmann::ordered_json engine_json(const EngineProfile& engine) {
  return {{"threads", engine.threads},
          {"crops_in_flight", engine.crops_in_flight},
          {"band_rows", engine.band_rows},
          {"jobs_in_flight", engine.jobs_in_flight}};
}

nlohmann::ordered_json codec_json(const CodecProfile& codec) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (codec.fast_dct) out["fast_dct"] = *codec.fast_dct;
  if (codec.optimize) out["optimize"] = *codec.optimize;
  if (codec.progressive) out["progressive"] = *codec.progressive;
  if (codec.png_level) out["png_level"] = *codec.png_level;
  if (codec.png_filter) out["png_filter"] = *codec.png_filter;
  if (codec.png_strategy) out["png_strategy"] = *codec.png_strategy;
  if (codec.png_encoder) out["png_encoder"] = *codec.png_encoder;
  return out;
}

std::vector<std::string> apply_profile(const Profile& profile, CommonArgs& args,
                                       const FlagGiven& given) {
  RunArgs& run = args.run;
  std::vector<std::string> lines = {
      apply_int("threads", "--threads", profile.engine.threads, run.threads, given),
      apply_int("crops_in_flight", "--crops-in-flight", profile.engine.crops_in_flight,
                run.crops_in_flight, given),
      apply_int("band_rows", "--band-rows", profile.engine.band_rows, run.band_rows, given),
      apply_int("jobs_in_flight", "--jobs-in-flight", profile.engine.jobs_in_flight,
                run.jobs_in_flight, given),
  };
  EncodeArgs& encode = args.encode;
  const CodecProfile& codec = profile.codec;
  apply_codec("fast_dct", "--fast-dct", codec.fast_dct, encode.fast_dct, given, lines);
  apply_codec("optimize", "--optimize", codec.optimize, encode.optimize, given, lines);
  apply_codec("progressive", "--progressive", codec.progressive, encode.progressive, given, lines);
  apply_codec("png_level", "--png-level", codec.png_level, encode.png_level, given, lines);
  apply_codec("png_filter", "--png-filter", codec.png_filter, encode.png_filter, given, lines);
  apply_codec("png_strategy", "--png-strategy", codec.png_strategy, encode.png_strategy, given,
              lines);
  apply_codec("png_encoder", "--png-encoder", codec.png_encoder, encode.png_encoder, given, lines);
  return lines;
}

}  // namespace tessera::cli
