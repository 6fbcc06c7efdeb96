// Placeholder until the JPEG encoder lands.
#include "codec_factories.hpp"
namespace tessera::detail {
std::unique_ptr<Encoder> make_jpeg_encoder() { return nullptr; }
std::size_t jpeg_max_encoded_size(int, int, PixelFormat, const JpegOptions&) { return 0; }
}  // namespace tessera::detail
