#include "tessera_runs.hpp"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "bench_images.hpp"
#include "stats.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::bench {
namespace {

template <class T>
T take(Result<T> result, const std::string& what) {
  if (!result) throw std::runtime_error(what + ": " + result.error().message);
  return std::move(result).value();
}

std::unique_ptr<Decoder> open_file_decoder(const std::string& path) {
  InputBytes input = take(InputBytes::open_file(path), "open " + path);
  return take(open_decoder(std::move(input)), "decode " + path);
}

void decode_into(Decoder& decoder, std::uint8_t* pixels, std::size_t stride) {
  const int height = decoder.header().height;
  while (decoder.rows_read() < height) {
    const int row = decoder.rows_read();
    const int n = take(
        decoder.read_rows(pixels + static_cast<std::size_t>(row) * stride, stride, height - row),
        "decode");
    if (n == 0) break;
  }
  if (decoder.rows_read() != height) {
    throw std::runtime_error(
        fmt::format("decoder stopped at row {} of {}", decoder.rows_read(), height));
  }
}

// Times one whole decode of the file into pixels.
double timed_decode(const std::string& path, std::uint8_t* pixels, std::size_t stride) {
  Stopwatch watch;
  auto decoder = open_file_decoder(path);
  decode_into(*decoder, pixels, stride);
  return watch.seconds();
}

}  // namespace

nlohmann::json generate_input(const E2eOptions& options, const std::string& path) {
  Stopwatch watch;
  const OwnedImage image =
      make_demo_image(options.size, options.size, PixelFormat::kRgb8, options.seed);
  const double generate_s = watch.seconds();
  const EncodeOptions encode = options.input_format == OutputFormat::kPng
                                   ? png_options(6)
                                   : jpeg_options(95, JpegSubsampling::k444);
  const std::vector<std::uint8_t> bytes =
      take(encode_to_vector(image.view(), encode), "encode demo image");
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) throw std::runtime_error("cannot write " + path);
  return {{"generate_s", generate_s},
          {"encode_s", watch.seconds() - generate_s},
          {"bytes", bytes.size()}};
}

nlohmann::json measure_decode_and_encode(const E2eOptions& options, const std::string& path) {
  auto probe = open_file_decoder(path);
  const ImageHeader header = probe->header();
  probe.reset();
  const std::size_t stride = static_cast<std::size_t>(header.width) *
                             static_cast<std::size_t>(channel_count(header.format));
  const std::size_t size = stride * static_cast<std::size_t>(header.height);
  // new[] without value-initialisation: the first decode really lands in untouched memory.
  std::unique_ptr<std::uint8_t[]> pixels(new std::uint8_t[size]);

  const double fresh_s = timed_decode(path, pixels.get(), stride);
  std::vector<double> decode_s;
  const double decode_cpu_start = process_cpu_seconds();
  for (int i = 0; i < options.repeat; ++i)
    decode_s.push_back(timed_decode(path, pixels.get(), stride));
  const double decode_cpu_s = (process_cpu_seconds() - decode_cpu_start) / options.repeat;

  const Plan plan = take(make_plan(plan_spec(options), header.width, header.height), "plan");
  const EncodeOptions encode = tessera_encode_options(options);
  std::size_t buffer_size = 0;
  for (const PlannedCrop& crop : plan.crops) {
    buffer_size =
        std::max(buffer_size, max_encoded_size(crop.roi.w, crop.roi.h, header.format, encode));
  }
  std::vector<std::uint8_t> buffer(buffer_size);
  auto encoder = make_encoder(encode.format);
  const ImageView image{pixels.get(), header.width, header.height, stride, header.format};

  std::vector<double> encode_s;
  std::uint64_t bytes = 0;
  const double encode_cpu_start = process_cpu_seconds();
  for (int i = 0; i < options.repeat; ++i) {
    bytes = 0;
    Stopwatch watch;
    for (const PlannedCrop& crop : plan.crops) {
      const ImageView view = image.crop(crop.roi.x, crop.roi.y, crop.roi.w, crop.roi.h);
      bytes +=
          take(encoder->encode(view, encode, buffer), fmt::format("encode crop {}", crop.index));
    }
    encode_s.push_back(watch.seconds());
  }
  const double encode_cpu_s = (process_cpu_seconds() - encode_cpu_start) / options.repeat;
  return {{"decode_fresh_s", fresh_s},
          {"decode_cpu_mean_s", decode_cpu_s},
          {"encode_cpu_mean_s", encode_cpu_s},
          {"decode_s", to_json(summarize(decode_s), decode_s)},
          {"encode_s", to_json(summarize(encode_s), encode_s)},
          {"crops", plan.crops.size()},
          {"bytes", bytes}};
}

nlohmann::json measure_engine(const E2eOptions& options, const std::string& path, int threads) {
  EngineOptions engine_options;
  engine_options.threads = threads;
  Engine engine(engine_options);
  Job job;
  job.path = path;
  job.plan = plan_spec(options);
  job.encode = tessera_encode_options(options);

  std::vector<double> wall_s;
  std::vector<double> cpu_s;
  nlohmann::json last;
  for (int i = 0; i < options.repeat; ++i) {
    NullSink sink;
    const double cpu_start = process_cpu_seconds();
    Stopwatch watch;
    const RunStats stats = engine.run(std::span<const Job>(&job, 1), sink);
    wall_s.push_back(watch.seconds());
    cpu_s.push_back(process_cpu_seconds() - cpu_start);
    if (stats.fatal) throw std::runtime_error("engine: " + stats.fatal->message);
    if (stats.jobs_failed != 0 || stats.crops_failed != 0) {
      throw std::runtime_error(fmt::format("engine: {} jobs and {} crops failed", stats.jobs_failed,
                                           stats.crops_failed));
    }
    last = {{"crops", sink.crops()},
            {"bytes", sink.bytes()},
            {"engine_wall_s", stats.wall_s},
            {"decode_thread_s", stats.decode_s},
            {"encode_cpu_s", stats.encode_cpu_s},
            {"peak_window_rows", stats.peak_window_rows},
            {"peak_window_bytes", stats.peak_window_bytes},
            {"pool_buffers", stats.pool_buffers},
            {"pool_bytes", stats.pool_bytes}};
  }
  last["threads"] = threads;
  last["wall_s"] = to_json(summarize(wall_s), wall_s);
  last["cpu_s"] = to_json(summarize(cpu_s), cpu_s);
  return last;
}

}  // namespace tessera::bench
