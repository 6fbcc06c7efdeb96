// Private: the constructors of each concrete codec, so that codecs.cpp can dispatch on
// format without seeing any codec's internals.
#pragma once

#include <memory>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"

namespace tessera::detail {

Result<std::unique_ptr<Decoder>> open_jpeg_decoder(InputBytes input, const DecodeOptions& options);
Result<std::unique_ptr<Decoder>> open_png_decoder(InputBytes input, const DecodeOptions& options);
// Whole-image fallback for every other format OpenCV reads (TIFF, WebP, BMP, PNM, ...).
Result<std::unique_ptr<Decoder>> open_opencv_decoder(InputBytes input, const DecodeOptions& options);

std::unique_ptr<Encoder> make_jpeg_encoder();
std::unique_ptr<Encoder> make_png_encoder();
std::size_t jpeg_max_encoded_size(int width, int height, PixelFormat format, const JpegOptions& options);
std::size_t png_max_encoded_size(int width, int height, PixelFormat format, const PngOptions& options);

// The pixel-limit check every decoder runs on its header before allocating anything.
Status check_pixel_limit(const InputBytes& input, const char* format_name, int width, int height,
                         const DecodeOptions& options);

}  // namespace tessera::detail
