// Lossless JPEG crops through the engine: every crop's coefficients are the source's, crops
// decode to the source's pixels, bytes do not depend on the thread count, unaligned crops fail
// (--lossless) or go through pixels (--lossless=auto) and are counted, damaged entropy data
// fails its job cleanly, and the coefficient window stays a few MCU rows.
#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tessera/codecs/coefficients.hpp"
#include "tessera/engine/engine.hpp"
#include "test_images.hpp"
#include "test_jpegs.hpp"

using namespace tessera;

namespace {

using Bytes = std::vector<std::uint8_t>;

class RecordingSink final : public Sink {
 public:
  Status consume(const CropResult& crop) override {
    crops[crop.index] = {crop.roi, Bytes(crop.bytes.begin(), crop.bytes.end())};
    order.push_back(crop.index);
    return {};
  }
  void on_failure(const CropFailure& failure) override {
    failures.push_back({failure.index, failure.error->code, failure.error->message});
  }
  struct Crop {
    Roi roi;
    Bytes bytes;
    bool operator==(const Crop&) const = default;
  };
  struct Failure {
    std::uint32_t index;
    ErrorCode code;
    std::string message;
  };
  std::map<std::uint32_t, Crop> crops;
  std::vector<std::uint32_t> order;
  std::vector<Failure> failures;
};

Job lossless_job(const Bytes& source, PlanSpec plan, LosslessMode mode = LosslessMode::kOn) {
  Job job;
  job.input = InputBytes::from_vector(source, "source.jpg");
  job.plan = std::move(plan);
  job.encode.format = OutputFormat::kJpeg;
  job.lossless = mode;
  return job;
}

GridSpec clipped_grid(int tile_width, int tile_height) {
  GridSpec grid;
  grid.tile_width = tile_width;
  grid.tile_height = tile_height;
  grid.edge = EdgePolicy::kClip;
  return grid;
}

RunStats run(const Job& job, RecordingSink& sink, int threads = 2, int band_rows = 0) {
  EngineOptions options;
  options.threads = threads;
  options.band_rows = band_rows;
  RunStats stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
  REQUIRE_FALSE(stats.fatal.has_value());
  return stats;
}

int mcu_width(const test::JpegCoefficients& c) {
  int h = 1;
  for (const auto& comp : c.components) h = std::max(h, comp.h);
  return 8 * h;
}
int mcu_height(const test::JpegCoefficients& c) {
  int v = 1;
  for (const auto& comp : c.components) v = std::max(v, comp.v);
  return 8 * v;
}

// The crop's real blocks against the source's blocks at the crop's MCU position.
void check_same_blocks(const Bytes& crop_bytes, const Roi& roi,
                       const test::JpegCoefficients& source) {
  const test::JpegCoefficients crop = test::libjpeg_coefficients(crop_bytes);
  REQUIRE(crop.ok);
  REQUIRE(crop.width == roi.w);
  REQUIRE(crop.height == roi.h);
  REQUIRE(crop.components.size() == source.components.size());
  for (std::size_t c = 0; c < crop.components.size(); ++c) {
    const auto& cc = crop.components[c];
    const auto& sc = source.components[c];
    REQUIRE(cc.h == sc.h);
    REQUIRE(cc.v == sc.v);
    REQUIRE(crop.quant[static_cast<std::size_t>(cc.quant_table)] ==
            source.quant[static_cast<std::size_t>(sc.quant_table)]);
    const int ox = roi.x / mcu_width(source) * sc.h;
    const int oy = roi.y / mcu_height(source) * sc.v;
    for (int by = 0; by < cc.height_in_blocks; ++by) {
      for (int bx = 0; bx < cc.width_in_blocks; ++bx) {
        if (std::memcmp(cc.block(bx, by), sc.block(ox + bx, oy + by), 128) != 0) {
          FAIL(fmt::format("component {} block ({}, {}) differs", c, bx, by));
        }
      }
    }
  }
}

// Pixels as libjpeg decodes them, RGB or gray, with or without fancy upsampling.
struct Decoded {
  int width = 0, height = 0, channels = 0;
  Bytes pixels;
};

struct DecodeErrors {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

[[noreturn]] void decode_error_exit(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<DecodeErrors*>(cinfo->err)->jump, 1);
}

bool decode_into(const Bytes* bytes, bool fancy, Decoded* out) {
  DecodeErrors errors{};
  jpeg_decompress_struct cinfo{};
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = decode_error_exit;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes->data(), static_cast<unsigned long>(bytes->size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.do_fancy_upsampling = fancy ? TRUE : FALSE;
  jpeg_start_decompress(&cinfo);
  out->width = static_cast<int>(cinfo.output_width);
  out->height = static_cast<int>(cinfo.output_height);
  out->channels = cinfo.output_components;
  out->pixels.resize(static_cast<std::size_t>(out->width) * out->height * out->channels);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() +
                   static_cast<std::size_t>(cinfo.output_scanline) * out->width * out->channels;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

Decoded decode(const Bytes& bytes, bool fancy) {
  Decoded out;
  REQUIRE(decode_into(&bytes, fancy, &out));
  return out;
}

bool same_region(const Decoded& crop, const Decoded& source, const Roi& roi) {
  if (crop.width != roi.w || crop.height != roi.h || crop.channels != source.channels) return false;
  const auto row_bytes = static_cast<std::size_t>(roi.w) * crop.channels;
  for (int y = 0; y < roi.h; ++y) {
    const std::uint8_t* a = crop.pixels.data() + static_cast<std::size_t>(y) * row_bytes;
    const std::uint8_t* b =
        source.pixels.data() +
        (static_cast<std::size_t>(roi.y + y) * source.width + roi.x) * source.channels;
    if (std::memcmp(a, b, row_bytes) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("lossless crops hold exactly the source's coefficients for every sampling",
          "[engine][lossless]") {
  for (const test::JpegSpec& spec : test::lossless_sources()) {
    INFO(spec.name);
    const Bytes source_bytes = test::make_jpeg(spec);
    const test::JpegCoefficients source = test::libjpeg_coefficients(source_bytes);
    REQUIRE(source.ok);
    const int mw = mcu_width(source), mh = mcu_height(source);
    // Tiles of two MCUs by one, cut at the image's right and bottom edges (sizes off the grid).
    RecordingSink sink;
    const RunStats stats = run(lossless_job(source_bytes, clipped_grid(2 * mw, mh)), sink);
    const std::size_t expected = static_cast<std::size_t>((source.width + 2 * mw - 1) / (2 * mw)) *
                                 static_cast<std::size_t>((source.height + mh - 1) / mh);
    REQUIRE(sink.failures.empty());
    REQUIRE(sink.crops.size() == expected);
    CHECK(stats.crops_lossless == expected);
    CHECK(stats.crops_unaligned == 0);
    for (const auto& [index, crop] : sink.crops) {
      INFO(fmt::format("crop {}x{} at {},{}", crop.roi.w, crop.roi.h, crop.roi.x, crop.roi.y));
      check_same_blocks(crop.bytes, crop.roi, source);
    }
  }
}

TEST_CASE("lossless crops decode to exactly the source's pixels", "[engine][lossless]") {
  for (const test::JpegSpec& spec : test::lossless_sources()) {
    if (spec.in_space == JCS_CMYK) continue;  // CMYK pixels are compared through coefficients
    INFO(spec.name);
    const Bytes source_bytes = test::make_jpeg(spec);
    const test::JpegCoefficients coefficients = test::libjpeg_coefficients(source_bytes);
    const bool subsampled = mcu_width(coefficients) > 8 || mcu_height(coefficients) > 8;
    // Fancy (triangle) upsampling makes each chroma sample's pixels from its neighbours too. At
    // a crop's edge the neighbour outside the crop is missing, so libjpeg repeats the edge sample
    // instead, and the edge pixels differ from the whole image's. Box upsampling uses each sample
    // alone, so subsampled crops are compared with it; full-resolution chroma needs neither.
    const bool fancy = !subsampled;
    const Decoded source = decode(source_bytes, fancy);
    RecordingSink sink;
    run(lossless_job(source_bytes,
                     clipped_grid(mcu_width(coefficients) * 2, mcu_height(coefficients) * 2)),
        sink);
    REQUIRE(sink.failures.empty());
    REQUIRE(!sink.crops.empty());
    for (const auto& [index, crop] : sink.crops) {
      INFO(fmt::format("crop {}x{} at {},{}", crop.roi.w, crop.roi.h, crop.roi.x, crop.roi.y));
      CHECK(same_region(decode(crop.bytes, fancy), source, crop.roi));
    }
  }
}

TEST_CASE("lossless bytes are the same for 1, 2 and 8 threads and any band height",
          "[engine][lossless]") {
  test::JpegSpec spec{"420 restart", 333, 277, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}, 3};
  const Bytes source = test::make_jpeg(spec);
  for (const bool progressive : {false, true}) {
    Job job = lossless_job(source, clipped_grid(48, 32));
    job.encode.jpeg.progressive = progressive;
    job.encode.jpeg.optimize_huffman = progressive;
    RecordingSink reference;
    run(job, reference, 1);
    REQUIRE(reference.crops.size() == 7 * 9);
    for (const auto& [threads, band] : {std::pair{2, 0}, {8, 0}, {8, 16}, {2, 5}}) {
      RecordingSink other;
      run(job, other, threads, band);
      CHECK(other.crops == reference.crops);
      CHECK(other.order == reference.order);
    }
  }
}

TEST_CASE("unaligned lossless crops fail with the grid named, or go through pixels under auto",
          "[engine][lossless]") {
  test::JpegSpec spec{"420", 128, 96, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}};
  const Bytes source = test::make_jpeg(spec);
  RoiListSpec rois;
  rois.rois = {{{0, 0, 40, 40}, "aligned"},
               {{16, 32, 33, 20}, "aligned_odd"},
               {{8, 16, 32, 32}, "off_x"},
               {{32, 20, 16, 16}, "off_y"}};
  SECTION("--lossless fails each unaligned crop and cuts the others") {
    RecordingSink sink;
    const RunStats stats = run(lossless_job(source, rois), sink);
    CHECK(stats.crops == 2);
    CHECK(stats.crops_lossless == 2);
    CHECK(stats.crops_unaligned == 2);
    CHECK(stats.crops_failed == 2);
    REQUIRE(sink.failures.size() == 2);
    for (const auto& failure : sink.failures) {
      CHECK((failure.index == 2 || failure.index == 3));
      CHECK_THAT(failure.message, Catch::Contains("16x16 MCU grid") && Catch::Contains("4:2:0") &&
                                      Catch::Contains("--lossless=auto"));
    }
  }
  SECTION("--lossless=auto cuts unaligned crops from pixels, as the pixel path does") {
    RecordingSink sink;
    const RunStats stats = run(lossless_job(source, rois, LosslessMode::kAuto), sink);
    CHECK(sink.failures.empty());
    CHECK(stats.crops == 4);
    CHECK(stats.crops_lossless == 2);
    CHECK(stats.crops_unaligned == 2);
    RecordingSink pixels;
    run(lossless_job(source, rois, LosslessMode::kOff), pixels);
    CHECK(sink.crops.at(2) == pixels.crops.at(2));
    CHECK(sink.crops.at(3) == pixels.crops.at(3));
    CHECK(sink.crops.at(0) != pixels.crops.at(0));
    check_same_blocks(sink.crops.at(1).bytes, rois.rois[1].roi, test::libjpeg_coefficients(source));
  }
}

TEST_CASE("lossless refuses what needs pixels or another format, naming the option",
          "[engine][lossless]") {
  const Bytes source = test::make_jpeg({"gray", 64, 64, JCS_GRAYSCALE, JCS_GRAYSCALE, {{1, 1}}});
  Job png = lossless_job(source, clipped_grid(16, 16));
  png.encode.format = OutputFormat::kPng;
  Job blank = lossless_job(source, clipped_grid(16, 16));
  blank.skip_blank = 3;
  Job not_jpeg = lossless_job(source, clipped_grid(16, 16));
  auto png_source = test::encode_to_vector(test::random_image(32, 32, PixelFormat::kRgb8, 1).view(),
                                           EncodeOptions{OutputFormat::kPng, {}, {}});
  REQUIRE(png_source.ok());
  not_jpeg.input = InputBytes::from_vector(*png_source, "source.png");
  for (const auto& [job, words] :
       {std::pair{&png, "JPEG only"}, {&blank, "--skip-blank"}, {&not_jpeg, "--lossless=auto"}}) {
    RecordingSink sink;
    const RunStats stats = run(*job, sink);
    CHECK(stats.jobs_failed == 1);
    REQUIRE(sink.failures.size() == 1);
    CHECK_THAT(sink.failures[0].message, Catch::Contains(words));
  }
  not_jpeg.lossless = LosslessMode::kAuto;  // another format goes through pixels under auto
  RecordingSink sink;
  CHECK(run(not_jpeg, sink).crops == 4);
}

TEST_CASE("damaged entropy data fails its lossless job cleanly, keeping crops above the damage",
          "[engine][lossless]") {
  test::JpegSpec spec{"420", 64, 512, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}};
  const Bytes good = test::make_jpeg(spec);
  Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  Bytes corrupt = good;
  corrupt[good.size() / 2] = 0xFF;
  corrupt[good.size() / 2 + 1] = 0xC4;  // a DHT marker inside the scan
  for (const auto& [bytes, words] :
       {std::pair{&truncated, "ends early"}, {&corrupt, "marker 0xC4"}}) {
    RecordingSink sink;
    const RunStats stats = run(lossless_job(*bytes, clipped_grid(64, 32)), sink, 2, 16);
    CHECK(stats.jobs_failed == 1);
    CHECK(stats.crops > 0);  // the crops above the damage were cut
    CHECK(stats.crops < 16);
    CHECK(stats.crops + stats.crops_failed == 16);
    REQUIRE(!sink.failures.empty());
    CHECK_THAT(sink.failures.front().message, Catch::Contains(words) &&
                                                  Catch::Contains("source.jpg") &&
                                                  Catch::Contains("MCU row"));
    const test::JpegCoefficients source = test::libjpeg_coefficients(good);
    for (const auto& [index, crop] : sink.crops) check_same_blocks(crop.bytes, crop.roi, source);
  }
}

TEST_CASE("a tall image is cut losslessly with a coefficient window of a few MCU rows",
          "[engine][lossless][memory]") {
  test::JpegSpec spec{"gray tall", 64, 8192, JCS_GRAYSCALE, JCS_GRAYSCALE, {{1, 1}}};
  const Bytes source = test::make_jpeg(spec);
  RecordingSink sink;
  const RunStats stats = run(lossless_job(source, clipped_grid(64, 64)), sink, 2, 64);
  CHECK(stats.crops == 128);
  // The whole image's coefficients are 8192 x 64 x 2 bytes = 1 MiB; the window holds a few
  // tile heights of it.
  CHECK(stats.peak_window_rows <= 1024);
  CHECK(stats.peak_window_bytes < (std::uint64_t{1} << 20) / 4);
}
