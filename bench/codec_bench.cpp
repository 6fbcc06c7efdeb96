// Codec micro benchmarks: JPEG encode by tile size, quality, subsampling and DCT; PNG encode by
// encoder, level and filter; whole-image decode by format. One thread; the image is a photo-like
// demo.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_images.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"

namespace tessera::bench {
namespace {

constexpr int kImageSide = 2048;
constexpr int kDefaultTile = 256;

const OwnedImage& demo_image() {
  static const OwnedImage image = make_demo_image(kImageSide, kImageSide, PixelFormat::kRgb8, 1);
  return image;
}

void set_pixel_rate(benchmark::State& state, double pixels_per_iteration) {
  state.counters["MP/s"] = benchmark::Counter(
      double(state.iterations()) * pixels_per_iteration / 1e6, benchmark::Counter::kIsRate);
}

// One crop per iteration.
void set_crop_rates(benchmark::State& state, double pixels_per_crop) {
  set_pixel_rate(state, pixels_per_crop);
  state.counters["crops/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// Encodes tile x tile crops, walking over the image so the content varies like a real grid.
void encode_tiles(benchmark::State& state, const EncodeOptions& options, int tile) {
  const ImageView image = demo_image().view();
  const int per_row = image.width / tile;
  const int count = per_row * (image.height / tile);
  std::vector<std::uint8_t> buffer(max_encoded_size(tile, tile, image.format, options));
  auto encoder = make_encoder(options.format);
  std::size_t bytes = 0;
  int next = 0;
  for (auto _ : state) {
    const ImageView view = image.crop((next % per_row) * tile, (next / per_row) * tile, tile, tile);
    auto written = encoder->encode(view, options, buffer);
    if (!written) {
      state.SkipWithError(written.error().message.c_str());
      break;
    }
    bytes += *written;
    next = (next + 1) % count;
  }
  set_crop_rates(state, double(tile) * double(tile));
  state.counters["bytes/crop"] =
      double(bytes) / double(std::max<benchmark::IterationCount>(1, state.iterations()));
}

void BM_JpegEncodeTile(benchmark::State& state) {
  encode_tiles(state, jpeg_options(90, JpegSubsampling::k420), static_cast<int>(state.range(0)));
}
BENCHMARK(BM_JpegEncodeTile)->ArgName("tile")->RangeMultiplier(2)->Range(64, 1024)->MinTime(0.3);

void BM_JpegEncodeQuality(benchmark::State& state) {
  encode_tiles(state, jpeg_options(static_cast<int>(state.range(0)), JpegSubsampling::k420),
               kDefaultTile);
}
BENCHMARK(BM_JpegEncodeQuality)->ArgName("q")->Arg(75)->Arg(90)->Arg(95)->MinTime(0.3);

void BM_JpegEncodeSubsampling(benchmark::State& state) {
  const JpegSubsampling subsampling = static_cast<JpegSubsampling>(state.range(0));
  state.SetLabel(to_string(subsampling));
  encode_tiles(state, jpeg_options(90, subsampling), kDefaultTile);
}
BENCHMARK(BM_JpegEncodeSubsampling)
    ->ArgName("subsampling")
    ->Arg(static_cast<int>(JpegSubsampling::k444))
    ->Arg(static_cast<int>(JpegSubsampling::k420))
    ->Arg(static_cast<int>(JpegSubsampling::kGray))
    ->MinTime(0.3);

void BM_JpegEncodeDct(benchmark::State& state) {
  const bool fast = state.range(0) != 0;
  state.SetLabel(fast ? "fast" : "accurate");
  encode_tiles(state, jpeg_options(90, JpegSubsampling::k420, fast), kDefaultTile);
}
BENCHMARK(BM_JpegEncodeDct)->ArgName("fast")->Arg(0)->Arg(1)->MinTime(0.3);

// Both PNG encoders at the same levels (zlib's scale), so the difference is the library.
void BM_PngEncodeLevel(benchmark::State& state) {
  const auto encoder = static_cast<PngEncoderLibrary>(state.range(0));
  state.SetLabel(to_string(encoder));
  encode_tiles(state,
               png_options(static_cast<int>(state.range(1)), PngFilter::kAdaptive,
                           ZlibStrategy::kDefault, encoder),
               kDefaultTile);
}
BENCHMARK(BM_PngEncodeLevel)
    ->ArgNames({"encoder", "level"})
    ->ArgsProduct({{static_cast<int>(PngEncoderLibrary::kLibdeflate),
                    static_cast<int>(PngEncoderLibrary::kLibspng)},
                   {1, 6, 9}})
    ->MinTime(0.3);

void BM_PngEncodeFilter(benchmark::State& state) {
  const PngFilter filter = static_cast<PngFilter>(state.range(0));
  state.SetLabel(to_string(filter));
  encode_tiles(state, png_options(6, filter), kDefaultTile);
}
BENCHMARK(BM_PngEncodeFilter)
    ->ArgName("filter")
    ->DenseRange(static_cast<int>(PngFilter::kNone), static_cast<int>(PngFilter::kAdaptive))
    ->MinTime(0.3);

enum class DecodeCase : int { kJpegBaseline, kJpegProgressive, kPng };

const std::vector<std::uint8_t>& encoded_image(DecodeCase which) {
  static const auto encode = [](const EncodeOptions& options) {
    auto bytes = encode_to_vector(demo_image().view(), options);
    return bytes ? std::move(bytes).value() : std::vector<std::uint8_t>{};
  };
  static const std::vector<std::uint8_t> baseline = encode(jpeg_options(90, JpegSubsampling::k420));
  static const std::vector<std::uint8_t> progressive =
      encode(jpeg_options(90, JpegSubsampling::k420, false, true));
  static const std::vector<std::uint8_t> png = encode(png_options(6));
  switch (which) {
    case DecodeCase::kJpegBaseline: return baseline;
    case DecodeCase::kJpegProgressive: return progressive;
    case DecodeCase::kPng: return png;
  }
  return baseline;
}

void BM_Decode(benchmark::State& state) {
  const DecodeCase which = static_cast<DecodeCase>(state.range(0));
  static constexpr const char* kLabels[] = {"jpeg baseline", "jpeg progressive", "png"};
  state.SetLabel(kLabels[state.range(0)]);
  const std::vector<std::uint8_t>& bytes = encoded_image(which);
  const std::size_t stride = std::size_t{kImageSide} * 3;
  std::vector<std::uint8_t> pixels(stride * kImageSide);
  for (auto _ : state) {
    auto decoder = open_decoder(InputBytes::borrow(bytes, "bench image"));
    if (!decoder) {
      state.SkipWithError(decoder.error().message.c_str());
      break;
    }
    const int height = (*decoder)->header().height;
    while ((*decoder)->rows_read() < height) {
      const int row = (*decoder)->rows_read();
      auto n =
          (*decoder)->read_rows(pixels.data() + std::size_t(row) * stride, stride, height - row);
      if (!n || *n == 0) break;
    }
    benchmark::DoNotOptimize(pixels.data());
  }
  set_pixel_rate(state, double(kImageSide) * double(kImageSide));
}
BENCHMARK(BM_Decode)
    ->ArgName("format")
    ->DenseRange(0, 2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5);

}  // namespace
}  // namespace tessera::bench
