// Placeholder until the libspng decoder lands.
#include "codec_factories.hpp"
namespace tessera::detail {
Result<std::unique_ptr<Decoder>> open_png_decoder(InputBytes, const DecodeOptions&) {
  return Error{ErrorCode::kUnsupportedFormat, "PNG decoding is not built yet"};
}
}  // namespace tessera::detail
