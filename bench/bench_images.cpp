#include "bench_images.hpp"

namespace tessera::bench {

EncodeOptions jpeg_options(int quality, JpegSubsampling subsampling, bool fast_dct,
                           bool progressive) {
  EncodeOptions options;
  options.format = OutputFormat::kJpeg;
  options.jpeg.quality = quality;
  options.jpeg.subsampling = subsampling;
  options.jpeg.fast_dct = fast_dct;
  options.jpeg.progressive = progressive;
  options.jpeg.optimize_huffman = false;
  return options;
}

EncodeOptions png_options(int level, PngFilter filter, ZlibStrategy strategy,
                          PngEncoderLibrary encoder) {
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  options.png.compression_level = level;
  options.png.filter = filter;
  options.png.strategy = strategy;
  options.png.encoder = encoder;
  return options;
}

}  // namespace tessera::bench
