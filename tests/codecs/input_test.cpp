// InputBytes and its sources: a file read with read() that another program truncates fails the
// decoder with a message instead of SIGBUS, text inputs stop at their size limit, and memory
// inputs keep their bytes without a copy.
#include <unistd.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/input.hpp"
#include "test_images.hpp"

using namespace tessera;
using namespace tessera::test;

namespace {

// Larger than a few read chunks, so decoding the first rows leaves most of it unread.
std::vector<std::uint8_t> big_image(OutputFormat format) {
  const OwnedImage image = random_image(1024, 1024, PixelFormat::kRgb8, 4);
  EncodeOptions options;
  options.format = format;
  auto bytes = encode_to_vector(image.view(), options);
  REQUIRE(bytes.ok());
  return *bytes;
}

}  // namespace

TEST_CASE("a file truncated while it is decoded fails with 'changed while being read'",
          "[codecs][input]") {
  for (OutputFormat format : {OutputFormat::kJpeg, OutputFormat::kPng}) {
    INFO(to_string(format));
    TempDir dir;
    const std::string path = dir / "image";
    write_bytes(path, big_image(format));
    auto input = InputBytes::open_file(path);
    REQUIRE(input.ok());
    auto decoder = open_decoder(*input);
    REQUIRE(decoder.ok());
    const ImageHeader header = (*decoder)->header();
    std::vector<std::uint8_t> rows(static_cast<std::size_t>(header.width) * 3 * 16);
    REQUIRE(
        (*decoder)->read_rows(rows.data(), static_cast<std::size_t>(header.width) * 3, 16).ok());
    REQUIRE(::truncate(path.c_str(), 0) == 0);
    Result<int> rest(0);
    do {
      rest = (*decoder)->read_rows(rows.data(), static_cast<std::size_t>(header.width) * 3, 16);
    } while (rest.ok() && *rest > 0);
    REQUIRE_FALSE(rest.ok());
    CHECK(rest.error().code == ErrorCode::kIo);
    CHECK(rest.error().message.find(path + ": the file changed while being read") !=
          std::string::npos);
  }
}

TEST_CASE("a text input stops at its size limit, even an endless one", "[codecs][input]") {
  auto text = read_text_file("/dev/zero", "ROI file", std::uint64_t{1} << 20);
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().code == ErrorCode::kTooLarge);
  CHECK(text.error().message ==
        "/dev/zero: the ROI file is larger than 1 MiB, the limit for text inputs; split it into "
        "smaller files");
  TempDir dir;
  write_text(dir.path() / "a.csv", "x,y,w,h\n");
  CHECK(read_text_file(dir / "a.csv", "ROI file").value() == "x,y,w,h\n");
}

TEST_CASE("a memory input hands its bytes to a source without a copy", "[codecs][input]") {
  const std::vector<std::uint8_t> bytes(10000, 7);
  const InputBytes input = InputBytes::borrow(bytes, "mem");
  CHECK(input.head().size() == kHeadBytes);
  CHECK(input.size() == bytes.size());
  auto source = input.open_source();
  REQUIRE(source.ok());
  auto chunk = (*source)->next();
  REQUIRE(chunk.ok());
  CHECK(chunk->data() == bytes.data());
  CHECK(chunk->size() == bytes.size());
  CHECK((*source)->next()->empty());
  std::vector<std::uint8_t> storage;
  CHECK(input.read_all(storage, 1 << 20)->data() == bytes.data());
}
