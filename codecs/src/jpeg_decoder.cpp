// Placeholder until the libjpeg scanline decoder lands.
#include "codec_factories.hpp"
namespace tessera::detail {
Result<std::unique_ptr<Decoder>> open_jpeg_decoder(InputBytes, const DecodeOptions&) {
  return Error{ErrorCode::kUnsupportedFormat, "JPEG decoding is not built yet"};
}
}  // namespace tessera::detail
