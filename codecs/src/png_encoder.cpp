// The PNG row's encoder: one table of the libraries that can write a PNG, and an encoder that
// hands each crop to the one its options name. Options, size bounds and the choice of library
// are answered from the table; the encoders themselves live in deflate_png_encoder.cpp and
// spng_png_encoder.cpp.
#include <array>

#include <fmt/format.h>

#include "codec_factories.hpp"
#include "tessera/codecs/formats.hpp"

namespace tessera::detail {
namespace {

struct PngEncoderEntry {
  std::unique_ptr<Encoder> (*make)();
  std::size_t (*max_encoded_size)(int width, int height, PixelFormat, const EncodeOptions&);
  int max_level;
  bool has_strategies;  // zlib's strategies; libdeflate has none
};

constexpr PngEncoderEntry kLibdeflate{make_deflate_png_encoder, deflate_png_max_encoded_size,
                                      kDeflatePngMaxLevel, false};
constexpr PngEncoderEntry kLibspng{make_spng_png_encoder, spng_png_max_encoded_size, 9, true};

const PngEncoderEntry& entry_for(PngEncoderLibrary library) noexcept {
  switch (library) {
    case PngEncoderLibrary::kLibdeflate: return kLibdeflate;
    case PngEncoderLibrary::kLibspng: return kLibspng;
  }
  return kLibdeflate;
}

// Holds one encoder per library, each made the first time a crop asks for it, so a thread
// switching between them (per-job options) keeps both and allocates nothing per crop.
class PngEncoder final : public Encoder {
 public:
  Result<std::size_t> encode(const ImageView& view, const EncodeOptions& options,
                             std::span<std::uint8_t> out) override {
    const auto index = static_cast<std::size_t>(options.png.encoder);
    if (index >= encoders_.size()) return validate_png(options).error();
    auto& slot = encoders_[index];
    if (!slot) slot = entry_for(options.png.encoder).make();
    return slot->encode(view, options, out);
  }

 private:
  std::array<std::unique_ptr<Encoder>, 2> encoders_;
};

}  // namespace

std::unique_ptr<Encoder> make_png_encoder() {
  return std::make_unique<PngEncoder>();
}

Status validate_png(const EncodeOptions& options) {
  const PngOptions& png = options.png;
  if (png.encoder != PngEncoderLibrary::kLibdeflate && png.encoder != PngEncoderLibrary::kLibspng) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("PNG encoder {} does not exist; use {}", static_cast<int>(png.encoder),
                             join_names(png_encoder_names()))};
  }
  const PngEncoderEntry& entry = entry_for(png.encoder);
  if (png.compression_level < 0 || png.compression_level > entry.max_level) {
    const bool only_libdeflate =
        png.compression_level > entry.max_level && png.compression_level <= kLibdeflate.max_level;
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("PNG compression level {} is out of range for {}; use 0..{}{}",
                             png.compression_level, to_string(png.encoder), entry.max_level,
                             only_libdeflate ? " (levels 10..12 are libdeflate's)" : "")};
  }
  if (png.strategy != ZlibStrategy::kDefault && !entry.has_strategies) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("zlib strategy {} is a zlib setting, and {} has no strategies; "
                             "choose the libspng PNG encoder or leave the strategy at default",
                             to_string(png.strategy), to_string(png.encoder))};
  }
  return {};
}

Status check_png_view(const ImageView& view) {
  if (view.data == nullptr || view.width <= 0 || view.height <= 0 ||
      view.stride < view.row_bytes()) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("cannot encode a PNG from an empty or malformed view ({}x{}, stride {})",
                    view.width, view.height, view.stride)};
  }
  return {};
}

std::size_t png_max_encoded_size(int width, int height, PixelFormat format,
                                 const EncodeOptions& options) {
  return entry_for(options.png.encoder).max_encoded_size(width, height, format, options);
}

}  // namespace tessera::detail
