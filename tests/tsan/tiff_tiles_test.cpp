// The TIFF decoder's parallel tile rows driven from plain std::threads, so that
// ThreadSanitizer sees the handle pool and the writes of each piece into the shared row of
// tiles (libtiff itself is not instrumented).
#include <tiffio.h>

#include <catch2/catch.hpp>
#include <functional>
#include <thread>
#include <vector>

#include "temp_dir.hpp"
#include "tessera/codecs/decoder.hpp"
#include "test_images.hpp"
#include "test_tiff.hpp"

using namespace tessera;

TEST_CASE("tiles decoded on several threads give libtiff's pixels", "[tsan][tiff]") {
  test::TempDir dir;
  const std::string path = dir / "tiles.tif";
  test::TiffSpec spec;
  spec.tiled = true;
  spec.compression = COMPRESSION_LZW;
  const OwnedImage source = make_demo_image(160, 70, PixelFormat::kRgb8, 8);
  test::write_tiff(path, source, spec);

  // Three threads share the pieces of each row, as TBB's workers would.
  DecodeOptions options;
  options.parallel_for = [](int count, const std::function<void(int)>& task) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&task, count, t] {
        for (int i = t; i < count; i += 3) task(i);
      });
    }
    for (std::thread& thread : threads) thread.join();
  };
  auto decoded = test::decode_whole(*InputBytes::open_file(path), options, 9);
  REQUIRE(decoded.ok());
  CHECK(decoded->pixels == source.pixels);
}
