// JPEG codec: round trips through strided views, option mapping, the worst-case size bound,
// the libjpeg-turbo reference files, and damaged or hostile input.
#include <turbojpeg.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>

#include <catch2/catch.hpp>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/engine/demo_image.hpp"
#include "test_images.hpp"

namespace tessera {
namespace {

using Bytes = std::vector<std::uint8_t>;

EncodeOptions jpeg_options(int quality, JpegSubsampling subsampling) {
  EncodeOptions options;
  options.format = OutputFormat::kJpeg;
  options.jpeg.quality = quality;
  options.jpeg.subsampling = subsampling;
  return options;
}

Bytes encode_ok(const ImageView& view, const EncodeOptions& options) {
  auto bytes = test::encode_to_vector(view, options);
  INFO((bytes ? std::string() : bytes.error().message));
  REQUIRE(bytes.ok());
  return std::move(bytes).value();
}

OwnedImage decode_ok(const Bytes& bytes, int band_rows = 16, const DecodeOptions& options = {}) {
  auto image = test::decode_whole(InputBytes::from_vector(bytes, "test.jpg"), options, band_rows);
  INFO((image ? std::string() : image.error().message));
  REQUIRE(image.ok());
  return std::move(image).value();
}

Bytes jpeg_file(const std::string& name) {
  return test::read_file(test::data_path("jpeg/" + name));
}

ImageHeader header_of(const Bytes& bytes) {
  auto decoder = open_decoder(InputBytes::from_vector(bytes, "test.jpg"));
  INFO((decoder ? std::string() : decoder.error().message));
  REQUIRE(decoder.ok());
  return (*decoder)->header();
}

// Copies a view into packed rows (stride = width * channels).
OwnedImage packed_copy(const ImageView& view) {
  OwnedImage image{view.width, view.height, view.format, {}};
  image.pixels.resize(image.stride() * static_cast<std::size_t>(view.height));
  for (int y = 0; y < view.height; ++y) {
    std::memcpy(image.pixels.data() + static_cast<std::size_t>(y) * image.stride(), view.row(y),
                view.row_bytes());
  }
  return image;
}

// Keeps every pixel's first `keep` of its `from` channels: rgba -> rgb, gray+alpha -> gray.
OwnedImage drop_channels(const OwnedImage& source, PixelFormat to) {
  OwnedImage image{source.width, source.height, to, {}};
  const int from = channel_count(source.format);
  const int keep = channel_count(to);
  const std::size_t pixels =
      static_cast<std::size_t>(source.width) * static_cast<std::size_t>(source.height);
  image.pixels.resize(pixels * static_cast<std::size_t>(keep));
  for (std::size_t i = 0; i < pixels; ++i) {
    for (int c = 0; c < keep; ++c) image.pixels[i * keep + c] = source.pixels[i * from + c];
  }
  return image;
}

// Markers of the stream up to the first SOS, in order (0xE0 for APP0 and so on).
std::vector<int> header_markers(const Bytes& jpeg) {
  std::vector<int> markers;
  std::size_t i = 2;
  while (i + 4 <= jpeg.size() && jpeg[i] == 0xff) {
    const int marker = jpeg[i + 1];
    markers.push_back(marker);
    if (marker == 0xda) break;
    i += 2 + (static_cast<std::size_t>(jpeg[i + 2]) << 8 | jpeg[i + 3]);
  }
  return markers;
}

std::size_t start_of_scan(const Bytes& jpeg) {
  for (std::size_t i = 0; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xda) return i;
  }
  return jpeg.size();
}

// ---- reference encoders that tessera's own code does not use

struct TestJpegErrors {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

void test_error_exit(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<TestJpegErrors*>(cinfo->err)->jump, 1);
}

struct RawJpegSpec {
  int width = 0;
  int height = 0;
  J_COLOR_SPACE file_space = JCS_CMYK;
  bool adobe_marker = true;
  unsigned restart_interval = 0;
};

// Compresses packed CMYK pixels with the libjpeg API; libjpeg mallocs *out.
bool compress_cmyk(const std::uint8_t* pixels, const RawJpegSpec* spec, unsigned char** out,
                   unsigned long* size) {
  jpeg_compress_struct cinfo{};
  TestJpegErrors errors{};
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = test_error_exit;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, size);
  cinfo.image_width = static_cast<JDIMENSION>(spec->width);
  cinfo.image_height = static_cast<JDIMENSION>(spec->height);
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, spec->file_space);
  for (int c = 0; c < cinfo.num_components; ++c) {  // no chroma subsampling to blur the patches
    cinfo.comp_info[c].h_samp_factor = 1;
    cinfo.comp_info[c].v_samp_factor = 1;
  }
  jpeg_set_quality(&cinfo, 100, TRUE);
  cinfo.write_Adobe_marker = spec->adobe_marker ? TRUE : FALSE;
  cinfo.restart_interval = spec->restart_interval;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels + cinfo.next_scanline *
                                                     static_cast<std::size_t>(spec->width) * 4);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

Bytes cmyk_jpeg(const Bytes& cmyk, const RawJpegSpec& spec) {
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const bool ok = compress_cmyk(cmyk.data(), &spec, &out, &size);
  Bytes bytes(out, out + (ok ? size : 0));
  std::free(out);
  REQUIRE(ok);
  return bytes;
}

// TurboJPEG at the accurate DCT: 4:2:0 for rgb, gray for gray.
Bytes turbojpeg_accurate(const ImageView& view, int quality) {
  const bool gray = view.format == PixelFormat::kGray8;
  const int subsampling = gray ? TJSAMP_GRAY : TJSAMP_420;
  tjhandle handle = tjInitCompress();
  REQUIRE(handle != nullptr);
  unsigned long size = tjBufSize(view.width, view.height, subsampling);
  Bytes buffer(size);
  unsigned char* out = buffer.data();
  const int rc = tjCompress2(handle, view.data, view.width, static_cast<int>(view.stride),
                             view.height, gray ? TJPF_GRAY : TJPF_RGB, &out, &size, subsampling,
                             quality, TJFLAG_ACCURATEDCT | TJFLAG_NOREALLOC);
  tjDestroy(handle);
  REQUIRE(rc == 0);
  buffer.resize(size);
  return buffer;
}

// The libjpeg-turbo reference files that an 8-bit libjpeg reads, plus streams made here
// that cover what those files do not: progressive, restart markers, CMYK.
std::vector<std::pair<std::string, Bytes>> decodable_corpus() {
  std::vector<std::pair<std::string, Bytes>> corpus;
  for (const char* name : {"testorig.jpg", "testimgint.jpg", "testimgari.jpg"}) {
    corpus.emplace_back(name, jpeg_file(name));
  }
  const OwnedImage demo = make_demo_image(97, 61, PixelFormat::kRgb8, 5);
  EncodeOptions progressive = jpeg_options(85, JpegSubsampling::k422);
  progressive.jpeg.progressive = true;
  corpus.emplace_back("made progressive", encode_ok(demo.view(), progressive));
  const Bytes cmyk = test::random_image(40, 23, PixelFormat::kRgba8, 3).pixels;
  corpus.emplace_back("made CMYK with restarts",
                      cmyk_jpeg(cmyk, RawJpegSpec{40, 23, JCS_CMYK, true, 2}));
  return corpus;
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Encoding

TEST_CASE("JPEG 4:4:4 q95 crops of natural images from strided views keep their quality",
          "[codec][jpeg]") {
  const OwnedImage photo = decode_ok(jpeg_file("testorig.jpg"));
  const OwnedImage demo = make_demo_image(320, 240, PixelFormat::kRgb8, 7);
  const EncodeOptions options = jpeg_options(95, JpegSubsampling::k444);
  // The demo image carries +-16 levels of per-pixel white grain, which q95 quantisation
  // smooths away: it lands at 39.7..40.1 dB depending on the seed, so it gets a 38 dB floor.
  const std::pair<const OwnedImage*, double> sources[] = {{&photo, 40.0}, {&demo, 38.0}};
  for (const auto& [source, floor_db] : sources) {
    const ImageView crop = source->view().crop(31, 17, 150, 101);  // stride is the full width
    REQUIRE(crop.stride > crop.row_bytes());
    const Bytes bytes = encode_ok(crop, options);
    const OwnedImage decoded = decode_ok(bytes);
    REQUIRE(decoded.width == 150);
    REQUIRE(decoded.height == 101);
    CHECK(decoded.format == PixelFormat::kRgb8);
    CHECK(test::psnr(decoded.view(), crop) >= floor_db);
    // Reading through the stride must be the same as reading a packed copy.
    CHECK((encode_ok(packed_copy(crop).view(), options) == bytes));
  }
}

TEST_CASE("JPEG crops of odd sizes decode to the right size, in gray and 4:2:0", "[codec][jpeg]") {
  const OwnedImage rgb = make_demo_image(64, 48, PixelFormat::kRgb8, 11);
  const OwnedImage gray = make_demo_image(64, 48, PixelFormat::kGray8, 11);
  const std::pair<int, int> sizes[] = {{1, 1}, {1, 37}, {37, 1}, {17, 33}};
  for (const auto& [w, h] : sizes) {
    for (const OwnedImage* source : {&rgb, &gray}) {
      INFO(w << "x" << h << " " << to_string(source->format));
      const ImageView crop = source->view().crop(5, 3, w, h);
      const Bytes bytes = encode_ok(crop, jpeg_options(90, JpegSubsampling::k420));
      const OwnedImage decoded = decode_ok(bytes);
      CHECK(decoded.width == w);
      CHECK(decoded.height == h);
      CHECK(decoded.format == source->format);
      // Tiny 4:2:0 crops of a grainy picture lose a lot (25 dB and up), so the real check of
      // the edge handling is that TurboJPEG makes the very same stream.
      CHECK(test::psnr(decoded.view(), crop) >= 22.0);
      CHECK((bytes == turbojpeg_accurate(crop, 90)));
    }
  }
}

TEST_CASE("JPEG of rgba and gray+alpha input ignores alpha", "[codec][jpeg]") {
  const OwnedImage rgba = make_demo_image(83, 45, PixelFormat::kRgba8, 2);
  const OwnedImage gray_alpha = make_demo_image(83, 45, PixelFormat::kGrayAlpha8, 2);
  const OwnedImage rgb = drop_channels(rgba, PixelFormat::kRgb8);
  const OwnedImage gray = drop_channels(gray_alpha, PixelFormat::kGray8);
  const EncodeOptions options = jpeg_options(95, JpegSubsampling::k444);

  const Bytes from_rgba = encode_ok(rgba.view().crop(3, 2, 70, 40), options);
  const Bytes from_gray_alpha = encode_ok(gray_alpha.view().crop(3, 2, 70, 40), options);
  // Floors sit under the demo image's grain limit at q95 (see the 4:4:4 test above).
  CHECK(test::psnr(decode_ok(from_rgba).view(), rgb.view().crop(3, 2, 70, 40)) >= 36.0);
  CHECK(test::psnr(decode_ok(from_gray_alpha).view(), gray.view().crop(3, 2, 70, 40)) >= 36.0);
  // Alpha is dropped before anything else happens, so the bytes match the alpha-free input.
  CHECK((from_rgba == encode_ok(rgb.view().crop(3, 2, 70, 40), options)));
  CHECK((from_gray_alpha == encode_ok(gray.view().crop(3, 2, 70, 40), options)));
}

TEST_CASE("JPEG options reach libjpeg", "[codec][jpeg]") {
  const OwnedImage demo = make_demo_image(128, 96, PixelFormat::kRgb8, 4);
  const Bytes plain = encode_ok(demo.view(), jpeg_options(90, JpegSubsampling::k420));

  SECTION("defaults: baseline, JFIF only, 4:2:0, no restart markers") {
    CHECK(header_markers(plain) ==
          std::vector<int>{0xe0, 0xdb, 0xdb, 0xc0, 0xc4, 0xc4, 0xc4, 0xc4, 0xda});
    const ImageHeader header = header_of(plain);
    CHECK(header.subsampling == ChromaSubsampling::k420);
    CHECK_FALSE(header.progressive);
    CHECK_FALSE(header.restart_markers);
  }
  SECTION("subsampling") {
    CHECK(header_of(encode_ok(demo.view(), jpeg_options(90, JpegSubsampling::k444))).subsampling ==
          ChromaSubsampling::k444);
    CHECK(header_of(encode_ok(demo.view(), jpeg_options(90, JpegSubsampling::k422))).subsampling ==
          ChromaSubsampling::k422);
    const ImageHeader gray =
        header_of(encode_ok(demo.view(), jpeg_options(90, JpegSubsampling::kGray)));
    CHECK(gray.subsampling == ChromaSubsampling::kGray);
    CHECK(gray.format == PixelFormat::kGray8);
    CHECK(gray.file_channels == 1);
  }
  SECTION("progressive") {
    EncodeOptions options = jpeg_options(90, JpegSubsampling::k420);
    options.jpeg.progressive = true;
    const Bytes progressive = encode_ok(demo.view(), options);
    CHECK(header_of(progressive).progressive);
    CHECK(test::psnr(decode_ok(progressive).view(), decode_ok(plain).view()) >= 45.0);
  }
  SECTION("optimised Huffman tables shrink the file, not the pixels") {
    EncodeOptions options = jpeg_options(90, JpegSubsampling::k420);
    options.jpeg.optimize_huffman = true;
    const Bytes optimised = encode_ok(demo.view(), options);
    CHECK(optimised.size() < plain.size());
    CHECK(test::same_pixels(decode_ok(optimised).view(), decode_ok(plain).view()));
  }
  SECTION("fast DCT is a different transform") {
    EncodeOptions options = jpeg_options(90, JpegSubsampling::k420);
    options.jpeg.fast_dct = true;
    const Bytes fast = encode_ok(demo.view(), options);
    CHECK((fast != plain));
    CHECK(test::psnr(decode_ok(fast).view(), demo.view()) >=
          test::psnr(decode_ok(plain).view(), demo.view()) - 1.0);
  }
  SECTION("quality") {
    const Bytes low = encode_ok(demo.view(), jpeg_options(20, JpegSubsampling::k420));
    CHECK(low.size() < plain.size());
  }
}

TEST_CASE("JPEG encoder matches TurboJPEG at equal settings", "[codec][jpeg]") {
  const OwnedImage demo = make_demo_image(230, 151, PixelFormat::kRgb8, 9);
  const ImageView crop = demo.view().crop(1, 1, 227, 149);
  for (int quality : {50, 75, 90, 95}) {
    INFO("quality " << quality);
    const Bytes ours = encode_ok(crop, jpeg_options(quality, JpegSubsampling::k420));
    const Bytes reference = turbojpeg_accurate(crop, quality);
    // Both drive the same libjpeg with the same defaults, so the streams are identical.
    CHECK((ours == reference));
    CHECK(test::same_pixels(decode_ok(ours).view(), decode_ok(reference).view()));
  }
}

TEST_CASE("JPEG worst-case size bound holds for random pixels at q100", "[codec][jpeg]") {
  const std::pair<int, int> sizes[] = {{1, 1}, {7, 5}, {16, 16}, {64, 64}, {333, 129}};
  const JpegSubsampling subsamplings[] = {JpegSubsampling::k444, JpegSubsampling::k422,
                                          JpegSubsampling::k420, JpegSubsampling::kGray};
  for (const auto& [w, h] : sizes) {
    for (PixelFormat format : {PixelFormat::kRgb8, PixelFormat::kGray8}) {
      const OwnedImage noise =
          test::random_image(w, h, format, static_cast<std::uint64_t>(w * 1000 + h));
      for (JpegSubsampling subsampling : subsamplings) {
        for (bool progressive_optimised : {false, true}) {
          EncodeOptions options = jpeg_options(100, subsampling);
          options.jpeg.progressive = progressive_optimised;
          options.jpeg.optimize_huffman = progressive_optimised;
          const std::size_t bound = max_encoded_size(w, h, format, options);
          INFO(w << "x" << h << " " << to_string(format) << " subsampling "
                 << static_cast<int>(subsampling)
                 << (progressive_optimised ? " progressive+optimised" : " baseline") << " bound "
                 << bound);
          // encode_to_vector offers exactly `bound` bytes; more would fail with kBufferTooSmall.
          const Bytes bytes = encode_ok(noise.view(), options);
          CHECK(bytes.size() <= bound);
        }
      }
    }
  }
}

TEST_CASE("JPEG encoder reports an undersized buffer and stays usable", "[codec][jpeg]") {
  const OwnedImage demo = make_demo_image(120, 80, PixelFormat::kRgb8, 6);
  const EncodeOptions options = jpeg_options(90, JpegSubsampling::k420);
  const Bytes expected = encode_ok(demo.view(), options);
  const std::size_t n = expected.size();
  auto encoder = make_encoder(OutputFormat::kJpeg);

  constexpr std::uint8_t kCanary = 0xa5;
  for (std::size_t capacity : {std::size_t{0}, std::size_t{1}, std::size_t{100}, n / 2, n - 1}) {
    INFO("capacity " << capacity);
    Bytes buffer(n + 256, kCanary);
    auto result =
        encoder->encode(demo.view(), options, std::span<std::uint8_t>(buffer.data(), capacity));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kBufferTooSmall);
    CHECK(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(capacity), buffer.end(),
                      [](std::uint8_t b) { return b == kCanary; }));
  }
  // Exactly enough room is enough, and the failures above left no state behind.
  Bytes exact(n);
  auto size = encoder->encode(demo.view(), options, exact);
  REQUIRE(size.ok());
  CHECK(*size == n);
  CHECK((exact == expected));
}

TEST_CASE("JPEG encoder reused across crops forgets earlier options", "[codec][jpeg]") {
  const OwnedImage demo = make_demo_image(90, 70, PixelFormat::kRgb8, 8);
  const OwnedImage gray = make_demo_image(50, 30, PixelFormat::kGrayAlpha8, 8);
  EncodeOptions fancy = jpeg_options(60, JpegSubsampling::k444);
  fancy.jpeg.progressive = true;
  fancy.jpeg.optimize_huffman = true;
  fancy.jpeg.fast_dct = true;
  const EncodeOptions plain = jpeg_options(90, JpegSubsampling::k420);
  const Bytes fresh = encode_ok(demo.view(), plain);

  auto encoder = make_encoder(OutputFormat::kJpeg);
  Bytes buffer(max_encoded_size(90, 70, PixelFormat::kRgb8, fancy));
  REQUIRE(encoder->encode(demo.view(), fancy, buffer).ok());
  REQUIRE(encoder->encode(gray.view(), fancy, buffer).ok());
  auto size = encoder->encode(demo.view(), plain, buffer);
  REQUIRE(size.ok());
  CHECK((Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*size)) == fresh));
}

TEST_CASE("JPEG encoder rejects impossible requests", "[codec][jpeg]") {
  const OwnedImage demo = make_demo_image(8, 8, PixelFormat::kRgb8, 1);
  auto encoder = make_encoder(OutputFormat::kJpeg);
  Bytes buffer(4096);
  auto bad_quality = encoder->encode(demo.view(), jpeg_options(0, JpegSubsampling::k420), buffer);
  REQUIRE_FALSE(bad_quality.ok());
  CHECK(bad_quality.error().code == ErrorCode::kInvalidArgument);
  auto empty_view = encoder->encode(ImageView{}, jpeg_options(90, JpegSubsampling::k420), buffer);
  REQUIRE_FALSE(empty_view.ok());
  CHECK(empty_view.error().code == ErrorCode::kInvalidArgument);
  CHECK(max_encoded_size(0, 5, PixelFormat::kRgb8, EncodeOptions{}) == 0);
}

// ------------------------------------------------------------------------------------------
// Decoding

TEST_CASE("JPEG headers of the libjpeg-turbo reference files", "[codec][jpeg]") {
  const ImageHeader orig = header_of(jpeg_file("testorig.jpg"));
  CHECK(orig.width == 227);
  CHECK(orig.height == 149);
  CHECK(orig.file_channels == 3);
  CHECK(orig.format == PixelFormat::kRgb8);
  CHECK(orig.container == ContainerFormat::kJpeg);
  CHECK(orig.subsampling == ChromaSubsampling::k420);
  CHECK_FALSE(orig.progressive);
  CHECK_FALSE(orig.restart_markers);
  CHECK(orig.streamable);

  // testimgint.jpg is baseline (SOF0) in this copy, whatever its name suggests.
  const ImageHeader interleaved = header_of(jpeg_file("testimgint.jpg"));
  CHECK(interleaved.width == 227);
  CHECK(interleaved.subsampling == ChromaSubsampling::k420);
  CHECK_FALSE(interleaved.progressive);

  const ImageHeader arithmetic = header_of(jpeg_file("testimgari.jpg"));
  CHECK(arithmetic.width == 227);
  CHECK(arithmetic.height == 149);
  CHECK(arithmetic.subsampling == ChromaSubsampling::k420);
  CHECK(arithmetic.streamable);
}

TEST_CASE("JPEG reference files decode to the same picture", "[codec][jpeg]") {
  const OwnedImage orig = decode_ok(jpeg_file("testorig.jpg"));
  // The same picture coded three ways: Huffman, Huffman again, arithmetic.
  CHECK(test::psnr(decode_ok(jpeg_file("testimgint.jpg")).view(), orig.view()) >= 35.0);
  CHECK(test::psnr(decode_ok(jpeg_file("testimgari.jpg")).view(), orig.view()) >= 35.0);
}

TEST_CASE("JPEG 12-bit files fail cleanly", "[codec][jpeg]") {
  auto decoder = open_decoder(InputBytes::from_vector(jpeg_file("monkey12.jpg"), "monkey12.jpg"));
  REQUIRE_FALSE(decoder.ok());
  CHECK(decoder.error().code == ErrorCode::kUnsupportedFormat);
  CHECK_THAT(decoder.error().message,
             Catch::Contains("monkey12.jpg") && Catch::Contains("precision 12"));
}

TEST_CASE("JPEG band height does not change the decoded pixels", "[codec][jpeg]") {
  for (const auto& [name, bytes] : decodable_corpus()) {
    INFO(name);
    const OwnedImage whole = decode_ok(bytes, 1 << 20);
    for (int band : {1, 2, 3, 7, 16, 64}) {
      INFO("band " << band);
      CHECK(test::same_pixels(decode_ok(bytes, band).view(), whole.view()));
    }
  }
}

TEST_CASE("JPEG decoder writes rows at the caller's stride and no further", "[codec][jpeg]") {
  const Bytes bytes = jpeg_file("testorig.jpg");
  const OwnedImage packed = decode_ok(bytes);
  auto decoder = open_decoder(InputBytes::from_vector(bytes, "testorig.jpg"));
  REQUIRE(decoder.ok());
  const std::size_t stride = packed.stride() + 13;
  constexpr std::uint8_t kCanary = 0x5a;
  Bytes window(stride * 149, kCanary);
  int total = 0;
  while (true) {
    auto rows =
        (*decoder)->read_rows(window.data() + static_cast<std::size_t>(total) * stride, stride, 10);
    REQUIRE(rows.ok());
    if (*rows == 0) break;
    total += *rows;
  }
  CHECK(total == 149);
  CHECK((*decoder)->rows_read() == 149);
  CHECK(test::same_pixels(ImageView{window.data(), 227, 149, stride, PixelFormat::kRgb8},
                          packed.view()));
  bool padding_untouched = true;
  for (int y = 0; y < 149; ++y) {
    const auto* pad = window.data() + static_cast<std::size_t>(y) * stride + packed.stride();
    padding_untouched &= std::all_of(pad, pad + 13, [](std::uint8_t b) { return b == kCanary; });
  }
  CHECK(padding_untouched);
}

TEST_CASE("JPEG restart markers are reported", "[codec][jpeg]") {
  const Bytes cmyk = test::random_image(32, 16, PixelFormat::kRgba8, 1).pixels;
  CHECK(header_of(cmyk_jpeg(cmyk, RawJpegSpec{32, 16, JCS_CMYK, true, 1})).restart_markers);
  CHECK_FALSE(header_of(cmyk_jpeg(cmyk, RawJpegSpec{32, 16, JCS_CMYK, true, 0})).restart_markers);
}

TEST_CASE("JPEG CMYK and YCCK decode to RGB", "[codec][jpeg]") {
  // Flat 8x8 patches, so that q100 reproduces the ink values almost exactly.
  constexpr int kW = 32;
  constexpr int kH = 8;
  const std::uint8_t inks[4][4] = {
      {0, 0, 0, 0}, {255, 0, 0, 0}, {40, 120, 200, 60}, {10, 20, 30, 255}};
  Bytes cmyk(kW * kH * 4);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) std::memcpy(&cmyk[(y * kW + x) * 4], inks[x / 8], 4);
  }
  // Adobe files store 255 - ink; plain CMYK stores the ink itself.
  Bytes inverted = cmyk;
  for (auto& v : inverted) v = static_cast<std::uint8_t>(255 - v);
  auto expected_rgb = [&](int patch, int channel) {
    return (255 - inks[patch][channel]) * (255 - inks[patch][3]) / 255.0;
  };

  struct Case {
    const char* name;
    const Bytes* stored;
    RawJpegSpec spec;
  };
  const Case cases[] = {{"Adobe CMYK", &inverted, {kW, kH, JCS_CMYK, true, 0}},
                        {"Adobe YCCK", &inverted, {kW, kH, JCS_YCCK, true, 0}},
                        {"plain CMYK", &cmyk, {kW, kH, JCS_CMYK, false, 0}}};
  for (const Case& c : cases) {
    INFO(c.name);
    const Bytes jpeg = cmyk_jpeg(*c.stored, c.spec);
    const ImageHeader header = header_of(jpeg);
    CHECK(header.file_channels == 4);
    CHECK(header.format == PixelFormat::kRgb8);
    const OwnedImage rgb = decode_ok(jpeg, 3);
    REQUIRE(rgb.width == kW);
    double worst = 0;
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        for (int ch = 0; ch < 3; ++ch) {
          const double got = rgb.pixels[(static_cast<std::size_t>(y) * kW + x) * 3 + ch];
          worst = std::max(worst, std::abs(got - expected_rgb(x / 8, ch)));
        }
      }
    }
    CHECK(worst <= 3.0);
  }
}

// ------------------------------------------------------------------------------------------
// Damaged and hostile input

TEST_CASE("JPEG truncated files fail by default and decode with allow_truncated", "[codec][jpeg]") {
  const Bytes whole = jpeg_file("testorig.jpg");
  const std::size_t sos = start_of_scan(whole);
  for (std::size_t cut :
       {sos + 20, (sos + whole.size()) / 2, whole.size() - 200, whole.size() - 2}) {
    INFO("cut at " << cut << " of " << whole.size());
    const Bytes truncated(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    auto strict = test::decode_whole(InputBytes::from_vector(truncated, "cut.jpg"));
    REQUIRE_FALSE(strict.ok());
    CHECK(strict.error().code == ErrorCode::kTruncatedData);
    CHECK_THAT(strict.error().message, Catch::Contains("cut.jpg"));

    DecodeOptions lenient;
    lenient.allow_truncated = true;
    auto decoder = open_decoder(InputBytes::from_vector(truncated, "cut.jpg"), lenient);
    REQUIRE(decoder.ok());
    OwnedImage image{227, 149, PixelFormat::kRgb8, Bytes(227 * 3 * 149)};
    auto rows = (*decoder)->read_rows(image.pixels.data(), image.stride(), 149);
    REQUIRE(rows.ok());
    CHECK(*rows == 149);
    CHECK_THAT((*decoder)->warnings(), Catch::Contains("Premature end of JPEG file"));
  }
  SECTION("cut inside the header") {
    const Bytes head(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(sos / 2));
    auto decoder = open_decoder(InputBytes::from_vector(head, "head.jpg"));
    REQUIRE_FALSE(decoder.ok());
    CHECK(decoder.error().code == ErrorCode::kTruncatedData);
  }
}

TEST_CASE("JPEG with flipped bits fails or decodes, never crashes", "[codec][jpeg]") {
  std::uint64_t state = 0x243f6a8885a308d3ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int failures = 0;
  int attempts = 0;
  for (const auto& [name, original] : decodable_corpus()) {
    for (int round = 0; round < 60; ++round) {
      Bytes damaged = original;
      for (int flip = 0; flip < 1 + round % 4; ++flip) {
        damaged[next() % damaged.size()] ^= static_cast<std::uint8_t>(1u << (next() % 8));
      }
      for (bool allow : {false, true}) {
        DecodeOptions options;
        options.allow_truncated = allow;
        options.max_pixels = 1 << 22;  // a flipped size field must not cost gigabytes here
        ++attempts;
        failures +=
            test::decode_whole(InputBytes::from_vector(damaged, name), options, 5).ok() ? 0 : 1;
      }
    }
  }
  // Reaching this line is the test; the counts only show that both outcomes happen.
  CHECK(failures > 0);
  CHECK(failures < attempts);
}

TEST_CASE("JPEG header claiming 65500x65500 in a few bytes fails fast", "[codec][jpeg]") {
  Bytes hostile = {0xff, 0xd8,                     // SOI
                   0xff, 0xdb, 0x00, 0x43, 0x00};  // DQT, table 0
  hostile.insert(hostile.end(), 64, 1);
  const Bytes frame = {0xff, 0xc0, 0x00, 0x0b, 0x08, 0xff, 0xdc, 0xff, 0xdc,  // SOF0 65500x65500
                       0x01, 0x01, 0x11, 0x00,                                // one component
                       0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,  // SOS
                       0x12, 0x34, 0x56, 0x78, 0xff, 0xd9};
  hostile.insert(hostile.end(), frame.begin(), frame.end());

  auto limited = open_decoder(InputBytes::from_vector(hostile, "bomb.jpg"));
  REQUIRE_FALSE(limited.ok());
  CHECK(limited.error().code == ErrorCode::kTooLarge);
  CHECK_THAT(limited.error().message,
             Catch::Contains("bomb.jpg") && Catch::Contains("65500x65500"));

  DecodeOptions unlimited;
  unlimited.max_pixels = std::uint64_t{1} << 34;
  auto unlimited_result = open_decoder(InputBytes::from_vector(hostile, "bomb.jpg"), unlimited);
  REQUIRE_FALSE(unlimited_result.ok());
  CHECK(unlimited_result.error().code == ErrorCode::kTruncatedData);
  CHECK_THAT(unlimited_result.error().message,
             Catch::Contains("65500x65500") && Catch::Contains("6 bytes"));
}

TEST_CASE("JPEG magic followed by garbage is an error", "[codec][jpeg]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Bytes garbage = test::random_image(1000, 1, PixelFormat::kGray8, seed).pixels;
    garbage[0] = 0xff;
    garbage[1] = 0xd8;
    garbage[2] = 0xff;
    auto image = test::decode_whole(InputBytes::from_vector(garbage, "garbage.jpg"));
    REQUIRE_FALSE(image.ok());
    CHECK(image.error().code != ErrorCode::kInternal);
    CHECK_THAT(image.error().message, Catch::Contains("garbage.jpg"));
  }
  for (const Bytes& stub :
       {Bytes{0xff, 0xd8, 0xff}, Bytes{0xff, 0xd8, 0xff, 0xe0}, Bytes{0xff, 0xd8, 0xff, 0xd9}}) {
    auto decoder = open_decoder(InputBytes::from_vector(stub, "stub.jpg"));
    REQUIRE_FALSE(decoder.ok());
    CHECK(decoder.error().code != ErrorCode::kInternal);
  }
}

}  // namespace tessera
