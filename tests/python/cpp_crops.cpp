// The C++ API's side of the Python byte-identity test: every crop of one image through
// tessera::encode_crops, written as OUT/INDEX.EXT. Usage:
//   tessera_python_cpp_crops INPUT tile SIZE OUT      a grid of SIZE x SIZE tiles
//   tessera_python_cpp_crops INPUT rois FILE OUT      a ROI file (CSV or JSON)
// Default codec settings, as the command line and the Python module have them.
#include <cstdio>
#include <fstream>
#include <string>

#include "tessera/codecs/formats.hpp"
#include "tessera/engine/engine.hpp"

int main(int argc, char** argv) {
  using namespace tessera;
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s INPUT tile|rois SIZE|FILE OUT\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[2];
  PlanSpec plan;
  if (kind == "tile") {
    GridSpec grid;
    grid.tile_width = grid.tile_height = std::stoi(argv[3]);
    plan = grid;
  } else {
    auto rois = load_roi_file(argv[3]);
    if (!rois) {
      std::fprintf(stderr, "%s\n", rois.error().message.c_str());
      return 1;
    }
    plan = std::move(rois).value();
  }
  auto input = InputBytes::open_file(argv[1]);
  if (!input) {
    std::fprintf(stderr, "%s\n", input.error().message.c_str());
    return 1;
  }
  const EncodeOptions encode;  // JPEG, whatever the input, as without -f or format=None
  auto crops = encode_crops(std::move(input).value(), plan, encode);
  if (!crops) {
    std::fprintf(stderr, "%s\n", crops.error().message.c_str());
    return 1;
  }
  for (const EncodedCrop& crop : *crops) {
    std::ofstream out(std::string(argv[4]) + "/" + std::to_string(crop.index) + "." +
                          file_extension(encode.format),
                      std::ios::binary);
    out.write(reinterpret_cast<const char*>(crop.bytes.data()),
              static_cast<std::streamsize>(crop.bytes.size()));
  }
  return 0;
}
