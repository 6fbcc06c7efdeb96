#include "pyramid_command.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "report.hpp"
#include "signals.hpp"
#include "tessera/engine/pyramid.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kScript = "build/openseadragon/openseadragon.min.js";

int usage_error(const std::string& message) {
  fmt::print(stderr, "tessera pyramid: {}\nRun 'tessera pyramid --help' for usage and examples.\n",
             message);
  return kExitUsage;
}

fs::path executable_directory() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path() : self.parent_path();
}

Result<PyramidLayout> parse_layout(const std::string& text) {
  if (text == "dz") return PyramidLayout::kDeepZoom;
  if (text == "iiif") return PyramidLayout::kIiif3;
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("--layout {} is not a layout; use dz or iiif", text)};
}

// What the user reads: where it went, and how big and fast it was.
std::string describe_output(const PyramidOptions& options) {
  std::string base = options.output;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base.ends_with(".zip")) return base;
  if (!options.viewer_assets.empty()) return fmt::format("{}/index.html", base);
  if (options.layout == PyramidLayout::kDeepZoom) {
    return fmt::format("{}.dzi and {}_files/", base, base);
  }
  return fmt::format("{}/info.json", base);
}

void print_summary(const PyramidArgs& args, const PyramidOptions& options,
                   const PyramidStats& stats) {
  constexpr double kMega = 1e6;
  if (args.run.json) {
    nlohmann::json out = {{"status", "ok"},
                          {"input", args.input},
                          {"output", describe_output(options)},
                          {"layout", to_string(options.layout)},
                          {"width", stats.width},
                          {"height", stats.height},
                          {"levels", stats.levels},
                          {"tiles", stats.tiles},
                          {"skipped", stats.tiles_skipped},
                          {"bytes_out", stats.bytes_out},
                          {"wall_s", stats.wall_s},
                          {"decode_s", stats.decode_s},
                          {"shrink_s", stats.shrink_s},
                          {"encode_cpu_s", stats.encode_cpu_s},
                          {"peak_rss_mb", peak_rss_mb()},
                          {"peak_window_mb", static_cast<double>(stats.peak_window_bytes) / kMega}};
    fmt::print("{}\n", out.dump());
    return;
  }
  if (args.run.quiet) return;
  fmt::print(
      "pyramid: {} {}x{}: {} levels, {} tiles ({} blank skipped), {:.1f} MB in {:.2f} s\n"
      "  decode {:.2f} s, shrink {:.2f} s, encode {:.2f} s CPU; peak RSS {:.1f} MB, "
      "windows {:.1f} MB\n"
      "  output: {}\n",
      args.input, stats.width, stats.height, stats.levels, stats.tiles, stats.tiles_skipped,
      static_cast<double>(stats.bytes_out) / kMega, stats.wall_s, stats.decode_s, stats.shrink_s,
      stats.encode_cpu_s, peak_rss_mb(), static_cast<double>(stats.peak_window_bytes) / kMega,
      describe_output(options));
}

}  // namespace

Result<std::string> find_openseadragon() {
  if (const char* given = std::getenv("TESSERA_OPENSEADRAGON"); given != nullptr && *given) {
    return std::string(given);  // checked by the engine, which names it in the error
  }
  std::vector<fs::path> tried;
  const fs::path installed = executable_directory() / ".." / "share" / "tessera" / "openseadragon";
  tried.push_back(installed);
  tried.emplace_back(TESSERA_OPENSEADRAGON_BUILD_DIR);
  std::error_code error;
  for (const fs::path& place : tried) {
    if (fs::is_regular_file(place / kScript, error)) return place.lexically_normal().string();
  }
  std::string places;
  for (const fs::path& place : tried) places += "\n  " + place.lexically_normal().string();
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("--viewer needs OpenSeadragon, which is not installed; looked in:{}\n"
                           "Run scripts/setup.sh (it runs npm install openseadragon into "
                           "build/npm), or set TESSERA_OPENSEADRAGON to the directory of an "
                           "'npm install openseadragon' (node_modules/openseadragon)",
                           places)};
}

int run_pyramid(const PyramidArgs& args) {
  PyramidOptions options;
  auto layout = parse_layout(args.layout);
  if (!layout) return usage_error(layout.error().message);
  options.layout = *layout;
  options.tile_size = args.tile_size;
  options.overlap = args.overlap;
  options.skip_blank = args.run.skip_blank;
  options.output = args.out;
  options.overwrite = args.overwrite;
  options.iiif_id = args.iiif_id;
  if (args.viewer) {
    auto assets = find_openseadragon();
    if (!assets) return usage_error(assets.error().message);
    options.viewer_assets = *assets;
  }

  auto input = args.input == "-" ? InputBytes::open_stdin() : InputBytes::open_file(args.input);
  if (!input) {
    fmt::print(stderr, "tessera pyramid: {}\n", input.error().message);
    return kExitFailed;
  }
  auto encode = encode_options_from(args.encode);
  if (!encode) return usage_error(encode.error().message);
  options.encode = *encode;
  if (Status s = validate(options); !s) return usage_error(s.error().message);

  EngineOptions engine = engine_options_from(args.run);
  engine.cancel = &install_interrupt_handlers();
  auto stats = write_pyramid(std::move(input).value(), options, engine);
  if (!stats) {
    if (stats.error().code == ErrorCode::kCancelled) {
      fmt::print(stderr, "tessera pyramid: interrupted: {}\n", stats.error().message);
      return kExitInterrupted;
    }
    fmt::print(stderr, "tessera pyramid: {}\n", stats.error().message);
    return stats.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailed;
  }
  print_summary(args, options, *stats);
  return kExitOk;
}

}  // namespace tessera::cli
