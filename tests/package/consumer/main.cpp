// Encodes a picture into a PNG, cuts it into 16x16 JPEG crops through the installed
// tessera::encode_crops, and checks that every crop came back. Exits 1 on any mismatch.
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/engine.hpp"
#include "tessera/version.hpp"

namespace {

int fail(std::string_view what) {
  std::fprintf(stderr, "tessera_consumer: %.*s\n", static_cast<int>(what.size()), what.data());
  return 1;
}

bool is_jpeg(const std::vector<std::uint8_t>& bytes) {
  return bytes.size() > 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 &&
         bytes[bytes.size() - 2] == 0xFF && bytes[bytes.size() - 1] == 0xD9;
}

}  // namespace

int main() {
  constexpr int kWidth = 64;
  constexpr int kHeight = 48;
  constexpr std::size_t kExpectedCrops = (kWidth / 16) * (kHeight / 16);
  if (tessera::kVersion != TESSERA_PACKAGE_VERSION)
    return fail("tessera/version.hpp disagrees with the package");

  const tessera::OwnedImage image =
      tessera::make_demo_image(kWidth, kHeight, tessera::PixelFormat::kRgb8);
  tessera::EncodeOptions png;
  png.format = tessera::OutputFormat::kPng;
  std::vector<std::uint8_t> source(tessera::max_encoded_size(kWidth, kHeight, image.format, png));
  const auto size = tessera::make_encoder(png.format)->encode(image.view(), png, source);
  if (!size) return fail(size.error().message);
  source.resize(*size);

  tessera::GridSpec grid;
  grid.tile_width = 16;
  grid.tile_height = 16;
  const auto crops =
      tessera::encode_crops(tessera::InputBytes::from_vector(std::move(source), "demo.png"), grid);
  if (!crops) return fail(crops.error().message);
  if (crops->size() != kExpectedCrops) return fail("wrong number of crops");
  for (const tessera::EncodedCrop& crop : *crops) {
    if (!is_jpeg(crop.bytes)) return fail("a crop is not a JPEG");
  }
  std::printf("tessera %.*s: %zu crops\n", static_cast<int>(tessera::kVersion.size()),
              tessera::kVersion.data(), crops->size());
  return 0;
}
