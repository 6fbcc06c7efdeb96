// EXIF orientation mapping: cropping the stored pixels and turning the crop upright equals
// cropping the upright image, for every tag.
#include <catch2/catch.hpp>

#include "orientation.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::detail;

namespace {

OwnedImage upright_image(const OwnedImage& stored, int tag) {
  OwnedImage out{swaps_axes(tag) ? stored.height : stored.width,
                 swaps_axes(tag) ? stored.width : stored.height,
                 stored.format,
                 {}};
  out.pixels.resize(out.stride() * static_cast<std::size_t>(out.height));
  write_upright(stored.view(), tag, out.pixels.data(), out.stride());
  return out;
}

}  // namespace

TEST_CASE("orientation 6 turns a 3x2 image clockwise into 2x3", "[engine][orientation]") {
  // Stored:  a b c      Upright (90 degrees clockwise):  d a
  //          d e f                                        e b
  //                                                       f c
  OwnedImage stored{3, 2, PixelFormat::kGray8, {'a', 'b', 'c', 'd', 'e', 'f'}};
  const OwnedImage upright = upright_image(stored, 6);
  REQUIRE(upright.width == 2);
  REQUIRE(upright.height == 3);
  auto letters = [&](int tag) {
    const OwnedImage image = upright_image(stored, tag);
    return std::string(image.pixels.begin(), image.pixels.end());
  };
  CHECK(letters(6) == "daebfc");
  CHECK(letters(8) == "cfbead");
  CHECK(letters(3) == "fedcba");
  CHECK(letters(2) == "cbafed");
  CHECK(letters(5) == "adbecf");
}

TEST_CASE("a crop mapped to stored pixels and turned upright equals the upright crop",
          "[engine][orientation]") {
  const OwnedImage stored = test::random_image(37, 23, PixelFormat::kRgb8, 11);
  for (int tag = 1; tag <= 8; ++tag) {
    const OwnedImage upright = upright_image(stored, tag);
    for (const Roi roi :
         {Roi{0, 0, 5, 7}, Roi{3, 4, 10, 2}, Roi{upright.width - 6, upright.height - 3, 6, 3},
          Roi{0, 0, upright.width, upright.height}}) {
      const Roi source = to_stored(roi, tag, stored.width, stored.height);
      REQUIRE(source.x >= 0);
      REQUIRE(source.right() <= stored.width);
      OwnedImage crop{roi.w, roi.h, stored.format, {}};
      crop.pixels.resize(crop.stride() * static_cast<std::size_t>(roi.h));
      write_upright(stored.view().crop(source.x, source.y, source.w, source.h), tag,
                    crop.pixels.data(), crop.stride());
      INFO("tag " << tag << " roi " << roi.x << "," << roi.y << " " << roi.w << "x" << roi.h);
      CHECK(test::same_pixels(crop.view(), upright.view().crop(roi.x, roi.y, roi.w, roi.h)));
    }
  }
}
