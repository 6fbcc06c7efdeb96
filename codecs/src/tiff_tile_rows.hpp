// Private: the tiles of one TIFF page, decoded a row of tiles at a time into a buffer as wide
// as the image and one tile high. The tiles of a row are independent, so they go to the
// caller's ParallelFor; a libtiff handle is not thread-safe, so each piece borrows a handle of
// its own from a pool that grows to the number of pieces that ever ran at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tiff_handle.hpp"

namespace tessera::detail {

struct TileGeometry {
  int width = 0;  // of the image
  int height = 0;
  int tile_width = 0;
  int tile_height = 0;
  std::size_t pixel_bytes = 0;  // per pixel, as libtiff decodes it
};

class TiffTileRows {
 public:
  // `open_handle` opens another handle on the same page, ready to decode tiles.
  using OpenHandle = std::function<Result<TiffHandle>()>;
  TiffTileRows(TileGeometry geometry, OpenHandle open_handle, ParallelFor parallel_for);

  // Makes image row `row` available, decoding its row of tiles unless it is already held.
  Status hold(int row);
  // A held row: width * pixel_bytes bytes.
  const std::uint8_t* row(int y) const noexcept;
  // Frees the buffer and every handle.
  void release() noexcept;

 private:
  // A handle and the tile it decodes into.
  struct Reader {
    TiffHandle handle;
    std::unique_ptr<std::uint8_t[]> tile;
  };

  Status decode_tile_row(int first_row);
  Status decode_tile(int column, int first_row);
  Result<std::unique_ptr<Reader>> borrow();
  void give_back(std::unique_ptr<Reader> reader);

  TileGeometry geometry_;
  OpenHandle open_handle_;
  ParallelFor parallel_for_;
  std::unique_ptr<std::uint8_t[]> band_;
  int band_first_row_ = 0;
  int band_rows_ = 0;  // 0: nothing held
  std::mutex mutex_;   // guards idle_ and failure_ while pieces run
  std::vector<std::unique_ptr<Reader>> idle_;
  std::optional<Error> failure_;
};

}  // namespace tessera::detail
