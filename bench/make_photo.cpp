// tessera_make_photo WIDTH HEIGHT OUT.jpg: writes the benchmarks' photo-like demo image as a
// JPEG (q90, 4:2:0), so that start-up measurements (startup.py) need no image of their own.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench_images.hpp"
#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/image_utils.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tessera_make_photo WIDTH HEIGHT OUT.jpg\n");
    return 2;
  }
  const int width = std::atoi(argv[1]);
  const int height = std::atoi(argv[2]);
  const tessera::OwnedImage image =
      tessera::make_demo_image(width, height, tessera::PixelFormat::kRgb8);
  auto bytes = tessera::encode_to_vector(
      image.view(), tessera::bench::jpeg_options(90, tessera::JpegSubsampling::k420));
  if (!bytes) {
    std::fprintf(stderr, "tessera_make_photo: %s\n", bytes.error().message.c_str());
    return 1;
  }
  std::ofstream out(argv[3], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  return out ? 0 : 1;
}
