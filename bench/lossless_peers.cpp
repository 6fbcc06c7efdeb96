// The peers of `tessera tile --lossless` in bench/lossless.py, each one whole process so that
// its wall time and peak RSS are measured alike:
//   tessera_lossless_peers opencv FILE TILE QUALITY   cv::imread, then cv::imencode per tile
//                                                     in one loop (the naive loop), 4:2:0
//   tessera_lossless_peers tjtransform FILE TILE      one tjTransform call with a crop
//                                                     transform per tile (TurboJPEG 2.1 API):
//                                                     lossless, every coefficient in memory
// Both cut the grid of whole TILE x TILE tiles (edge drop) and print {"crops": N, "bytes": B}.
#include <turbojpeg.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "tessera_lossless_peers: %s\n", message.c_str());
  return 1;
}

int run_opencv(const std::string& path, int tile, int quality) {
  cv::setNumThreads(0);  // no pool of OpenCV's own: the naive loop is one thread
  const cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) return fail("cv::imread cannot read " + path);
  const std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY,     quality,
                                   cv::IMWRITE_JPEG_OPTIMIZE,    0,
                                   cv::IMWRITE_JPEG_PROGRESSIVE, 0};
  std::vector<std::uint8_t> buffer;
  std::uint64_t bytes = 0, crops = 0;
  for (int y = 0; y + tile <= image.rows; y += tile) {
    for (int x = 0; x + tile <= image.cols; x += tile) {
      if (!cv::imencode(".jpg", image(cv::Rect(x, y, tile, tile)), buffer, params))
        return fail("cv::imencode failed");
      bytes += buffer.size();
      ++crops;
    }
  }
  std::printf("{\"crops\": %llu, \"bytes\": %llu}\n", static_cast<unsigned long long>(crops),
              static_cast<unsigned long long>(bytes));
  return 0;
}

int run_tjtransform(const std::string& path, int tile) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> jpeg((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (jpeg.empty()) return fail("cannot read " + path);
  tjhandle handle = tjInitTransform();
  if (handle == nullptr) return fail("tjInitTransform failed");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle, jpeg.data(), static_cast<unsigned long>(jpeg.size()), &width,
                          &height, &subsampling, &colorspace) != 0)
    return fail(tjGetErrorStr2(handle));
  std::vector<tjtransform> transforms;
  for (int y = 0; y + tile <= height; y += tile) {
    for (int x = 0; x + tile <= width; x += tile) {
      tjtransform t{};
      t.r = tjregion{x, y, tile, tile};
      t.op = TJXOP_NONE;
      t.options = TJXOPT_CROP | TJXOPT_COPYNONE;  // no markers copied, as tessera writes
      transforms.push_back(t);
    }
  }
  std::vector<unsigned char*> outputs(transforms.size(), nullptr);
  std::vector<unsigned long> sizes(transforms.size(), 0);
  if (tjTransform(handle, jpeg.data(), static_cast<unsigned long>(jpeg.size()),
                  static_cast<int>(transforms.size()), outputs.data(), sizes.data(),
                  transforms.data(), 0) != 0)
    return fail(tjGetErrorStr2(handle));
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    bytes += sizes[i];
    tjFree(outputs[i]);
  }
  tjDestroy(handle);
  std::printf("{\"crops\": %zu, \"bytes\": %llu}\n", transforms.size(),
              static_cast<unsigned long long>(bytes));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "opencv" && argc == 5)
    return run_opencv(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "tjtransform" && argc == 4) return run_tjtransform(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr,
               "usage: tessera_lossless_peers opencv FILE TILE QUALITY\n"
               "       tessera_lossless_peers tjtransform FILE TILE\n");
  return 2;
}
