// Tile pyramids for zoomable viewers: every level of a DeepZoom or IIIF (Image API 3.0, level 0)
// pyramid from one streaming decode. Level k+1's rows are 2x2 means of level k's, made as soon
// as two rows of level k are resident, so memory is a few bands per level, never the image, and
// the input is never decoded twice. Levels, tile grid, overlap and file names are those of
// `vips dzsave`; the output appears complete under its final name or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/input.hpp"
#include "tessera/codecs/result.hpp"
#include "tessera/engine/engine.hpp"

namespace tessera {

enum class PyramidLayout : std::uint8_t {
  kDeepZoom,  // NAME.dzi + NAME_files/LEVEL/COL_ROW.EXT, down to a 1x1 level
  kIiif3,     // NAME/info.json + NAME/X,Y,W,H/W,H/0/default.EXT, down to a level within one tile
};

const char* to_string(PyramidLayout layout) noexcept;

struct PyramidOptions {
  PyramidLayout layout = PyramidLayout::kDeepZoom;
  int tile_size = 0;  // 0: the layout's default, as vips': 254 DeepZoom, 512 IIIF
  int overlap = -1;   // pixels added on each side of a tile; -1: 1 DeepZoom, 0 IIIF (it has none)
  EncodeOptions encode;
  double skip_blank = -1;  // tiles whose pixel standard deviation is below this are not written
  // "OUT" (a directory container) or "OUT.zip" (one stored zip, as dzsave writes it). See
  // write_pyramid() for what each holds.
  std::string output;
  // A directory holding OpenSeadragon's build (openseadragon.min.js and images/). When set, the
  // output becomes the directory OUT holding index.html, a copy of that build and the pyramid,
  // so the page opens from disk or any static server. Not for a zip.
  std::string viewer_assets;
  std::string iiif_id = "https://example.com/iiif";  // info.json "id" is this + "/" + NAME
  bool overwrite = false;  // replace an existing output instead of refusing
};

// Checks sizes and combinations (tile size 1..8192, overlap 0..tile size, no overlap for IIIF,
// no viewer in a zip, an output name); errors say which option to change.
Status validate(const PyramidOptions& options);

struct PyramidStats {
  int levels = 0;
  int width = 0;
  int height = 0;
  std::uint64_t tiles = 0;          // written
  std::uint64_t tiles_skipped = 0;  // below the blank threshold
  std::uint64_t bytes_out = 0;      // encoded tile bytes
  double wall_s = 0;
  double decode_s = 0;                  // thread time decoding
  double shrink_s = 0;                  // thread time making the smaller levels
  double encode_cpu_s = 0;              // thread time encoding, summed over tiles
  std::uint64_t peak_window_bytes = 0;  // every level's band window together
  bool cancelled = false;
};

// Decodes `input` once and writes its pyramid. With OUT as `options.output` and NAME its last
// path component:
//   DeepZoom, directory: OUT.dzi and OUT_files/ beside each other, as `vips dzsave IN OUT`.
//   IIIF, directory:     OUT/info.json and OUT/<region>/<size>/0/default.EXT.
//   zip (OUT.zip):       the same under NAME/ inside the archive, stored, not deflated.
//   with a viewer:       the directory OUT holding index.html, openseadragon/ and the pyramid
//                        (NAME.dzi and NAME_files/, or info.json and the IIIF tiles).
// Everything is written into a temporary directory (or file) beside OUT and renamed into place
// at the end; an existing output is refused unless `overwrite`. A lock beside OUT
// (.NAME.tessera.lock) keeps a second tessera process away while it runs.
Result<PyramidStats> write_pyramid(InputBytes input, const PyramidOptions& options,
                                   const EngineOptions& engine = {});

}  // namespace tessera
