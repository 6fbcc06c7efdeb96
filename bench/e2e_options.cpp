#include "e2e_options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "bench_images.hpp"
#include "tessera/codecs/formats.hpp"

namespace tessera::bench {
namespace {

bool is_png(const E2eOptions& options) {
  return options.format == OutputFormat::kPng;
}

int opencv_png_strategy(ZlibStrategy strategy) {
  switch (strategy) {
    case ZlibStrategy::kDefault: return cv::IMWRITE_PNG_STRATEGY_DEFAULT;
    case ZlibStrategy::kFiltered: return cv::IMWRITE_PNG_STRATEGY_FILTERED;
    case ZlibStrategy::kHuffmanOnly: return cv::IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY;
    case ZlibStrategy::kRle: return cv::IMWRITE_PNG_STRATEGY_RLE;
    case ZlibStrategy::kFixed: return cv::IMWRITE_PNG_STRATEGY_FIXED;
  }
  return cv::IMWRITE_PNG_STRATEGY_DEFAULT;
}

// A CLI11 option whose text the codecs parse; CLI11 only checks it is one of their names.
template <class T>
CLI::Option* add_named(CLI::App& app, const char* flag, T& out,
                       Result<T> (*parse)(std::string_view), const std::vector<std::string>& names,
                       const std::string& help) {
  return app
      .add_option_function<std::string>(
          flag, [&out, parse](const std::string& text) { out = *parse(text); },
          help + ": " + join_names(names))
      ->check(CLI::IsMember(names));
}

}  // namespace

std::optional<E2eOptions> parse_options(int argc, char** argv, int& exit_code) {
  E2eOptions options;
  CLI::App app{
      "tessera_e2e: one image, many crops; tessera's engine against OpenCV loops, "
      "at equal codec settings, in one run"};
  app.add_option("--input", options.input, "image to cut (default: a generated photo-like image)");
  add_named(app, "--input-format", options.input_format, parse_output_format, output_format_names(),
            "format of the generated input");
  app.add_option("--size", options.size, "side of the generated square image")
      ->check(CLI::Range(256, 65535));
  app.add_flag("--keep-input", options.keep_input, "keep the generated input file");
  app.add_option("--tile", options.tile, "grid tile side")->check(CLI::Range(1, 65535));
  app.add_option("--overlap", options.overlap, "grid overlap in pixels (stride = tile - overlap)")
      ->check(CLI::Range(0, 65534));
  app.add_option_function<std::string>(
         "--edge",
         [&options](const std::string& text) {
           options.edge = text == "shift" ? EdgePolicy::kShift : EdgePolicy::kDrop;
         },
         "the grid's last tiles: drop (default) or shift (moved inside the image)")
      ->check(CLI::IsMember({"drop", "shift"}));
  app.add_option("--random", options.random_count, "N random square crops instead of the grid");
  app.add_option("--random-min", options.random_min, "smallest random crop side")
      ->check(CLI::Range(1, 65535));
  app.add_option("--random-max", options.random_max, "largest random crop side")
      ->check(CLI::Range(1, 65535));
  app.add_option("--seed", options.seed, "seed of the random plan and the generated image");
  add_named(app, "-f,--format", options.format, parse_output_format, output_format_names(),
            "output format");
  app.add_option("-q,--quality", options.quality, "JPEG quality")->check(CLI::Range(1, 100));
  add_named(app, "--subsampling", options.subsampling, parse_jpeg_subsampling,
            jpeg_subsampling_names(), "JPEG chroma subsampling");
  app.add_option("--png-level", options.png_level, "PNG level (zlib's scale)")
      ->check(CLI::Range(0, 12));
  add_named(app, "--png-strategy", options.png_strategy, parse_zlib_strategy, zlib_strategy_names(),
            "PNG zlib strategy (libspng only)");
  add_named(app, "--png-filter", options.png_filter, parse_png_filter, png_filter_names(),
            "tessera's PNG filter (OpenCV's libpng always chooses adaptively)");
  add_named(app, "--png-encoder", options.png_encoder, parse_png_encoder, png_encoder_names(),
            "tessera's PNG encoder");
  app.add_option("--repeat", options.repeat, "repetitions of every measurement")
      ->check(CLI::Range(1, 100));
  app.add_option("--threads", options.threads, "threads c (0: every core)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--json", options.json, "write every figure and the machine info to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    exit_code = app.exit(error);
    return std::nullopt;
  }
  if (options.overlap >= options.tile) {
    fmt::print(stderr, "--overlap {} must be below --tile {}\n", options.overlap, options.tile);
    exit_code = 2;
    return std::nullopt;
  }
  if (Status valid = validate(tessera_encode_options(options)); !valid) {
    fmt::print(stderr, "{}\n", valid.error().message);
    exit_code = 2;
    return std::nullopt;
  }
  if (options.random_min > options.random_max) {
    fmt::print(stderr, "--random-min {} is above --random-max {}; swap them\n", options.random_min,
               options.random_max);
    exit_code = 2;
    return std::nullopt;
  }
  return options;
}

EncodeOptions tessera_encode_options(const E2eOptions& options) {
  if (is_png(options)) {
    return png_options(options.png_level, options.png_filter, options.png_strategy,
                       options.png_encoder);
  }
  return jpeg_options(options.quality, options.subsampling);
}

PlanSpec plan_spec(const E2eOptions& options) {
  if (options.random_count > 0) {
    return RandomSpec{options.random_count, options.random_min, options.random_max, options.seed};
  }
  GridSpec grid;
  grid.tile_width = options.tile;
  grid.tile_height = options.tile;
  grid.stride_x = grid.stride_y = options.tile - options.overlap;
  grid.edge = options.edge;
  return grid;
}

std::string opencv_extension(const E2eOptions& options) {
  return std::string(".") + file_extension(options.format);
}

std::vector<int> opencv_params(const E2eOptions& options) {
  if (is_png(options)) {
    // An explicit level makes OpenCV keep libpng's default (adaptive) filter choice.
    return {cv::IMWRITE_PNG_COMPRESSION, options.png_level, cv::IMWRITE_PNG_STRATEGY,
            opencv_png_strategy(options.png_strategy)};
  }
  // OpenCV 4.6 has no IMWRITE_JPEG_SAMPLING_FACTOR: it keeps libjpeg's default, 4:2:0 for
  // colour, and never changes libjpeg's default (accurate) DCT.
  return {cv::IMWRITE_JPEG_QUALITY,      options.quality,
          cv::IMWRITE_JPEG_OPTIMIZE,     0,
          cv::IMWRITE_JPEG_PROGRESSIVE,  0,
          cv::IMWRITE_JPEG_RST_INTERVAL, 0};
}

std::string describe_tessera_settings(const E2eOptions& options) {
  const EncodeOptions encode = tessera_encode_options(options);
  if (is_png(options)) {
    return fmt::format("PNG level {}, filter {}, strategy {} ({})", encode.png.compression_level,
                       to_string(encode.png.filter), to_string(encode.png.strategy),
                       to_string(encode.png.encoder));
  }
  return fmt::format("JPEG q{}, {}, {} DCT, huffman {}, {} (libjpeg)", encode.jpeg.quality,
                     to_string(encode.jpeg.subsampling), encode.jpeg.fast_dct ? "fast" : "accurate",
                     encode.jpeg.optimize_huffman ? "optimised" : "standard",
                     encode.jpeg.progressive ? "progressive" : "baseline");
}

std::string describe_opencv_settings(const E2eOptions& options) {
  if (is_png(options)) {
    return fmt::format(
        "PNG IMWRITE_PNG_COMPRESSION={}, IMWRITE_PNG_STRATEGY={} ({}), libpng default "
        "filters (adaptive) (libpng)",
        options.png_level, opencv_png_strategy(options.png_strategy),
        to_string(options.png_strategy));
  }
  return fmt::format(
      "JPEG IMWRITE_JPEG_QUALITY={}, 420 (libjpeg default; OpenCV 4.6 has no sampling "
      "parameter), accurate DCT (libjpeg default), IMWRITE_JPEG_OPTIMIZE=0, "
      "IMWRITE_JPEG_PROGRESSIVE=0 (libjpeg)",
      options.quality);
}

std::string settings_mismatch(const E2eOptions& options) {
  if (is_png(options)) {
    if (options.png_filter == PngFilter::kAdaptive) return {};
    return fmt::format(
        "OpenCV's libpng chooses filters adaptively; --png-filter {} is not "
        "comparable (use all)",
        to_string(options.png_filter));
  }
  switch (options.subsampling) {
    case JpegSubsampling::k420: return {};
    case JpegSubsampling::kGray:
      return "OpenCV encodes colour input as colour; --subsampling gray is not comparable";
    case JpegSubsampling::k444:
    case JpegSubsampling::k422: break;
  }
  return fmt::format(
      "OpenCV 4.6 always encodes colour JPEG as 4:2:0; --subsampling {} is not "
      "comparable (use 420)",
      to_string(options.subsampling));
}

}  // namespace tessera::bench
