#include "tessera/engine/pyramid.hpp"

#include <chrono>

#include <fmt/format.h>

#include "posix_io.hpp"
#include "pyramid_container.hpp"
#include "pyramid_geometry.hpp"
#include "pyramid_run.hpp"
#include "pyramid_viewer.hpp"

namespace tessera {
namespace {

constexpr int kMaxTileSize = 8192;

PyramidOptions with_defaults(PyramidOptions options) {
  const bool deepzoom = options.layout == PyramidLayout::kDeepZoom;
  if (options.tile_size == 0) options.tile_size = deepzoom ? 254 : 512;
  if (options.overlap < 0) options.overlap = deepzoom ? 1 : 0;
  return options;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// What -o names: the path without a trailing '/' or ".zip", and the pyramid's name, its last
// component.
struct OutputName {
  std::string base;
  std::string name;
  bool zip = false;
};

Result<OutputName> output_name(const std::string& output) {
  OutputName out;
  out.base = output;
  while (out.base.size() > 1 && out.base.back() == '/') out.base.pop_back();
  out.zip = ends_with(out.base, ".zip");
  if (out.zip) out.base.resize(out.base.size() - 4);
  out.name = std::string(detail::split_path(out.base).name);
  if (out.name.empty() || out.name == "." || out.name == "..") {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("-o {} does not name a pyramid; give a name such as -o out/scan "
                             "(writes scan.dzi and scan_files/) or -o scan.zip",
                             output.empty() ? "\"\"" : output)};
  }
  return out;
}

detail::ContainerPlan container_plan(const PyramidOptions& options, const OutputName& out) {
  detail::ContainerPlan plan;
  plan.overwrite = options.overwrite;
  const std::string directory(detail::split_path(out.base).directory);
  plan.lock_path = fmt::format("{}.{}.tessera.lock", directory, out.name);
  if (out.zip) {
    plan.zip = true;
    plan.outputs = {out.base + ".zip"};
    plan.zip_prefix = out.name + "/";
  } else if (options.layout == PyramidLayout::kDeepZoom && options.viewer_assets.empty()) {
    // The descriptor last: a viewer that finds NAME.dzi finds every tile.
    plan.outputs = {out.base + "_files", out.base + ".dzi"};
    plan.root_is_output = false;
  } else {
    plan.outputs = {out.base};
  }
  return plan;
}

Status add_text(detail::PyramidContainer& container, const std::string& path,
                const std::string& text) {
  return container.add(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// The descriptor and, when asked for, the viewer: written after the tiles.
Status add_descriptors(detail::PyramidContainer& container, const detail::PyramidGeometry& geometry,
                       const PyramidOptions& options, const std::string& name) {
  const char* extension = file_extension(options.encode.format);
  switch (options.layout) {
    case PyramidLayout::kDeepZoom:
      // Present even when --skip-blank left every tile out.
      if (Status s = container.add_directory(name + "_files"); !s) return s;
      if (Status s =
              add_text(container, name + ".dzi", detail::deepzoom_descriptor(geometry, extension));
          !s)
        return s;
      break;
    case PyramidLayout::kIiif3:
      if (Status s = add_text(container, "info.json",
                              detail::iiif_info(geometry, options.iiif_id + "/" + name));
          !s)
        return s;
      break;
  }
  if (options.viewer_assets.empty()) return {};
  if (Status s = detail::add_viewer_assets(container, options.viewer_assets); !s) return s;
  return add_text(container, "index.html", detail::viewer_page(geometry, name, extension));
}

Error named(const std::string& source, Error error) {
  error.message = fmt::format("{}: {}", source, error.message);
  return error;
}

}  // namespace

const char* to_string(PyramidLayout layout) noexcept {
  switch (layout) {
    case PyramidLayout::kDeepZoom: return "dz";
    case PyramidLayout::kIiif3: return "iiif";
  }
  return "?";
}

Status validate(const PyramidOptions& given) {
  const PyramidOptions options = with_defaults(given);
  if (options.tile_size < 1 || options.tile_size > kMaxTileSize) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("--tile-size {} is out of range; use 1 to {}", options.tile_size,
                             kMaxTileSize)};
  }
  if (options.overlap > options.tile_size) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("--overlap {} is larger than the tile size {}; use at most {}",
                             options.overlap, options.tile_size, options.tile_size)};
  }
  if (options.layout == PyramidLayout::kIiif3 && options.overlap != 0) {
    return Error{ErrorCode::kInvalidArgument,
                 "IIIF tiles have no overlap; drop --overlap or use --layout dz"};
  }
  auto out = output_name(options.output);
  if (!out) return std::move(out).error();
  if (out->zip && !options.viewer_assets.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "--viewer writes a directory that a browser opens; it cannot go into a .zip "
                 "(drop --viewer or write to a directory)"};
  }
  if (!options.viewer_assets.empty()) {
    if (Status s = detail::check_viewer_assets(options.viewer_assets); !s) return s;
  }
  return validate(options.encode);
}

Result<PyramidStats> write_pyramid(InputBytes input, const PyramidOptions& given,
                                   const EngineOptions& engine) {
  const auto start = std::chrono::steady_clock::now();
  const PyramidOptions options = with_defaults(given);
  if (Status s = validate(options); !s) return std::move(s).error();
  if (Status s = validate(engine); !s) return std::move(s).error();
  const std::string source = input.name();
  auto decoder = open_decoder(std::move(input), engine.decode);
  if (!decoder) return std::move(decoder).error();
  const ImageHeader header = (*decoder)->header();

  const EngineSettings settings = resolved_settings(engine);
  const detail::PyramidGeometry geometry(options.layout, header.width, header.height,
                                         options.tile_size, options.overlap);
  // A decoder that cannot stream delivers the whole image in one step.
  const int band_rows = header.streamable ? settings.band_rows : header.height;
  detail::PyramidRun run(geometry, {band_rows, settings.crops_in_flight});
  run.format = header.format;
  run.encode = options.encode;
  run.skip_blank = options.skip_blank;
  run.cancel = engine.cancel;
  run.decoder = std::move(decoder).value();
  run.reorder.resize(static_cast<std::size_t>(settings.crops_in_flight));

  PyramidStats stats;
  const std::vector<int> rows = run.scheduler.window_rows();
  for (int k = 0; k < geometry.level_count(); ++k) {
    const detail::PyramidLevel& level = geometry.level(k);
    auto window = detail::BandWindow::create(
        static_cast<std::size_t>(level.width) * static_cast<std::size_t>(channel_count(run.format)),
        rows[static_cast<std::size_t>(k)]);
    if (!window) return named(source, std::move(window).error());
    stats.peak_window_bytes += window->bytes();
    run.windows.push_back(std::move(window).value());
  }

  auto out = output_name(options.output);
  if (!out) return std::move(out).error();
  run.name = out->name;
  auto container = detail::open_container(container_plan(options, *out));
  if (!container) return std::move(container).error();
  run.container = container->get();

  detail::run_pyramid_graph(run, settings.threads);

  stats.levels = geometry.level_count();
  stats.width = header.width;
  stats.height = header.height;
  stats.tiles = run.tiles;
  stats.tiles_skipped = run.skipped;
  stats.bytes_out = run.bytes_out;
  stats.decode_s = run.decode_s;
  stats.shrink_s = run.shrink_s;
  stats.encode_cpu_s = static_cast<double>(run.encode_ns.load()) * 1e-9;
  stats.cancelled = engine.cancel != nullptr && engine.cancel->load();

  if (auto failure = run.failure()) {
    (*container)->abort();
    return named(source, std::move(*failure));
  }
  if (stats.cancelled || !run.scheduler.complete()) {
    (*container)->abort();
    return Error{
        ErrorCode::kCancelled,
        fmt::format("{}: stopped before the pyramid was complete; nothing was written", source)};
  }
  if (Status s = add_descriptors(**container, geometry, options, out->name); !s) {
    (*container)->abort();
    return std::move(s).error();
  }
  if (Status s = (*container)->commit(); !s) {
    (*container)->abort();
    return std::move(s).error();
  }
  stats.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace tessera
