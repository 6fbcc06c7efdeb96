// Fuzzes the whole engine through tessera::encode_crops: the first byte picks a small plan
// and the output format, the rest is the encoded input image. A tiny pixel limit keeps one
// input cheap. Every crop that comes back must decode to exactly the size of its region.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "tessera/engine/engine.hpp"

namespace {

tessera::PlanSpec plan_for(std::uint8_t choice) {
  const auto edge = static_cast<tessera::EdgePolicy>(1 + choice % 3);  // drop, pad, clip
  switch ((choice >> 2) % 3) {
    case 0: {
      tessera::GridSpec grid;
      grid.tile_width = 16;
      grid.tile_height = 12;
      grid.stride_x = 13;  // overlapping, so that crops share rows and columns
      grid.stride_y = 12;
      grid.edge = edge;
      grid.fill = {10, 20, 30, 40};
      return grid;
    }
    case 1: {
      tessera::RoiListSpec list;
      list.rois = {{{0, 0, 8, 8}, "corner"},
                   {{5, 3, 20, 9}, ""},
                   {{-4, -4, 12, 12}, "out"},
                   {{30, 30, 40, 40}, ""},
                   {{1, 60, 7, 3}, "low"}};
      list.edge = edge;
      return list;
    }
    default: {
      tessera::RandomSpec random;
      random.count = 6;
      random.min_size = 3;
      random.max_size = 24;
      random.seed = choice;
      return random;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t choice = data[0];
  const std::span<const std::uint8_t> image(data + 1, size - 1);

  tessera::EncodeOptions encode;
  encode.format = (choice & 0x40) != 0 ? tessera::OutputFormat::kPng : tessera::OutputFormat::kJpeg;
  encode.png.compression_level = 1;
  tessera::EngineOptions options;
  options.threads = 1;
  options.crops_in_flight = 2;
  options.band_rows = (choice & 0x80) != 0 ? 1 : 8;
  options.decode.max_pixels = 128 * 128;
  options.plan_limits.max_crops = 256;

  auto crops = tessera::encode_crops(tessera::InputBytes::borrow(image, "fuzz"), plan_for(choice),
                                     encode, options);
  if (!crops) return 0;
  for (const tessera::EncodedCrop& crop : *crops) {
    auto decoder = tessera::open_decoder(tessera::InputBytes::borrow(crop.bytes, "crop"));
    if (!decoder) __builtin_trap();
    const tessera::ImageHeader& header = (*decoder)->header();
    if (header.width != crop.roi.w || header.height != crop.roi.h) __builtin_trap();
  }
  return 0;
}
