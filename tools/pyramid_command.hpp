// `tessera pyramid`: one image to a DeepZoom or IIIF tile pyramid, optionally with a viewer
// page. Options are a plain struct filled by main.cpp; run_pyramid() returns the exit code.
#pragma once

#include <string>

#include "cli_options.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera::cli {

struct PyramidArgs {
  std::string input;
  std::string layout = "dz";
  int tile_size = 0;  // 0: the layout's default
  int overlap = -1;   // -1: the layout's default
  bool viewer = false;
  std::string iiif_id = "https://example.com/iiif";
  EncodeArgs encode;
  std::string out;
  bool overwrite = false;
  RunArgs run;
};

int run_pyramid(const PyramidArgs& args);

// OpenSeadragon's npm package directory, looked up in this order: $TESSERA_OPENSEADRAGON;
// share/tessera/openseadragon beside the installed binary (../share from its directory); the
// build tree's copy made by scripts/setup.sh (build/npm/node_modules/openseadragon). The error
// lists every place tried and how to install it.
Result<std::string> find_openseadragon();

}  // namespace tessera::cli
