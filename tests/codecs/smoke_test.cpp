#include <catch2/catch.hpp>
#include "tessera/codecs/decoder.hpp"
TEST_CASE("format is detected from magic bytes", "[codec]") {
  const std::uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0};
  CHECK(tessera::detect_format(jpeg) == tessera::ContainerFormat::kJpeg);
}
