#include "bench_images.hpp"

namespace tessera::bench {

EncodeOptions jpeg_options(int quality, JpegSubsampling subsampling, bool fast_dct, bool progressive) {
  EncodeOptions options;
  options.format = OutputFormat::kJpeg;
  options.jpeg.quality = quality;
  options.jpeg.subsampling = subsampling;
  options.jpeg.fast_dct = fast_dct;
  options.jpeg.progressive = progressive;
  options.jpeg.optimize_huffman = false;
  return options;
}

EncodeOptions png_options(int level, PngFilter filter, ZlibStrategy strategy) {
  EncodeOptions options;
  options.format = OutputFormat::kPng;
  options.png.compression_level = level;
  options.png.filter = filter;
  options.png.strategy = strategy;
  return options;
}

Result<std::vector<std::uint8_t>> encode_whole(const ImageView& view, const EncodeOptions& options) {
  std::vector<std::uint8_t> bytes(max_encoded_size(view.width, view.height, view.format, options));
  auto encoder = make_encoder(options.format);
  auto written = encoder->encode(view, options, bytes);
  if (!written) return std::move(written).error();
  bytes.resize(*written);
  return bytes;
}

const char* to_string(JpegSubsampling subsampling) noexcept {
  switch (subsampling) {
    case JpegSubsampling::k444: return "444";
    case JpegSubsampling::k422: return "422";
    case JpegSubsampling::k420: return "420";
    case JpegSubsampling::kGray: return "gray";
  }
  return "?";
}

const char* to_string(PngFilter filter) noexcept {
  switch (filter) {
    case PngFilter::kNone: return "none";
    case PngFilter::kSub: return "sub";
    case PngFilter::kUp: return "up";
    case PngFilter::kAverage: return "average";
    case PngFilter::kPaeth: return "paeth";
    case PngFilter::kAdaptive: return "adaptive";
  }
  return "?";
}

const char* to_string(ZlibStrategy strategy) noexcept {
  switch (strategy) {
    case ZlibStrategy::kDefault: return "default";
    case ZlibStrategy::kFiltered: return "filtered";
    case ZlibStrategy::kHuffmanOnly: return "huffman-only";
    case ZlibStrategy::kRle: return "rle";
    case ZlibStrategy::kFixed: return "fixed";
  }
  return "?";
}

}  // namespace tessera::bench
