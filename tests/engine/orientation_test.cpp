// EXIF orientation: the JPEG decoder reads the tag from hand-made APP1 segments (both byte
// orders, malformed offsets), and the engine cuts crops in the upright image only when asked.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tessera/engine/engine.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::test;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& out, std::uint16_t value, bool big) {
  if (big) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
  } else {
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
    out.push_back(static_cast<std::uint8_t>(value >> 8));
  }
}

void put32(Bytes& out, std::uint32_t value, bool big) {
  put16(out, static_cast<std::uint16_t>(big ? value >> 16 : value & 0xffff), big);
  put16(out, static_cast<std::uint16_t>(big ? value & 0xffff : value >> 16), big);
}

struct IfdEntry {
  std::uint16_t tag;
  std::uint16_t type;
  std::uint32_t count;
  std::uint16_t value;
};

// "Exif\0\0" + a TIFF header + IFD0 at `ifd_offset` holding `entries`.
Bytes exif_payload(bool big, const std::vector<IfdEntry>& entries, std::uint32_t ifd_offset = 8) {
  Bytes out = {'E', 'x', 'i', 'f', 0, 0};
  out.push_back(big ? 'M' : 'I');
  out.push_back(big ? 'M' : 'I');
  put16(out, 42, big);
  put32(out, ifd_offset, big);
  while (out.size() < 6 + static_cast<std::size_t>(ifd_offset) && ifd_offset < 64) out.push_back(0);
  put16(out, static_cast<std::uint16_t>(entries.size()), big);
  for (const IfdEntry& e : entries) {
    put16(out, e.tag, big);
    put16(out, e.type, big);
    put32(out, e.count, big);
    put16(out, e.value, big);
    put16(out, 0, big);
  }
  put32(out, 0, big);  // no next IFD
  return out;
}

Bytes orientation_payload(int orientation, bool big) {
  // A harmless tag first, so the parser has to walk the IFD.
  return exif_payload(big,
                      {{0x010f, 2, 1, 0}, {0x0112, 3, 1, static_cast<std::uint16_t>(orientation)}});
}

// Puts an APP1 segment right after SOI.
Bytes with_app1(const Bytes& jpeg, const Bytes& payload) {
  REQUIRE(jpeg.size() > 2);
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  out.push_back(0xff);
  out.push_back(0xe1);
  put16(out, static_cast<std::uint16_t>(payload.size() + 2), true);
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

Bytes small_jpeg(int width, int height, std::uint64_t seed = 5) {
  const OwnedImage image = make_demo_image(width, height, PixelFormat::kRgb8, seed);
  EncodeOptions options;
  options.jpeg.quality = 95;
  options.jpeg.subsampling = JpegSubsampling::k444;
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  return *bytes;
}

int orientation_of(const Bytes& jpeg) {
  auto decoder = open_decoder(InputBytes::borrow(jpeg, "exif.jpg"));
  REQUIRE(decoder.ok());
  return (*decoder)->header().orientation;
}

// Where upright pixel (u, v) comes from in a stored image of width w and height h, per the
// EXIF definition of each orientation.
std::pair<int, int> stored_position(int orientation, int u, int v, int w, int h) {
  switch (orientation) {
    case 2: return {w - 1 - u, v};
    case 3: return {w - 1 - u, h - 1 - v};
    case 4: return {u, h - 1 - v};
    case 5: return {v, u};
    case 6: return {v, h - 1 - u};
    case 7: return {w - 1 - v, h - 1 - u};
    case 8: return {w - 1 - v, u};
    default: return {u, v};
  }
}

struct Collected {
  RunStats stats;
  JobInfo info;
  std::map<std::pair<int, int>, OwnedImage> pixels;  // crop (x, y) -> decoded PNG crop
};

// Runs one job with 1x1 PNG tiles and decodes every crop.
Collected run_pixel_tiles(const Bytes& jpeg, bool auto_orient) {
  Job job;
  job.input = InputBytes::borrow(jpeg, "oriented.jpg");
  GridSpec grid;
  grid.tile_width = grid.tile_height = 1;
  job.plan = grid;
  job.encode.format = OutputFormat::kPng;
  job.auto_orient = auto_orient;
  Collected collected;
  CallbackSink sink([&](const CropResult& crop) {
    collected.info = *crop.job;
    auto decoded =
        decode_whole(InputBytes::from_vector(Bytes(crop.bytes.begin(), crop.bytes.end())));
    REQUIRE(decoded.ok());
    collected.pixels[{crop.roi.x, crop.roi.y}] = std::move(decoded).value();
    return Status{};
  });
  EngineOptions options;
  options.threads = 2;
  collected.stats = Engine(options).run(std::span<const Job>(&job, 1), sink);
  return collected;
}

}  // namespace

TEST_CASE("EXIF orientation is read from APP1 in both byte orders", "[orientation][jpeg]") {
  const Bytes jpeg = small_jpeg(16, 8);
  CHECK(orientation_of(jpeg) == 1);
  for (bool big : {false, true}) {
    for (int orientation = 1; orientation <= 8; ++orientation) {
      INFO("orientation " << orientation << (big ? " big-endian" : " little-endian"));
      CHECK(orientation_of(with_app1(jpeg, orientation_payload(orientation, big))) == orientation);
    }
  }
}

TEST_CASE("malformed EXIF segments give orientation 1 and never fail the decode",
          "[orientation][jpeg]") {
  const Bytes jpeg = small_jpeg(16, 8);
  for (bool big : {false, true}) {
    INFO((big ? "big-endian" : "little-endian"));
    // Out-of-range values.
    CHECK(orientation_of(with_app1(jpeg, orientation_payload(0, big))) == 1);
    CHECK(orientation_of(with_app1(jpeg, orientation_payload(9, big))) == 1);
    CHECK(orientation_of(with_app1(jpeg, orientation_payload(0xffff, big))) == 1);
    // Wrong type (LONG) or count for the tag.
    CHECK(orientation_of(with_app1(jpeg, exif_payload(big, {{0x0112, 4, 1, 6}}))) == 1);
    CHECK(orientation_of(with_app1(jpeg, exif_payload(big, {{0x0112, 3, 2, 6}}))) == 1);
    // IFD0 offset past the end of the segment, and one near 2^32 that must not wrap.
    CHECK(orientation_of(with_app1(jpeg, exif_payload(big, {{0x0112, 3, 1, 6}}, 4000))) == 1);
    CHECK(orientation_of(with_app1(jpeg, exif_payload(big, {{0x0112, 3, 1, 6}}, 0xfffffff0u))) ==
          1);
    // An entry count far larger than the segment: the walk stops at the segment's end, and an
    // entry that does lie inside is still found.
    for (const std::uint16_t tag : {std::uint16_t{0x010f}, std::uint16_t{0x0112}}) {
      Bytes many = exif_payload(big, {{tag, 3, 1, 6}});
      many[6 + 8 + (big ? 0 : 1)] = 0xff;
      many[6 + 8 + (big ? 1 : 0)] = 0xf0;
      CHECK(orientation_of(with_app1(jpeg, many)) == (tag == 0x0112 ? 6 : 1));
    }
    // The segment cut short in the middle of the orientation entry.
    Bytes cut = orientation_payload(6, big);
    cut.resize(6 + 8 + 2 + 12 + 6);
    CHECK(orientation_of(with_app1(jpeg, cut)) == 1);
  }
  // Not TIFF at all, and an APP1 that is not EXIF (XMP).
  CHECK(orientation_of(
            with_app1(jpeg, Bytes{'E', 'x', 'i', 'f', 0, 0, 'X', 'X', 0, 42, 0, 0, 0, 8})) == 1);
  const std::string xmp = "http://ns.adobe.com/xap/1.0/";
  CHECK(orientation_of(with_app1(jpeg, Bytes(xmp.begin(), xmp.end()))) == 1);
}

TEST_CASE("random EXIF payloads never crash the header reader", "[orientation][jpeg]") {
  const Bytes jpeg = small_jpeg(16, 8);
  std::mt19937_64 random(20240601);
  for (int variant = 0; variant < 300; ++variant) {
    Bytes payload = orientation_payload(6, variant % 2 == 0);
    // Corrupt a few bytes after the signature, then maybe cut the segment.
    for (int flips = 0; flips < 4; ++flips) {
      const std::size_t at = 6 + random() % (payload.size() - 6);
      payload[at] = static_cast<std::uint8_t>(random());
    }
    if (random() % 3 == 0) payload.resize(6 + random() % (payload.size() - 6));
    auto decoder = open_decoder(InputBytes::borrow(with_app1(jpeg, payload), "fuzzed.jpg"));
    REQUIRE(decoder.ok());
    const int orientation = (*decoder)->header().orientation;
    CHECK(orientation >= 1);
    CHECK(orientation <= 8);
  }
}

TEST_CASE("without auto-orient crops are cut from the pixels as stored", "[orientation][engine]") {
  const Bytes jpeg = with_app1(small_jpeg(3, 2), orientation_payload(6, false));
  auto source = decode_whole(InputBytes::borrow(jpeg));
  REQUIRE(source.ok());
  const Collected run = run_pixel_tiles(jpeg, false);
  CHECK(run.stats.crops == 6);
  CHECK(run.info.image_width == 3);
  CHECK(run.info.image_height == 2);
  for (const auto& [position, crop] : run.pixels) {
    const auto [x, y] = position;
    CHECK(same_pixels(crop.view(), source->view().crop(x, y, 1, 1)));
  }
}

TEST_CASE("auto-orient cuts in the upright image for all eight orientations",
          "[orientation][engine]") {
  constexpr int kWidth = 3;
  constexpr int kHeight = 2;
  const Bytes plain = small_jpeg(kWidth, kHeight);
  auto source = decode_whole(InputBytes::borrow(plain));
  REQUIRE(source.ok());
  for (int orientation = 1; orientation <= 8; ++orientation) {
    INFO("orientation " << orientation);
    const Bytes jpeg = with_app1(plain, orientation_payload(orientation, orientation % 2 == 0));
    const Collected run = run_pixel_tiles(jpeg, true);
    const bool swapped = orientation >= 5;
    const int width = swapped ? kHeight : kWidth;
    const int height = swapped ? kWidth : kHeight;
    CHECK(run.stats.crops == 6);
    CHECK(run.info.image_width == width);
    CHECK(run.info.image_height == height);
    REQUIRE(run.pixels.size() == 6);
    for (int v = 0; v < height; ++v) {
      for (int u = 0; u < width; ++u) {
        const auto [x, y] = stored_position(orientation, u, v, kWidth, kHeight);
        INFO("upright (" << u << ", " << v << ") from stored (" << x << ", " << y << ")");
        REQUIRE(run.pixels.count({u, v}) == 1);
        CHECK(same_pixels(run.pixels.at({u, v}).view(), source->view().crop(x, y, 1, 1)));
      }
    }
  }
}

TEST_CASE("tessera --auto-orient turns a 3x2 orientation-6 image into 2x3 crops",
          "[orientation][cli]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("tessera_orient_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Bytes jpeg = with_app1(small_jpeg(3, 2), orientation_payload(6, true));
  {
    std::ofstream out(dir / "photo.jpg", std::ios::binary);
    out.write(reinterpret_cast<const char*>(jpeg.data()),
              static_cast<std::streamsize>(jpeg.size()));
  }
  auto names = [&](const std::string& flags, const std::string& out) {
    const std::string command =
        fmt::format("cd '{}' && {} tile photo.jpg --tile 1 -f png --quiet -o {} {}", dir.string(),
                    TESSERA_CLI, out, flags);
    REQUIRE(std::system(command.c_str()) == 0);
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir / out / "photo"))
      found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    return found;
  };
  CHECK(names("", "stored") ==
        std::vector<std::string>{"0_0.png", "0_1.png", "1_0.png", "1_1.png", "2_0.png", "2_1.png"});
  CHECK(names("--auto-orient", "upright") ==
        std::vector<std::string>{"0_0.png", "0_1.png", "0_2.png", "1_0.png", "1_1.png", "1_2.png"});
  // Upright (0, 0) is the stored bottom-left pixel under orientation 6.
  auto source = decode_whole(InputBytes::borrow(jpeg));
  REQUIRE(source.ok());
  auto corner =
      decode_whole(InputBytes::from_vector(read_file((dir / "upright/photo/0_0.png").string())));
  REQUIRE(corner.ok());
  CHECK(same_pixels(corner->view(), source->view().crop(0, 1, 1, 1)));
  fs::remove_all(dir);
}
