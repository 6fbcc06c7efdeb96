// Names of codec options and codec-level enums, printed and parsed in this one place. Each
// to_string is a switch without default, so a new enumerator does not compile without a name;
// each k*Names array lists the values in help order, and a test checks it covers every name.
#include <fmt/format.h>

#include "tessera/codecs/formats.hpp"

namespace tessera {
namespace {

constexpr JpegSubsampling kSubsamplings[] = {JpegSubsampling::k444, JpegSubsampling::k422,
                                             JpegSubsampling::k420, JpegSubsampling::kGray};
constexpr PngFilter kFilters[] = {PngFilter::kNone,    PngFilter::kSub,   PngFilter::kUp,
                                  PngFilter::kAverage, PngFilter::kPaeth, PngFilter::kAdaptive};
constexpr ZlibStrategy kStrategies[] = {ZlibStrategy::kDefault, ZlibStrategy::kFiltered,
                                        ZlibStrategy::kHuffmanOnly, ZlibStrategy::kRle,
                                        ZlibStrategy::kFixed};
constexpr PngEncoderLibrary kPngEncoders[] = {PngEncoderLibrary::kLibdeflate,
                                              PngEncoderLibrary::kLibspng};

template <class E, std::size_t N>
std::vector<std::string> names_of(const E (&values)[N]) {
  std::vector<std::string> names;
  for (E value : values) names.emplace_back(to_string(value));
  return names;
}

template <class E, std::size_t N>
Result<E> parse_name(std::string_view text, const E (&values)[N], const char* what) {
  for (E value : values) {
    if (text == to_string(value)) return value;
  }
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("\"{}\" is not {}; use {}", text, what, join_names(names_of(values)))};
}

}  // namespace

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kUnsupportedFormat: return "unsupported format";
    case ErrorCode::kCorruptData: return "corrupt data";
    case ErrorCode::kTruncatedData: return "truncated data";
    case ErrorCode::kTooLarge: return "too large";
    case ErrorCode::kBufferTooSmall: return "buffer too small";
    case ErrorCode::kOutOfBounds: return "out of bounds";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

const char* to_string(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kGray8: return "gray8";
    case PixelFormat::kGrayAlpha8: return "gray+alpha8";
    case PixelFormat::kRgb8: return "rgb8";
    case PixelFormat::kRgba8: return "rgba8";
  }
  return "unknown";
}

const char* to_string(ChromaSubsampling subsampling) noexcept {
  switch (subsampling) {
    case ChromaSubsampling::k444: return "4:4:4";
    case ChromaSubsampling::k422: return "4:2:2";
    case ChromaSubsampling::k420: return "4:2:0";
    case ChromaSubsampling::k440: return "4:4:0";
    case ChromaSubsampling::k411: return "4:1:1";
    case ChromaSubsampling::kGray: return "gray";
    case ChromaSubsampling::kOther: return "other";
    case ChromaSubsampling::kNotApplicable: return "n/a";
  }
  return "unknown";
}

const char* to_string(JpegSubsampling subsampling) noexcept {
  switch (subsampling) {
    case JpegSubsampling::k444: return "444";
    case JpegSubsampling::k422: return "422";
    case JpegSubsampling::k420: return "420";
    case JpegSubsampling::kGray: return "gray";
  }
  return "unknown";
}

const char* to_string(PngFilter filter) noexcept {
  switch (filter) {
    case PngFilter::kNone: return "none";
    case PngFilter::kSub: return "sub";
    case PngFilter::kUp: return "up";
    case PngFilter::kAverage: return "avg";
    case PngFilter::kPaeth: return "paeth";
    case PngFilter::kAdaptive: return "all";
  }
  return "unknown";
}

const char* to_string(ZlibStrategy strategy) noexcept {
  switch (strategy) {
    case ZlibStrategy::kDefault: return "default";
    case ZlibStrategy::kFiltered: return "filtered";
    case ZlibStrategy::kHuffmanOnly: return "huffman";
    case ZlibStrategy::kRle: return "rle";
    case ZlibStrategy::kFixed: return "fixed";
  }
  return "unknown";
}

const char* to_string(PngEncoderLibrary library) noexcept {
  switch (library) {
    case PngEncoderLibrary::kLibdeflate: return "libdeflate";
    case PngEncoderLibrary::kLibspng: return "libspng";
  }
  return "unknown";
}

Result<JpegSubsampling> parse_jpeg_subsampling(std::string_view name) {
  return parse_name(name, kSubsamplings, "a JPEG subsampling");
}
Result<PngFilter> parse_png_filter(std::string_view name) {
  return parse_name(name, kFilters, "a PNG filter");
}
Result<ZlibStrategy> parse_zlib_strategy(std::string_view name) {
  return parse_name(name, kStrategies, "a zlib strategy");
}
Result<PngEncoderLibrary> parse_png_encoder(std::string_view name) {
  return parse_name(name, kPngEncoders, "a PNG encoder");
}

std::vector<std::string> jpeg_subsampling_names() {
  return names_of(kSubsamplings);
}
std::vector<std::string> png_filter_names() {
  return names_of(kFilters);
}
std::vector<std::string> zlib_strategy_names() {
  return names_of(kStrategies);
}

std::vector<std::string> png_encoder_names() {
  return names_of(kPngEncoders);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

}  // namespace tessera
