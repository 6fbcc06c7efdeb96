// Private: what each concrete codec offers the registry (registry.cpp), so that the registry
// can list formats without seeing any codec's internals.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"

namespace tessera::detail {

bool sniff_jpeg(std::span<const std::uint8_t> head) noexcept;
bool sniff_png(std::span<const std::uint8_t> head) noexcept;
bool sniff_tiff(std::span<const std::uint8_t> head) noexcept;

Result<std::unique_ptr<Decoder>> open_jpeg_decoder(InputBytes input, const DecodeOptions& options);
Result<std::unique_ptr<Decoder>> open_png_decoder(InputBytes input, const DecodeOptions& options);
Result<std::unique_ptr<Decoder>> open_tiff_decoder(InputBytes input, const DecodeOptions& options);
// Whole-image fallback for every other format OpenCV reads (WebP, BMP, PNM, ...), through
// the OpenCV module, which is loaded on the first call (opencv_module.cpp).
Result<std::unique_ptr<Decoder>> open_opencv_decoder(InputBytes input,
                                                     const DecodeOptions& options);

std::unique_ptr<Encoder> make_jpeg_encoder();
// The PNG row's encoder forwards each crop to the library its options name (png_encoder.cpp).
std::unique_ptr<Encoder> make_png_encoder();
std::unique_ptr<Encoder> make_deflate_png_encoder();
inline constexpr int kDeflatePngMaxLevel = 12;  // libdeflate's slowest, near-optimal level
std::unique_ptr<Encoder> make_spng_png_encoder();
std::unique_ptr<Encoder> make_raw_encoder();
std::size_t jpeg_max_encoded_size(int width, int height, PixelFormat format,
                                  const EncodeOptions& options);
std::size_t png_max_encoded_size(int width, int height, PixelFormat format,
                                 const EncodeOptions& options);
std::size_t deflate_png_max_encoded_size(int width, int height, PixelFormat format,
                                         const EncodeOptions& options);
std::size_t spng_png_max_encoded_size(int width, int height, PixelFormat format,
                                      const EncodeOptions& options);
std::size_t raw_max_encoded_size(int width, int height, PixelFormat format,
                                 const EncodeOptions& options);
Status validate_jpeg(const EncodeOptions& options);
Status validate_png(const EncodeOptions& options);
Status validate_raw(const EncodeOptions& options);
// What both PNG encoders refuse to encode: no pixels, or a stride shorter than a row.
Status check_png_view(const ImageView& view);

// The pixel-limit check every decoder runs on its header before allocating anything.
Status check_pixel_limit(const InputBytes& input, const char* format_name, int width, int height,
                         const DecodeOptions& options);

}  // namespace tessera::detail
