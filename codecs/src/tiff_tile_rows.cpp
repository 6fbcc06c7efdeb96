#include "tiff_tile_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tessera::detail {

TiffTileRows::TiffTileRows(TileGeometry geometry, OpenHandle open_handle, ParallelFor parallel_for)
    : geometry_(geometry),
      open_handle_(std::move(open_handle)),
      parallel_for_(std::move(parallel_for)) {}

Status TiffTileRows::hold(int row) {
  if (band_rows_ > 0 && row >= band_first_row_ && row < band_first_row_ + band_rows_) return {};
  return decode_tile_row(row - row % geometry_.tile_height);
}

const std::uint8_t* TiffTileRows::row(int y) const noexcept {
  const std::size_t stride = static_cast<std::size_t>(geometry_.width) * geometry_.pixel_bytes;
  return band_.get() + static_cast<std::size_t>(y - band_first_row_) * stride;
}

void TiffTileRows::release() noexcept {
  band_.reset();
  band_rows_ = 0;
  idle_.clear();
}

Status TiffTileRows::decode_tile_row(int first_row) {
  const std::size_t stride = static_cast<std::size_t>(geometry_.width) * geometry_.pixel_bytes;
  if (!band_)
    band_.reset(new std::uint8_t[stride * static_cast<std::size_t>(geometry_.tile_height)]);
  band_rows_ = 0;  // nothing is held while the row is being replaced
  const int columns = (geometry_.width + geometry_.tile_width - 1) / geometry_.tile_width;
  const auto piece = [&](int column) {
    if (Status decoded = decode_tile(column, first_row); !decoded) {
      const std::lock_guard lock(mutex_);
      if (!failure_) failure_ = decoded.error();
    }
  };
  if (parallel_for_ && columns > 1) {
    parallel_for_(columns, piece);
  } else {
    for (int column = 0; column < columns; ++column) piece(column);
  }
  if (failure_) return *failure_;
  band_first_row_ = first_row;
  band_rows_ = std::min(geometry_.tile_height, geometry_.height - first_row);
  return {};
}

// Decodes one tile and copies its rows into the band; the part of a last tile that lies past
// the image's right or bottom edge is dropped. Pieces write disjoint columns of the band.
Status TiffTileRows::decode_tile(int column, int first_row) {
  auto reader = borrow();
  if (!reader) return std::move(reader).error();
  TIFF* tiff = (*reader)->handle.get();
  const int x = column * geometry_.tile_width;
  const std::size_t tile_stride =
      static_cast<std::size_t>(geometry_.tile_width) * geometry_.pixel_bytes;
  const std::size_t tile_bytes = tile_stride * static_cast<std::size_t>(geometry_.tile_height);
  const ttile_t tile = TIFFComputeTile(tiff, static_cast<std::uint32_t>(x),
                                       static_cast<std::uint32_t>(first_row), 0, 0);
  if (TIFFReadEncodedTile(tiff, tile, (*reader)->tile.get(), static_cast<tmsize_t>(tile_bytes)) <
      0) {
    return (*reader)->handle.error(ErrorCode::kCorruptData,
                                   fmt::format("decoding the tile at ({}, {})", x, first_row));
  }
  const std::size_t stride = static_cast<std::size_t>(geometry_.width) * geometry_.pixel_bytes;
  const std::size_t bytes =
      static_cast<std::size_t>(std::min(geometry_.tile_width, geometry_.width - x)) *
      geometry_.pixel_bytes;
  std::uint8_t* to = band_.get() + static_cast<std::size_t>(x) * geometry_.pixel_bytes;
  const int rows = std::min(geometry_.tile_height, geometry_.height - first_row);
  for (int r = 0; r < rows; ++r) {
    std::memcpy(to + static_cast<std::size_t>(r) * stride,
                (*reader)->tile.get() + static_cast<std::size_t>(r) * tile_stride, bytes);
  }
  give_back(std::move(reader).value());
  return {};
}

Result<std::unique_ptr<TiffTileRows::Reader>> TiffTileRows::borrow() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Reader> reader = std::move(idle_.back());
      idle_.pop_back();
      return reader;
    }
  }
  // Opened outside the lock: it reads the file's directory.
  auto handle = open_handle_();
  if (!handle) return std::move(handle).error();
  const std::size_t tile_bytes = static_cast<std::size_t>(geometry_.tile_width) *
                                 static_cast<std::size_t>(geometry_.tile_height) *
                                 geometry_.pixel_bytes;
  return std::make_unique<Reader>(Reader{
      std::move(handle).value(), std::unique_ptr<std::uint8_t[]>(new std::uint8_t[tile_bytes])});
}

void TiffTileRows::give_back(std::unique_ptr<Reader> reader) {
  const std::lock_guard lock(mutex_);
  idle_.push_back(std::move(reader));
}

}  // namespace tessera::detail
