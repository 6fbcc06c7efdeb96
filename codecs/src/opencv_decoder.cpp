// Placeholder until the OpenCV fallback lands.
#include "codec_factories.hpp"
namespace tessera::detail {
Result<std::unique_ptr<Decoder>> open_opencv_decoder(InputBytes, const DecodeOptions&) {
  return Error{ErrorCode::kUnsupportedFormat, "other formats are not built yet"};
}
}  // namespace tessera::detail
