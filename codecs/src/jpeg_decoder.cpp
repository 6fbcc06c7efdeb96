// JPEG decoder over the libjpeg scanline API: the header first, then rows straight into the
// caller's memory. Baseline, progressive and arithmetic-coded files, gray, YCbCr, RGB, CMYK
// and YCCK. Every call into libjpeg goes through a guarded_* function (see jpeg_error_manager.hpp).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "codec_factories.hpp"
#include "jpeg_error_manager.hpp"
#include "jpeg_source.hpp"

namespace tessera::detail {
namespace {

constexpr const char* kFormatName = "JPEG";
// How many row pointers are handed to libjpeg per call; it returns fewer when it likes.
constexpr int kRowsPerCall = 16;
// EXIF lives in APP1. Only IFD0 is read, and an APP1 segment cannot exceed 65533 bytes, so
// libjpeg keeps at most this much of it.
constexpr int kExifMarker = JPEG_APP0 + 1;
constexpr unsigned kMaxExifBytes = 0xffff;

// ---- guarded calls into libjpeg: only trivially destructible locals between setjmp and
// ---- any longjmp; each returns false after a fatal libjpeg error.

bool guarded_create(jpeg_decompress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_create_decompress(cinfo);
  return true;
}

bool guarded_read_header(jpeg_decompress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_save_markers(cinfo, kExifMarker, kMaxExifBytes);
  jpeg_read_header(cinfo, TRUE);
  return true;
}

// Progressive and other multi-scan files decode the whole image here.
bool guarded_start_decompress(jpeg_decompress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_start_decompress(cinfo);
  return true;
}

// Reads exactly `rows` rows into dst at the given stride, with no intermediate copy.
bool guarded_read_rows(jpeg_decompress_struct* cinfo, JpegErrorManager* errors, std::uint8_t* dst,
                       std::size_t stride, int rows) {
  if (setjmp(errors->jump) != 0) return false;
  JSAMPROW pointers[kRowsPerCall];
  int done = 0;
  while (done < rows) {
    const int batch = std::min(kRowsPerCall, rows - done);
    for (int i = 0; i < batch; ++i) {
      pointers[i] = dst + static_cast<std::size_t>(done + i) * stride;
    }
    const auto got =
        static_cast<int>(jpeg_read_scanlines(cinfo, pointers, static_cast<JDIMENSION>(batch)));
    // Our source never suspends, so no rows means libjpeg has nothing more to give.
    if (got == 0) ERREXIT(cinfo, JERR_INPUT_EOF);
    done += got;
  }
  return true;
}

// Adobe (Photoshop) writes CMYK inverted: a stored value of 255 means no ink. Without an Adobe
// marker the values are taken as plain ink amounts. With inverted c and k, the ink-free share
// of red is c/255 and of black k/255, so R = c * k / 255, rounded (likewise G with m, B with y).
void cmyk_row_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, int width, bool adobe_inverted) {
  const unsigned flip = adobe_inverted ? 0u : 255u;
  for (int x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const unsigned k = cmyk[3] ^ flip;
    for (int c = 0; c < 3; ++c) {
      rgb[c] = static_cast<std::uint8_t>(((cmyk[c] ^ flip) * k + 127u) / 255u);
    }
  }
}

// CMYK rows go through one scratch row each, then into dst as RGB.
bool guarded_read_cmyk_rows(jpeg_decompress_struct* cinfo, JpegErrorManager* errors,
                            std::uint8_t* dst, std::size_t stride, int rows,
                            std::uint8_t* scratch) {
  if (setjmp(errors->jump) != 0) return false;
  const bool adobe_inverted = cinfo->saw_Adobe_marker != 0;
  const auto width = static_cast<int>(cinfo->output_width);
  JSAMPROW pointer[1] = {scratch};
  for (int done = 0; done < rows; ++done) {
    if (jpeg_read_scanlines(cinfo, pointer, 1) != 1) ERREXIT(cinfo, JERR_INPUT_EOF);
    cmyk_row_to_rgb(scratch, dst + static_cast<std::size_t>(done) * stride, width, adobe_inverted);
  }
  return true;
}

// ---- EXIF orientation. Every offset in the segment comes from the file, so each one is
// ---- checked against the segment's length before it is followed.

constexpr std::uint8_t kExifSignature[] = {'E', 'x', 'i', 'f', 0, 0};
constexpr std::uint16_t kTiffMagic = 42;
constexpr std::uint16_t kOrientationTag = 0x0112;
constexpr std::uint16_t kTiffShort = 3;
constexpr std::size_t kTiffHeaderBytes = 8;
constexpr std::size_t kIfdEntryBytes = 12;

class TiffReader {
 public:
  TiffReader(std::span<const std::uint8_t> bytes, bool big_endian)
      : bytes_(bytes), big_endian_(big_endian) {}

  std::optional<std::uint16_t> u16(std::uint64_t offset) const {
    if (offset + 2 > bytes_.size()) return std::nullopt;
    const auto a = bytes_[static_cast<std::size_t>(offset)];
    const auto b = bytes_[static_cast<std::size_t>(offset) + 1];
    return static_cast<std::uint16_t>(big_endian_ ? (a << 8 | b) : (b << 8 | a));
  }

  std::optional<std::uint32_t> u32(std::uint64_t offset) const {
    const auto first = u16(offset);
    const auto second = u16(offset + 2);
    if (!first || !second) return std::nullopt;
    return big_endian_ ? (std::uint32_t{*first} << 16 | *second)
                       : (std::uint32_t{*second} << 16 | *first);
  }

 private:
  std::span<const std::uint8_t> bytes_;
  bool big_endian_;
};

// The Orientation tag of IFD0 in a TIFF structure, or 1 when it is absent or malformed.
int tiff_orientation(std::span<const std::uint8_t> tiff) {
  if (tiff.size() < kTiffHeaderBytes) return 1;
  const bool little = tiff[0] == 'I' && tiff[1] == 'I';
  const bool big = tiff[0] == 'M' && tiff[1] == 'M';
  if (!little && !big) return 1;
  const TiffReader reader(tiff, big);
  if (reader.u16(2) != kTiffMagic) return 1;
  const auto ifd = reader.u32(4);
  if (!ifd) return 1;
  const auto entries = reader.u16(*ifd);
  if (!entries) return 1;
  for (std::uint64_t i = 0; i < *entries; ++i) {
    const std::uint64_t entry = std::uint64_t{*ifd} + 2 + i * kIfdEntryBytes;
    if (entry + kIfdEntryBytes > tiff.size()) return 1;
    if (reader.u16(entry) != kOrientationTag) continue;
    // A SHORT with count 1 sits in the first two bytes of the value field.
    if (reader.u16(entry + 2) != kTiffShort || reader.u32(entry + 4) != 1u) return 1;
    const auto value = reader.u16(entry + 8);
    return value && *value >= 1 && *value <= 8 ? *value : 1;
  }
  return 1;
}

// The orientation from the first APP1 segment that holds EXIF, or 1.
int exif_orientation(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker != nullptr; marker = marker->next) {
    if (marker->marker != kExifMarker || marker->data == nullptr) continue;
    const std::span<const std::uint8_t> data(marker->data, marker->data_length);
    if (data.size() < sizeof kExifSignature ||
        !std::equal(std::begin(kExifSignature), std::end(kExifSignature), data.begin())) {
      continue;
    }
    return tiff_orientation(data.subspan(sizeof kExifSignature));
  }
  return 1;
}

// ---- header interpretation

// Ratio of luma to chroma sampling, from the component sampling factors.
ChromaSubsampling subsampling_of(const jpeg_decompress_struct& cinfo) {
  if (cinfo.num_components == 1) return ChromaSubsampling::kGray;
  if (cinfo.num_components != 3 && cinfo.num_components != 4) return ChromaSubsampling::kOther;
  const jpeg_component_info* comp = cinfo.comp_info;
  const bool chroma_alike = comp[1].h_samp_factor == comp[2].h_samp_factor &&
                            comp[1].v_samp_factor == comp[2].v_samp_factor;
  const bool fourth_like_luma =
      cinfo.num_components == 3 || (comp[3].h_samp_factor == comp[0].h_samp_factor &&
                                    comp[3].v_samp_factor == comp[0].v_samp_factor);
  if (!chroma_alike || !fourth_like_luma || comp[0].h_samp_factor % comp[1].h_samp_factor != 0 ||
      comp[0].v_samp_factor % comp[1].v_samp_factor != 0) {
    return ChromaSubsampling::kOther;
  }
  const int h = comp[0].h_samp_factor / comp[1].h_samp_factor;
  const int v = comp[0].v_samp_factor / comp[1].v_samp_factor;
  if (h == 1 && v == 1) return ChromaSubsampling::k444;
  if (h == 2 && v == 1) return ChromaSubsampling::k422;
  if (h == 2 && v == 2) return ChromaSubsampling::k420;
  if (h == 1 && v == 2) return ChromaSubsampling::k440;
  if (h == 4 && v == 1) return ChromaSubsampling::k411;
  return ChromaSubsampling::kOther;
}

bool is_cmyk(J_COLOR_SPACE space) {
  return space == JCS_CMYK || space == JCS_YCCK;
}

ImageHeader header_of(const jpeg_decompress_struct& cinfo) {
  ImageHeader header;
  header.width = static_cast<int>(cinfo.image_width);
  header.height = static_cast<int>(cinfo.image_height);
  header.file_channels = cinfo.num_components;
  header.bit_depth = cinfo.data_precision;
  header.format =
      cinfo.jpeg_color_space == JCS_GRAYSCALE ? PixelFormat::kGray8 : PixelFormat::kRgb8;
  header.container = ContainerFormat::kJpeg;
  header.subsampling = subsampling_of(cinfo);
  header.restart_markers = cinfo.restart_interval != 0;
  header.mcu_width = 8 * cinfo.max_h_samp_factor;
  header.mcu_height = 8 * cinfo.max_v_samp_factor;
  header.progressive = cinfo.progressive_mode != 0;
  header.streamable = true;
  header.orientation = exif_orientation(cinfo);
  return header;
}

J_COLOR_SPACE output_space_for(J_COLOR_SPACE file_space) {
  if (file_space == JCS_GRAYSCALE) return JCS_GRAYSCALE;
  if (is_cmyk(file_space)) return JCS_CMYK;
  return JCS_EXT_RGB;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// A Huffman-coded scan spends at least one bit on every 8x8 luma block, so fewer bits than
// blocks cannot be a complete image: reject it before libjpeg fills gigapixels with grey.
// Arithmetic coding can go below a bit per block, so it is exempt.
// A stream's size is unknown, so it is checked only as its rows are decoded.
Status check_enough_data(const InputBytes& input, const jpeg_decompress_struct& cinfo,
                         std::optional<std::size_t> bytes_after_header,
                         const DecodeOptions& options) {
  if (options.allow_truncated || cinfo.arith_code || !bytes_after_header) return {};
  const std::uint64_t blocks = ceil_div(cinfo.image_width, 8) * ceil_div(cinfo.image_height, 8);
  const std::uint64_t bits = static_cast<std::uint64_t>(*bytes_after_header) * 8;
  if (bits >= blocks) return {};
  return Error{
      ErrorCode::kTruncatedData,
      fmt::format("{}: JPEG header claims {}x{} pixels but the file holds only {} bytes of "
                  "image data, under one bit per 8x8 block; the file is truncated or "
                  "hostile, re-fetch it",
                  input.name(), cinfo.image_width, cinfo.image_height, *bytes_after_header)};
}

class JpegDecoder final : public Decoder {
 public:
  JpegDecoder(InputBytes input, const DecodeOptions& options)
      : input_(std::move(input)), options_(options) {
    cinfo_.err = install_error_manager(errors_);
  }

  ~JpegDecoder() override {
    if (created_) jpeg_destroy_decompress(&cinfo_);
  }

  Status open() {
    if (!guarded_create(&cinfo_, &errors_)) return libjpeg_error("cannot start the JPEG decoder");
    created_ = true;
    auto bytes = input_.open_source();
    if (!bytes) return std::move(bytes).error();
    bytes_ = std::move(bytes).value();
    install_jpeg_source(cinfo_, source_, *bytes_);
    if (!guarded_read_header(&cinfo_, &errors_)) {
      return libjpeg_error("cannot read the JPEG header");
    }
    if (Status damage = take_warnings("in the JPEG header"); !damage) return damage;
    header_ = header_of(cinfo_);
    if (Status limit =
            check_pixel_limit(input_, kFormatName, header_.width, header_.height, options_);
        !limit) {
      return limit;
    }
    if (Status enough =
            check_enough_data(input_, cinfo_, jpeg_bytes_left(source_, input_), options_);
        !enough) {
      return enough;
    }
    if (cinfo_.jpeg_color_space == JCS_UNKNOWN) {
      return Error{ErrorCode::kUnsupportedFormat,
                   fmt::format("{}: JPEG with {} colour components of unknown meaning; convert it "
                               "to RGB, gray or CMYK first",
                               input_.name(), cinfo_.num_components)};
    }
    cinfo_.out_color_space = output_space_for(cinfo_.jpeg_color_space);
    return {};
  }

  const ImageHeader& header() const noexcept override { return header_; }
  int rows_read() const noexcept override { return rows_read_; }
  const std::string& warnings() const noexcept override { return warnings_; }

  Result<int> read_rows(std::uint8_t* dst, std::size_t stride, int max_rows) override {
    if (failure_) return *failure_;
    if (rows_read_ == header_.height) return 0;
    const std::size_t row_bytes = static_cast<std::size_t>(header_.width) *
                                  static_cast<std::size_t>(channel_count(header_.format));
    if (dst == nullptr || max_rows <= 0 || stride < row_bytes) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{}: read_rows needs a destination, max_rows > 0 and a stride of at "
                               "least {} bytes (got {} rows, stride {})",
                               input_.name(), row_bytes, max_rows, stride)};
    }
    if (!started_) {
      if (Status started = start(); !started) return fail(std::move(started).error());
    }
    const int rows = std::min(max_rows, header_.height - rows_read_);
    const bool ok =
        is_cmyk(cinfo_.jpeg_color_space)
            ? guarded_read_cmyk_rows(&cinfo_, &errors_, dst, stride, rows, cmyk_row_.data())
            : guarded_read_rows(&cinfo_, &errors_, dst, stride, rows);
    if (!ok)
      return fail(libjpeg_error(
          fmt::format("cannot decode rows {}..{}", rows_read_, rows_read_ + rows - 1)));
    if (Status damage =
            take_warnings(fmt::format("in rows {}..{}", rows_read_, rows_read_ + rows - 1));
        !damage) {
      return fail(std::move(damage).error());
    }
    rows_read_ += rows;
    return rows;
  }

 private:
  Status start() {
    if (is_cmyk(cinfo_.jpeg_color_space))
      cmyk_row_.resize(static_cast<std::size_t>(header_.width) * 4);
    if (!guarded_start_decompress(&cinfo_, &errors_)) return libjpeg_error("cannot start decoding");
    started_ = true;
    const int expected = is_cmyk(cinfo_.jpeg_color_space) ? 4 : channel_count(header_.format);
    if (cinfo_.output_components != expected || cinfo_.output_width != cinfo_.image_width) {
      return Error{
          ErrorCode::kInternal,
          fmt::format("{}: libjpeg produces {} components per pixel where {} were expected",
                      input_.name(), cinfo_.output_components, expected)};
    }
    return take_warnings("while decoding the image");
  }

  // A fatal error after libjpeg ran out of data is a symptom of the truncation, not its cause.
  // A source that failed (a file changed while being read) is the cause of whatever follows.
  Error libjpeg_error(const std::string& what) const {
    if (source_.failure) return *source_.failure;
    const ErrorCode code = errors_.saw_truncation && errors_.truncation_came_first
                               ? ErrorCode::kTruncatedData
                               : decode_error_code(errors_.error_code);
    return Error{code, fmt::format("{}: {}: {}; {}", input_.name(), what, errors_.error_message,
                                   advice_for(code))};
  }

  static const char* advice_for(ErrorCode code) {
    switch (code) {
      case ErrorCode::kTruncatedData: return "the file ends early, re-fetch it";
      case ErrorCode::kUnsupportedFormat:
        return "convert it to an 8-bit baseline or progressive JPEG";
      case ErrorCode::kTooLarge: return "the image is too large for libjpeg";
      default: return "the file is damaged or not a JPEG";
    }
  }

  // Moves libjpeg's warnings into warnings(). Truncation and corrupt data are errors unless
  // the caller allowed truncated input: libjpeg has invented pixels to fill the gap.
  Status take_warnings(const std::string& where) {
    if (errors_.warning_length == 0) return {};
    const bool damaged = errors_.saw_truncation || errors_.saw_corruption;
    const ErrorCode code = errors_.saw_truncation && errors_.truncation_came_first
                               ? ErrorCode::kTruncatedData
                               : ErrorCode::kCorruptData;
    std::string text = fmt::format("{} {}", errors_.warning_text, where);
    reset_warnings(errors_);
    if (damaged && !options_.allow_truncated) {
      return Error{code, fmt::format("{}: {}; the JPEG is {}, re-fetch it or allow truncated input",
                                     input_.name(), text,
                                     code == ErrorCode::kTruncatedData ? "truncated" : "corrupt")};
    }
    if (!warnings_.empty()) warnings_ += "; ";
    warnings_ += text;
    return {};
  }

  Error fail(Error error) {
    failure_ = error;
    return error;
  }

  InputBytes input_;
  DecodeOptions options_;
  ImageHeader header_;
  JpegErrorManager errors_{};
  jpeg_decompress_struct cinfo_{};
  std::unique_ptr<ByteSource> bytes_;
  JpegSource source_{};
  bool created_ = false;
  bool started_ = false;
  int rows_read_ = 0;
  std::string warnings_;
  std::optional<Error> failure_;  // once libjpeg has failed, its state is undefined: stay failed
  std::vector<std::uint8_t> cmyk_row_;
};

}  // namespace

// The SOI marker and the first byte of the next marker.
bool sniff_jpeg(std::span<const std::uint8_t> head) noexcept {
  return head.size() >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff;
}

Result<std::unique_ptr<Decoder>> open_jpeg_decoder(InputBytes input, const DecodeOptions& options) {
  auto decoder = std::make_unique<JpegDecoder>(std::move(input), options);
  if (Status opened = decoder->open(); !opened) return std::move(opened).error();
  return std::unique_ptr<Decoder>(std::move(decoder));
}

}  // namespace tessera::detail
