#include "options.hpp"

#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "errors.hpp"
#include "tessera/codecs/formats.hpp"

namespace tessera::python {
namespace py = pybind11;

namespace {

std::string type_name(const py::handle& object) {
  return py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>();
}

template <class T>
const char* kind_name() {
  if constexpr (std::is_same_v<T, bool>) {
    return "a bool";
  } else if constexpr (std::is_integral_v<T>) {
    return "an int";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "a number";
  } else {
    return "a str";
  }
}

template <class T>
T as(const py::handle& value, const std::string& name) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // An int of any size: out of range is a value error, not a type error.
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
      raise_type_error(fmt::format("{} must be an int, not {}", name, type_name(value)));
    }
    const auto wide = value.cast<py::int_>();
    if (wide < py::int_(std::numeric_limits<T>::min()) ||
        wide > py::int_(std::numeric_limits<T>::max())) {
      raise_value_error(
          fmt::format("{} is {}, out of range", name, py::str(value).cast<std::string>()));
    }
    return value.cast<T>();
  } else {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!py::isinstance<py::str>(value))
        raise_type_error(fmt::format("{} must be a str, not {}", name, type_name(value)));
    }
    try {
      return value.cast<T>();
    } catch (const py::cast_error&) {
      raise_type_error(
          fmt::format("{} must be {}, not {}", name, kind_name<T>(), type_name(value)));
    }
  }
}

template <class T>
T get(const py::dict& args, const char* name) {
  return as<T>(args[name], name);
}

template <class T>
void check_name(const char* keyword, Result<T> parsed) {
  if (!parsed) raise_value_error(fmt::format("{}: {}", keyword, parsed.error().message));
}

// An int, or a pair of ints: (256) or (256, 128).
std::pair<int, int> one_or_two(const py::handle& value, const std::string& name) {
  if (py::isinstance<py::int_>(value)) {
    const int v = as<int>(value, name);
    return {v, v};
  }
  if (!py::isinstance<py::sequence>(value) || py::isinstance<py::str>(value) ||
      py::len(value) != 2) {
    raise_type_error(
        fmt::format("{} must be an int or a pair of ints, not {}", name, type_name(value)));
  }
  const auto pair = py::reinterpret_borrow<py::sequence>(value);
  return {as<int>(pair[0], name), as<int>(pair[1], name)};
}

EdgePolicy edge_from(const py::dict& args, bool allow_error) {
  const auto text = get<std::string>(args, "edge");
  std::vector<std::string> names;
  for (EdgePolicy edge :
       {EdgePolicy::kError, EdgePolicy::kDrop, EdgePolicy::kPad, EdgePolicy::kClip}) {
    if (edge == EdgePolicy::kError && !allow_error) continue;
    if (text == to_string(edge)) return edge;
    names.emplace_back(to_string(edge));
  }
  raise_value_error(
      fmt::format("edge \"{}\" is not an edge policy; use {}", text, join_names(names)));
}

Rgba fill_from(const py::dict& args) {
  const py::handle value = args["fill"];
  if (!py::isinstance<py::sequence>(value) || py::isinstance<py::str>(value) ||
      (py::len(value) != 3 && py::len(value) != 4)) {
    raise_type_error("fill must be (R, G, B) or (R, G, B, A), each 0..255");
  }
  Rgba fill = {0, 0, 0, 255};
  const auto channels = py::reinterpret_borrow<py::sequence>(value);
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const int v = as<int>(channels[i], "fill");
    if (v < 0 || v > 255) raise_value_error(fmt::format("fill value {} is not in 0..255", v));
    fill[i] = static_cast<std::uint8_t>(v);
  }
  return fill;
}

RoiEntry roi_from(const py::handle& item, std::size_t i) {
  const std::string name = fmt::format("rois[{}]", i);
  if (!py::isinstance<py::sequence>(item) || py::isinstance<py::str>(item) ||
      (py::len(item) != 4 && py::len(item) != 5)) {
    raise_type_error(
        fmt::format("{} must be (x, y, w, h) or (x, y, w, h, key), not {}", name, type_name(item)));
  }
  const auto fields = py::reinterpret_borrow<py::sequence>(item);
  RoiEntry entry;
  entry.roi = Roi{as<int>(fields[0], name), as<int>(fields[1], name), as<int>(fields[2], name),
                  as<int>(fields[3], name)};
  if (fields.size() == 5 && !fields[4].is_none())
    entry.key = as<std::string>(fields[4], name + " key");
  return entry;
}

// lossless=False, True or "auto", as the command line's --lossless[=auto].
std::string lossless_arg(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "on" : "";
  if (py::isinstance<py::str>(value) && value.cast<std::string>() == "auto") return "auto";
  raise_value_error(fmt::format("lossless is {}; give False, True or \"auto\"",
                                py::repr(value).cast<std::string>()));
}

}  // namespace

cli::EncodeArgs encode_args(const py::dict& args) {
  cli::EncodeArgs e;
  if (!args["format"].is_none()) e.format = get<std::string>(args, "format");
  e.quality = get<int>(args, "quality");
  e.subsampling = get<std::string>(args, "subsampling");
  e.fast_dct = get<bool>(args, "fast_dct");
  e.progressive = get<bool>(args, "progressive");
  e.optimize = get<bool>(args, "optimize");
  e.png_level = get<int>(args, "png_level");
  e.png_filter = get<std::string>(args, "png_filter");
  e.png_strategy = get<std::string>(args, "png_strategy");
  e.png_encoder = get<std::string>(args, "png_encoder");
  if (args.contains("lossless")) e.lossless = lossless_arg(args["lossless"]);
  // Lossless crops keep the source's quantisation and sampling: a quality or subsampling of
  // one's own cannot apply (the command line refuses -q and --subsampling the same way). The
  // keywords' defaults cannot be told from values given, so only other values are refused.
  const cli::EncodeArgs defaults;
  if (!e.lossless.empty() &&
      (e.quality != defaults.quality || e.subsampling != defaults.subsampling)) {
    raise_value_error(
        "quality and subsampling cannot go with lossless, whose crops keep the source's "
        "quantisation and chroma sampling; drop them, or drop lossless to re-encode");
  }
  // The codecs' own parsers, under the keyword's name; the ranges are checked below.
  if (!e.format.empty()) check_name("format", parse_output_format(e.format));
  check_name("subsampling", parse_jpeg_subsampling(e.subsampling));
  check_name("png_filter", parse_png_filter(e.png_filter));
  check_name("png_strategy", parse_zlib_strategy(e.png_strategy));
  check_name("png_encoder", parse_png_encoder(e.png_encoder));
  encode_options(e);
  return e;
}

EncodeOptions encode_options(const cli::EncodeArgs& args) {
  auto options = cli::encode_options_from(args);
  if (!options) raise_value_error(options.error().message);
  return *options;
}

cli::RunArgs run_args(const py::dict& args) {
  cli::RunArgs r;
  r.threads = get<int>(args, "threads");
  r.crops_in_flight = get<int>(args, "crops_in_flight");
  r.auto_orient = get<bool>(args, "auto_orient");
  r.allow_truncated = get<bool>(args, "allow_truncated");
  r.max_pixels = max_pixels_arg(args);
  if (!args["skip_blank"].is_none()) {
    r.skip_blank = get<double>(args, "skip_blank");
    if (!(r.skip_blank >= 0)) {
      raise_value_error(
          fmt::format("skip_blank is {}; give a pixel standard deviation of at least 0, or None",
                      r.skip_blank));
    }
  }
  engine_options(r);
  return r;
}

std::uint64_t max_pixels_arg(const py::dict& args) {
  const auto limit = get<std::uint64_t>(args, "max_pixels");
  if (limit == 0) raise_value_error("max_pixels must be at least 1");
  return limit;
}

EngineOptions engine_options(const cli::RunArgs& args) {
  EngineOptions options = cli::engine_options_from(args);
  if (Status valid = validate(options); !valid) raise_value_error(valid.error().message);
  return options;
}

cli::OutputArgs output_args(const py::dict& args) {
  cli::OutputArgs o;
  if (!args["name"].is_none()) o.name_template = get<std::string>(args, "name");
  if (!args["shard_size"].is_none()) {
    const py::handle size = args["shard_size"];
    o.shard_size = py::isinstance<py::int_>(size)
                       ? std::to_string(as<std::uint64_t>(size, "shard_size"))
                       : get<std::string>(args, "shard_size");
  }
  o.resume = get<bool>(args, "resume");
  o.overwrite = get<bool>(args, "overwrite");
  return o;
}

PlanSpec roi_plan(const py::dict& args) {
  const py::handle rois = args["rois"];
  RoiListSpec spec;
  if (py::isinstance<py::str>(rois) || py::hasattr(rois, "__fspath__")) {
    const py::object os = py::module_::import("os");
    auto loaded = load_roi_file(os.attr("fsdecode")(rois).cast<std::string>());
    if (!loaded) raise(loaded.error());
    spec = std::move(loaded).value();
  } else {
    // An N x 4 array is read through its list form, which checks nothing by itself: every row
    // then goes through the same checks as a tuple.
    const py::object list = py::hasattr(rois, "tolist") ? rois.attr("tolist")()
                                                        : py::reinterpret_borrow<py::object>(rois);
    if (!py::isinstance<py::sequence>(list) || py::isinstance<py::str>(list)) {
      raise_type_error(fmt::format(
          "rois must be a sequence of (x, y, w, h[, key]), an N x 4 integer array or a ROI "
          "file path, not {}",
          type_name(rois)));
    }
    const auto items = py::reinterpret_borrow<py::sequence>(list);
    spec.rois.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) spec.rois.push_back(roi_from(items[i], i));
  }
  spec.edge = edge_from(args, true);
  spec.fill = fill_from(args);
  return spec;
}

PlanSpec grid_plan(const py::dict& args) {
  GridSpec grid;
  std::tie(grid.tile_width, grid.tile_height) = one_or_two(args["tile"], "tile");
  if (grid.tile_width <= 0 || grid.tile_height <= 0) {
    raise_value_error(
        fmt::format("tile {}x{} must be at least 1x1 pixels", grid.tile_width, grid.tile_height));
  }
  const auto [ox, oy] = one_or_two(args["overlap"], "overlap");
  if (ox < 0 || oy < 0 || ox >= grid.tile_width || oy >= grid.tile_height) {
    raise_value_error(
        fmt::format("overlap {}x{} must be at least 0 and smaller than the tile ({}x{})", ox, oy,
                    grid.tile_width, grid.tile_height));
  }
  grid.stride_x = grid.tile_width - ox;
  grid.stride_y = grid.tile_height - oy;
  if (!args["stride"].is_none()) {
    if (ox != 0 || oy != 0) {
      raise_value_error("stride and overlap say the same thing in two ways; give only one");
    }
    std::tie(grid.stride_x, grid.stride_y) = one_or_two(args["stride"], "stride");
    if (grid.stride_x <= 0 || grid.stride_y <= 0) {
      raise_value_error(
          fmt::format("stride {}x{} must be at least 1x1 pixels", grid.stride_x, grid.stride_y));
    }
  }
  grid.edge = edge_from(args, false);
  grid.fill = fill_from(args);
  return grid;
}

PlanSpec random_plan(const py::dict& args) {
  RandomSpec random;
  const auto count = get<std::int64_t>(args, "count");
  if (count < 0) raise_value_error(fmt::format("count is {}; it must be at least 0", count));
  random.count = static_cast<std::size_t>(count);
  std::tie(random.min_size, random.max_size) = one_or_two(args["size"], "size");
  if (random.min_size <= 0 || random.min_size > random.max_size) {
    raise_value_error(fmt::format("size ({}, {}) must be MIN or (MIN, MAX) with 0 < MIN <= MAX",
                                  random.min_size, random.max_size));
  }
  random.seed = get<std::uint64_t>(args, "seed");
  return random;
}

py::dict defaults() {
  const cli::EncodeArgs e;
  const cli::RunArgs r;
  py::dict d;
  d["quality"] = e.quality;
  d["subsampling"] = e.subsampling;
  d["fast_dct"] = e.fast_dct;
  d["progressive"] = e.progressive;
  d["optimize"] = e.optimize;
  d["png_level"] = e.png_level;
  d["png_filter"] = e.png_filter;
  d["png_strategy"] = e.png_strategy;
  d["png_encoder"] = e.png_encoder;
  d["threads"] = r.threads;
  d["crops_in_flight"] = r.crops_in_flight;
  d["max_pixels"] = r.max_pixels;
  d["allow_truncated"] = r.allow_truncated;
  d["auto_orient"] = r.auto_orient;
  d["formats"] = output_format_names();
  return d;
}

}  // namespace tessera::python
