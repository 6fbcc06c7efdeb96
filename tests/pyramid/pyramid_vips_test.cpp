// tessera pyramid against `vips dzsave` (libvips-tools, installed by scripts/setup.sh): the same
// descriptor and the same file list for several sizes, tile sizes and overlaps, and every
// level's pixels within one grey level of a 2x2 mean this test computes on its own, from the
// input up, with PNG tiles so that no JPEG loss blurs the comparison.
#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "cli_runner.hpp"
#include "test_images.hpp"

namespace tessera::test {
namespace {

namespace fs = std::filesystem;

// Files under root, relative, sorted; vips' own metadata dump is left out (README: tessera
// does not write vips-properties.xml).
std::vector<std::string> pyramid_files(const fs::path& root) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().filename() == "vips-properties.xml") continue;
    if (tessera_bookkeeping(entry.path())) continue;
    names.push_back(fs::relative(entry.path(), root).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The mean of each 2x2 block in doubles, rounded to nearest; an odd last row or column is
// repeated, so it is averaged with itself.
OwnedImage half(const OwnedImage& above) {
  OwnedImage out;
  out.width = (above.width + 1) / 2;
  out.height = (above.height + 1) / 2;
  out.format = above.format;
  const int c = channel_count(above.format);
  out.pixels.resize(out.stride() * static_cast<std::size_t>(out.height));
  auto at = [&](int x, int y, int ch) {
    x = std::min(x, above.width - 1);
    y = std::min(y, above.height - 1);
    return double(above.pixels[static_cast<std::size_t>(y) * above.stride() +
                               static_cast<std::size_t>(x * c + ch)]);
  };
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      for (int ch = 0; ch < c; ++ch) {
        const double mean = (at(2 * x, 2 * y, ch) + at(2 * x + 1, 2 * y, ch) +
                             at(2 * x, 2 * y + 1, ch) + at(2 * x + 1, 2 * y + 1, ch)) /
                            4.0;
        out.pixels[static_cast<std::size_t>(y) * out.stride() +
                   static_cast<std::size_t>(x * c + ch)] =
            static_cast<std::uint8_t>(std::lround(mean));
      }
    }
  }
  return out;
}

// The largest difference between a tile and the region of the expected level it covers.
int max_difference(const OwnedImage& tile, const OwnedImage& level, int x0, int y0) {
  int worst = 0;
  const int c = channel_count(level.format);
  for (int y = 0; y < tile.height; ++y) {
    for (int i = 0; i < tile.width * c; ++i) {
      const int got =
          tile.pixels[static_cast<std::size_t>(y) * tile.stride() + static_cast<std::size_t>(i)];
      const int want = level.pixels[static_cast<std::size_t>(y0 + y) * level.stride() +
                                    static_cast<std::size_t>(x0 * c + i)];
      worst = std::max(worst, std::abs(got - want));
    }
  }
  return worst;
}

struct Case {
  int width, height, tile, overlap;
};

void check_levels(const TempDir& dir, const Case& c, const OwnedImage& input) {
  std::vector<OwnedImage> levels{input};
  while (levels.back().width > 1 || levels.back().height > 1) levels.push_back(half(levels.back()));
  const int top = static_cast<int>(levels.size()) - 1;  // DeepZoom's number of the full image
  for (int k = 0; k <= top; ++k) {
    const OwnedImage& level = levels[static_cast<std::size_t>(k)];
    const int columns = (level.width + c.tile - 1) / c.tile;
    const int rows = (level.height + c.tile - 1) / c.tile;
    for (int row = 0; row < rows; ++row) {
      for (int col = 0; col < columns; ++col) {
        const std::string path = dir / fmt::format("t/p_files/{}/{}_{}.png", top - k, col, row);
        auto tile = decode_whole(InputBytes::open_file(path).value());
        REQUIRE(tile);
        const int x0 = std::max(0, col * c.tile - c.overlap);
        const int y0 = std::max(0, row * c.tile - c.overlap);
        INFO(path);
        REQUIRE(tile->width == std::min(level.width, (col + 1) * c.tile + c.overlap) - x0);
        REQUIRE(tile->height == std::min(level.height, (row + 1) * c.tile + c.overlap) - y0);
        CHECK(max_difference(*tile, level, x0, y0) <= 1);
      }
    }
  }
}

std::vector<std::string> zip_entries(const std::string& path, std::uint64_t& content_bytes) {
  std::vector<std::string> names;
  archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  REQUIRE(archive_read_open_filename(a, path.c_str(), 65536) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    content_bytes += static_cast<std::uint64_t>(archive_entry_size(entry));
    if (archive_entry_filetype(entry) == AE_IFREG && !name.ends_with("vips-properties.xml")) {
      names.push_back(name);
    }
  }
  archive_read_free(a);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("pyramid: DeepZoom matches vips dzsave's files and a 2x2 mean's pixels", "[cli]") {
  const Case cases[] = {{1, 1, 254, 1},     {201, 75, 64, 3},   {75, 201, 64, 0},
                        {300, 300, 128, 1}, {513, 257, 256, 2}, {5, 3, 2, 1}};
  for (const Case& c : cases) {
    INFO(c.width << "x" << c.height << " tile " << c.tile << " overlap " << c.overlap);
    TempDir dir;
    EncodeOptions png;
    png.format = OutputFormat::kPng;
    const OwnedImage input = write_image(dir / "in.png", c.width, c.height, png, 7);
    fs::create_directories(dir / "v");
    const std::string sizes = fmt::format("--tile-size {} --overlap {}", c.tile, c.overlap);
    REQUIRE(run_shell(dir, "vips dzsave in.png v/p --suffix .png " + sizes).code == 0);
    const CliOutcome tessera = run_tessera(dir, "pyramid in.png -f png -o t/p " + sizes);
    REQUIRE(tessera.code == 0);
    CHECK(read_text(dir / "t/p.dzi") == read_text(dir / "v/p.dzi"));
    CHECK(pyramid_files(dir / "t") == pyramid_files(dir / "v"));
    check_levels(dir, c, input);
  }
}

TEST_CASE("pyramid: IIIF and zip outputs name their files as vips dzsave does", "[cli]") {
  TempDir dir;
  write_image(dir / "in.jpg", 700, 300, EncodeOptions{}, 5);
  fs::create_directories(dir / "v");
  REQUIRE(run_shell(dir, "vips dzsave in.jpg v/p --layout iiif3 --tile-size 128").code == 0);
  REQUIRE(run_tessera(dir, "pyramid in.jpg -o t/p --layout iiif --tile-size 128").code == 0);
  CHECK(pyramid_files(dir / "t/p") == pyramid_files(dir / "v/p"));
  CHECK(read_text(dir / "t/p/info.json") == read_text(dir / "v/p/info.json"));

  REQUIRE(
      run_shell(dir, "vips dzsave in.jpg v/z.zip --tile-size 100 --overlap 2 --suffix .jpg").code ==
      0);
  REQUIRE(run_tessera(dir, "pyramid in.jpg -o t/z.zip --tile-size 100 --overlap 2").code == 0);
  std::uint64_t vips_bytes = 0, tessera_bytes = 0;
  const auto vips_entries = zip_entries(dir / "v/z.zip", vips_bytes);
  const auto tessera_entries = zip_entries(dir / "t/z.zip", tessera_bytes);
  CHECK(tessera_entries == vips_entries);
  // Stored, not deflated: the archive holds every byte of its entries.
  CHECK(fs::file_size(dir / "t/z.zip") > tessera_bytes);
  // Nothing but the outputs: no temporary file or directory is left beside them.
  for (const auto& entry : fs::directory_iterator(dir / "t")) {
    CHECK_FALSE(entry.path().filename().string().find(".tmp-") != std::string::npos);
    CHECK_FALSE(entry.path().filename().string().find(".tessera-") != std::string::npos);
  }
}

}  // namespace tessera::test
