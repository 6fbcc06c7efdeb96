#include "e2e_options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "bench_images.hpp"

namespace tessera::bench {
namespace {

bool is_png(const E2eOptions& options) {
  return options.format == "png";
}

JpegSubsampling jpeg_subsampling(int code) {
  switch (code) {
    case 444:
      return JpegSubsampling::k444;
    case 422:
      return JpegSubsampling::k422;
    case 0:
      return JpegSubsampling::kGray;
    default:
      return JpegSubsampling::k420;
  }
}

ZlibStrategy zlib_strategy(const std::string& name) {
  if (name == "filtered") return ZlibStrategy::kFiltered;
  if (name == "huffman-only") return ZlibStrategy::kHuffmanOnly;
  if (name == "rle") return ZlibStrategy::kRle;
  if (name == "fixed") return ZlibStrategy::kFixed;
  return ZlibStrategy::kDefault;
}

int opencv_png_strategy(const std::string& name) {
  if (name == "filtered") return cv::IMWRITE_PNG_STRATEGY_FILTERED;
  if (name == "huffman-only") return cv::IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY;
  if (name == "rle") return cv::IMWRITE_PNG_STRATEGY_RLE;
  if (name == "fixed") return cv::IMWRITE_PNG_STRATEGY_FIXED;
  return cv::IMWRITE_PNG_STRATEGY_DEFAULT;
}

}  // namespace

std::optional<E2eOptions> parse_options(int argc, char** argv, int& exit_code) {
  E2eOptions options;
  CLI::App app{
      "tessera_e2e: one image, many crops; tessera's engine against OpenCV loops, "
      "at equal codec settings, in one run"};
  app.add_option("--input", options.input, "image to cut (default: a generated photo-like image)");
  app.add_option("--input-format", options.input_format, "format of the generated input")
      ->check(CLI::IsMember({"jpeg", "png"}));
  app.add_option("--size", options.size, "side of the generated square image")
      ->check(CLI::Range(256, 65535));
  app.add_flag("--keep-input", options.keep_input, "keep the generated input file");
  app.add_option("--tile", options.tile, "grid tile side (stride = tile, edge drop)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--random", options.random_count, "N random square crops instead of the grid");
  app.add_option("--random-min", options.random_min, "smallest random crop side")
      ->check(CLI::Range(1, 65535));
  app.add_option("--random-max", options.random_max, "largest random crop side")
      ->check(CLI::Range(1, 65535));
  app.add_option("--seed", options.seed, "seed of the random plan and the generated image");
  app.add_option("-f,--format", options.format, "output format")
      ->check(CLI::IsMember({"jpeg", "png"}));
  app.add_option("-q,--quality", options.quality, "JPEG quality")->check(CLI::Range(1, 100));
  app.add_option("--subsampling", options.subsampling,
                 "JPEG chroma subsampling: 444, 422, 420, 0 (grey)")
      ->check(CLI::IsMember({444, 422, 420, 0}));
  app.add_option("--png-level", options.png_level, "PNG zlib level")->check(CLI::Range(0, 9));
  app.add_option("--png-strategy", options.png_strategy, "PNG zlib strategy")
      ->check(CLI::IsMember({"default", "filtered", "huffman-only", "rle", "fixed"}));
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
    return png_options(options.png_level, PngFilter::kAdaptive,
                       zlib_strategy(options.png_strategy));
  }
  return jpeg_options(options.quality, jpeg_subsampling(options.subsampling));
}

PlanSpec plan_spec(const E2eOptions& options) {
  if (options.random_count > 0) {
    return RandomSpec{options.random_count, options.random_min, options.random_max, options.seed};
  }
  GridSpec grid;
  grid.tile_width = options.tile;
  grid.tile_height = options.tile;
  grid.edge = EdgePolicy::kDrop;
  return grid;
}

std::string opencv_extension(const E2eOptions& options) {
  return is_png(options) ? ".png" : ".jpg";
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
    return fmt::format("PNG level {}, filter {}, strategy {} (libspng)",
                       encode.png.compression_level, to_string(encode.png.filter),
                       to_string(encode.png.strategy));
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
        options.png_level, opencv_png_strategy(options.png_strategy), options.png_strategy);
  }
  return fmt::format(
      "JPEG IMWRITE_JPEG_QUALITY={}, 420 (libjpeg default; OpenCV 4.6 has no sampling "
      "parameter), accurate DCT (libjpeg default), IMWRITE_JPEG_OPTIMIZE=0, "
      "IMWRITE_JPEG_PROGRESSIVE=0 (libjpeg)",
      options.quality);
}

std::string settings_mismatch(const E2eOptions& options) {
  if (!is_png(options) && options.subsampling != 420 && options.subsampling != 0) {
    return fmt::format(
        "OpenCV 4.6 always encodes colour JPEG as 4:2:0; --subsampling {} is not "
        "comparable (use 420)",
        options.subsampling);
  }
  if (!is_png(options) && options.subsampling == 0) {
    return "OpenCV encodes colour input as colour; --subsampling 0 (grey) is not comparable";
  }
  return {};
}

}  // namespace tessera::bench
