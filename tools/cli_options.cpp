#include "cli_options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "tessera/codecs/formats.hpp"

namespace tessera::cli {
namespace {

Error usage(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<int> parse_positive(std::string_view text) {
  auto value = parse_number<int>(text);
  if (!value || *value <= 0) return std::nullopt;
  return value;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// Multipliers for byte units; the empty unit and "b" mean bytes.
std::optional<std::uint64_t> byte_unit(const std::string& unit) {
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1},
      {"b", 1},
      {"kb", 1000},
      {"mb", 1000'000},
      {"gb", 1000'000'000},
      {"tb", 1000'000'000'000},
      {"k", 1000},
      {"m", 1000'000},
      {"g", 1000'000'000},
      {"t", 1000'000'000'000},
      {"kib", 1ull << 10},
      {"mib", 1ull << 20},
      {"gib", 1ull << 30},
      {"tib", 1ull << 40},
  };
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return factor;
  }
  return std::nullopt;
}

// "A" or "A<sep>B" with two positive numbers; a lone A stands for both.
std::optional<std::pair<int, int>> parse_positive_pair(std::string_view text,
                                                       std::string_view separators) {
  const auto at = text.find_first_of(separators);
  const std::string_view first = text.substr(0, at);
  const std::string_view second = at == std::string_view::npos ? first : text.substr(at + 1);
  const auto a = parse_positive(first);
  const auto b = parse_positive(second);
  if (!a || !b) return std::nullopt;
  return std::pair{*a, *b};
}

}  // namespace

Result<std::pair<int, int>> parse_dimensions(const std::string& text, const std::string& option) {
  const auto size = parse_positive_pair(text, "xX");
  if (!size) {
    return usage(
        fmt::format("{} \"{}\" is not a size; write a positive number of pixels such as 256, "
                    "or WIDTHxHEIGHT such as 256x128",
                    option, text));
  }
  return *size;
}

Result<std::pair<int, int>> parse_size_range(const std::string& text, const std::string& option) {
  const auto range = parse_positive_pair(text, ":");
  if (!range || range->first > range->second) {
    return usage(
        fmt::format("{} \"{}\" is not a size range; write MIN or MIN:MAX in pixels with "
                    "0 < MIN <= MAX, such as 64:128",
                    option, text));
  }
  return *range;
}

Result<Rgba> parse_fill(const std::string& text) {
  Rgba fill = {0, 0, 0, 255};
  std::size_t count = 0;
  std::string_view rest = text;
  bool ok = !text.empty();
  while (ok && !rest.empty()) {
    const auto comma = rest.find(',');
    auto value = parse_number<int>(trim(rest.substr(0, comma)));
    ok = value && *value >= 0 && *value <= 255 && count < 4;
    if (ok) fill[count++] = static_cast<std::uint8_t>(*value);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (!ok || count < 3) {
    return usage(
        fmt::format("--fill \"{}\" is not a colour; write R,G,B or R,G,B,A with values "
                    "0..255, such as 255,255,255",
                    text));
  }
  return fill;
}

Result<EdgePolicy> parse_edge(const std::string& text, EdgeOf plan) {
  const bool grid = plan == EdgeOf::kGrid;
  if (text == "drop") return EdgePolicy::kDrop;
  if (text == "pad") return EdgePolicy::kPad;
  if (text == "clip") return EdgePolicy::kClip;
  if (text == "shift" && grid) return EdgePolicy::kShift;
  if (text == "error" && !grid) return EdgePolicy::kError;
  return usage(fmt::format("--edge \"{}\" is not an edge policy for {}; use {}", text,
                           grid ? "grid tiles" : "ROI lists",
                           grid ? "drop, pad, clip or shift" : "error, drop, pad or clip"));
}

namespace {

// One axis of --overlap: pixels, or a percentage of the tile taken as SAHI does,
// int(ratio * tile), so that "20%" of 512 is 102.
std::optional<int> overlap_pixels(std::string_view text, int tile) {
  if (!text.ends_with('%')) return parse_number<int>(text);
  text.remove_suffix(1);
  const auto percent = parse_number<double>(text);
  if (!percent || !(*percent >= 0 && *percent < 100)) return std::nullopt;
  return static_cast<int>(*percent / 100.0 * tile);
}

}  // namespace

Result<std::pair<int, int>> parse_overlap(const std::string& text, int tile_width,
                                          int tile_height) {
  const auto x = text.find_first_of("xX");
  const std::string_view first = std::string_view(text).substr(0, x);
  const std::string_view second =
      x == std::string::npos ? first : std::string_view(text).substr(x + 1);
  const auto ox = overlap_pixels(first, tile_width);
  const auto oy = overlap_pixels(second, tile_height);
  if (!ox || !oy || *ox < 0 || *oy < 0 || *ox >= tile_width || *oy >= tile_height) {
    return usage(
        fmt::format("--overlap \"{}\" must be O or OXxOY pixels, at least 0 and smaller than the "
                    "tile ({}x{}), or a percentage of the tile below 100, such as 20% or 25%x10%",
                    text, tile_width, tile_height));
  }
  return std::pair{*ox, *oy};
}

Result<ShardLimit> parse_shard_size(const std::string& text) {
  const std::string_view spec = trim(text);
  std::size_t digits = 0;
  while (digits < spec.size() && std::isdigit(static_cast<unsigned char>(spec[digits]))) ++digits;
  const auto number = parse_number<std::uint64_t>(spec.substr(0, digits));
  const std::string unit = lower(trim(spec.substr(digits)));
  ShardLimit limit;
  if (number && *number > 0) {
    if (unit == "samples" || unit == "sample") {
      limit.samples = *number;
      return limit;
    }
    if (auto factor = byte_unit(unit);
        factor && *number <= std::numeric_limits<std::uint64_t>::max() / *factor) {
      limit.bytes = *number * *factor;
      return limit;
    }
  }
  return usage(
      fmt::format("--shard-size \"{}\" is not a shard size; write bytes with an optional unit "
                  "(500MB, 1GB, 64KiB; KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024) "
                  "or a sample count such as 10000samples",
                  text));
}

Result<GridSpec> grid_from(const PlanArgs& args) {
  if (args.tile.empty())
    return usage("a grid needs --tile; for example --tile 256 or --tile 512x256");
  GridSpec grid;
  auto tile = parse_dimensions(args.tile, "--tile");
  if (!tile) return std::move(tile).error();
  std::tie(grid.tile_width, grid.tile_height) = *tile;
  if (!args.stride.empty() && !args.overlap.empty()) {
    return usage("--stride and --overlap say the same thing in two ways; give only one of them");
  }
  if (!args.stride.empty()) {
    auto stride = parse_dimensions(args.stride, "--stride");
    if (!stride) return std::move(stride).error();
    std::tie(grid.stride_x, grid.stride_y) = *stride;
  }
  if (!args.overlap.empty()) {
    auto overlap = parse_overlap(args.overlap, grid.tile_width, grid.tile_height);
    if (!overlap) return std::move(overlap).error();
    grid.stride_x = grid.tile_width - overlap->first;
    grid.stride_y = grid.tile_height - overlap->second;
  }
  if (!args.edge.empty()) {
    auto edge = parse_edge(args.edge, EdgeOf::kGrid);
    if (!edge) return std::move(edge).error();
    grid.edge = *edge;
  }
  if (!args.fill.empty()) {
    auto fill = parse_fill(args.fill);
    if (!fill) return std::move(fill).error();
    grid.fill = *fill;
  }
  return grid;
}

Result<RandomSpec> random_from(const PlanArgs& args) {
  if (!args.count || args.size.empty()) {
    return usage(
        "random crops need --count and --size; for example --count 100 --size 64:128 --seed 7");
  }
  auto size = parse_size_range(args.size, "--size");
  if (!size) return std::move(size).error();
  return RandomSpec{*args.count, size->first, size->second, args.seed};
}

Result<RoiListSpec> rois_from(const PlanArgs& args) {
  auto rois = load_roi_file(args.rois);
  if (!rois) return std::move(rois).error();
  if (!args.edge.empty()) {
    auto edge = parse_edge(args.edge, EdgeOf::kRois);
    if (!edge) return std::move(edge).error();
    rois->edge = *edge;
  }
  if (!args.fill.empty()) {
    auto fill = parse_fill(args.fill);
    if (!fill) return std::move(fill).error();
    rois->fill = *fill;
  }
  return rois;
}

std::optional<Result<PlanSpec>> plan_from(const PlanArgs& args) {
  if (!args.rois.empty()) {
    if (!args.tile.empty() || args.count) {
      return Result<PlanSpec>(
          usage("--rois and --tile/--count ask for two different plans; give only one"));
    }
    auto rois = rois_from(args);
    if (!rois) return Result<PlanSpec>(std::move(rois).error());
    return Result<PlanSpec>(PlanSpec(std::move(rois).value()));
  }
  if (!args.tile.empty() && args.count) {
    return Result<PlanSpec>(usage("--tile and --count ask for two different plans; give only one"));
  }
  if (!args.tile.empty()) {
    auto grid = grid_from(args);
    if (!grid) return Result<PlanSpec>(std::move(grid).error());
    return Result<PlanSpec>(PlanSpec(*grid));
  }
  if (args.count) {
    auto random = random_from(args);
    if (!random) return Result<PlanSpec>(std::move(random).error());
    return Result<PlanSpec>(PlanSpec(*random));
  }
  return std::nullopt;
}

namespace {

// Option names are the codecs' own; an error names the flag, then what codecs says is valid.
template <class T>
Status parse_into(Result<T> parsed, const char* flag, T& out) {
  if (!parsed) return usage(fmt::format("{} {}", flag, parsed.error().message));
  out = *parsed;
  return {};
}

}  // namespace

Result<EncodeOptions> encode_options_from(const EncodeArgs& args) {
  EncodeOptions options;  // its format, JPEG, is the run's unless -f says otherwise
  options.jpeg.quality = args.quality;
  options.jpeg.fast_dct = args.fast_dct;
  options.jpeg.progressive = args.progressive;
  options.jpeg.optimize_huffman = args.optimize;
  options.png.compression_level = args.png_level;
  for (Status s :
       {args.format.empty() ? Status()
                            : parse_into(parse_output_format(args.format), "-f", options.format),
        parse_into(parse_jpeg_subsampling(args.subsampling), "--subsampling",
                   options.jpeg.subsampling),
        parse_into(parse_png_filter(args.png_filter), "--png-filter", options.png.filter),
        parse_into(parse_zlib_strategy(args.png_strategy), "--png-strategy", options.png.strategy),
        parse_into(parse_png_encoder(args.png_encoder), "--png-encoder", options.png.encoder)}) {
    if (!s) return std::move(s).error();
  }
  if (Status valid = validate(options); !valid) return std::move(valid).error();
  return options;
}

LosslessMode lossless_mode(const EncodeArgs& args) {
  if (args.lossless.empty()) return LosslessMode::kOff;
  return args.lossless == "auto" ? LosslessMode::kAuto : LosslessMode::kOn;
}

EngineOptions engine_options_from(const RunArgs& args) {
  EngineOptions options;
  options.threads = args.threads;
  options.crops_in_flight = args.crops_in_flight;
  options.band_rows = args.band_rows;
  if (args.jobs_in_flight > 0) options.jobs_in_flight = args.jobs_in_flight;
  options.decode.max_pixels = args.max_pixels;
  options.decode.allow_truncated = args.allow_truncated;
  options.decode.page = args.page;
  options.plan_limits.max_crops = args.max_crops;
  options.plan_limits.max_crop_pixels = args.max_crop_pixels;
  return options;
}

}  // namespace tessera::cli
