// Placeholder until the PNG encoder lands.
#include "codec_factories.hpp"
namespace tessera::detail {
std::unique_ptr<Encoder> make_png_encoder() { return nullptr; }
std::size_t png_max_encoded_size(int, int, PixelFormat, const PngOptions&) { return 0; }
}  // namespace tessera::detail
