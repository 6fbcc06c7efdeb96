// JPEG encoder over the libjpeg compress API: rows straight from the strided view, bytes
// straight into the caller's span. One jpeg_compress_struct per encoder, reused for every crop.
// Every call into libjpeg goes through a guarded_* function (see jpeg_error_manager.hpp).
#include <turbojpeg.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "codec_factories.hpp"
#include "jpeg_destination.hpp"
#include "jpeg_error_manager.hpp"

namespace tessera::detail {
namespace {

constexpr int kRowsPerCall = 16;

int input_components_for(PixelFormat format) {
  return format == PixelFormat::kGrayAlpha8 ? 1 : channel_count(format);
}

J_COLOR_SPACE input_space_for(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8:
    case PixelFormat::kGrayAlpha8: return JCS_GRAYSCALE;
    case PixelFormat::kRgb8: return JCS_EXT_RGB;
    case PixelFormat::kRgba8: return JCS_EXT_RGBA;
  }
  return JCS_UNKNOWN;
}

bool is_gray_input(PixelFormat format) {
  return format == PixelFormat::kGray8 || format == PixelFormat::kGrayAlpha8;
}

// Gray input always makes a gray JPEG; colour input follows the requested subsampling.
void apply_subsampling(j_compress_ptr cinfo, PixelFormat format, JpegSubsampling subsampling) {
  if (is_gray_input(format)) return;
  if (subsampling == JpegSubsampling::kGray) {
    jpeg_set_colorspace(cinfo, JCS_GRAYSCALE);
    return;
  }
  const int h = subsampling == JpegSubsampling::k444 ? 1 : 2;
  const int v = subsampling == JpegSubsampling::k420 ? 2 : 1;
  cinfo->comp_info[0].h_samp_factor = h;
  cinfo->comp_info[0].v_samp_factor = v;
  for (int c = 1; c < 3; ++c) {
    cinfo->comp_info[c].h_samp_factor = 1;
    cinfo->comp_info[c].v_samp_factor = 1;
  }
}

void write_view_rows(j_compress_ptr cinfo, const ImageView& view) {
  JSAMPROW pointers[kRowsPerCall];
  while (cinfo->next_scanline < cinfo->image_height) {
    const auto first = static_cast<int>(cinfo->next_scanline);
    const int batch = std::min(kRowsPerCall, view.height - first);
    for (int i = 0; i < batch; ++i) {
      // libjpeg only reads input rows; its API just predates const.
      pointers[i] = const_cast<JSAMPROW>(view.row(first + i));
    }
    jpeg_write_scanlines(cinfo, pointers, static_cast<JDIMENSION>(batch));
  }
}

void write_gray_alpha_rows(j_compress_ptr cinfo, const ImageView& view, std::uint8_t* gray_row) {
  JSAMPROW pointer[1] = {gray_row};
  while (cinfo->next_scanline < cinfo->image_height) {
    const std::uint8_t* src = view.row(static_cast<int>(cinfo->next_scanline));
    for (int x = 0; x < view.width; ++x) gray_row[x] = src[2 * x];
    jpeg_write_scanlines(cinfo, pointer, 1);
  }
}

// ---- guarded calls into libjpeg: only trivially destructible locals between setjmp and
// ---- any longjmp; each returns false after a fatal libjpeg error.

bool guarded_create(jpeg_compress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_create_compress(cinfo);
  return true;
}

bool guarded_configure(jpeg_compress_struct* cinfo, JpegErrorManager* errors, const ImageView& view,
                       const JpegOptions& options, const StandardHuffmanTables& tables) {
  if (setjmp(errors->jump) != 0) return false;
  cinfo->image_width = static_cast<JDIMENSION>(view.width);
  cinfo->image_height = static_cast<JDIMENSION>(view.height);
  cinfo->input_components = input_components_for(view.format);
  cinfo->in_color_space = input_space_for(view.format);
  // Also resets what the previous crop changed: no restart markers, a JFIF header and
  // nothing else, as libjpeg (and so cv::imencode) writes by default.
  jpeg_set_defaults(cinfo);
  restore_standard_tables(cinfo, tables);
  jpeg_set_quality(cinfo, options.quality, TRUE);
  apply_subsampling(cinfo, view.format, options.subsampling);
  cinfo->dct_method = options.fast_dct ? JDCT_IFAST : JDCT_ISLOW;
  cinfo->optimize_coding = options.optimize_huffman ? TRUE : FALSE;
  if (options.progressive) jpeg_simple_progression(cinfo);
  return true;
}

// gray_row is scratch for gray+alpha input, or null when rows go to libjpeg as they are.
bool guarded_compress(jpeg_compress_struct* cinfo, JpegErrorManager* errors, const ImageView& view,
                      std::uint8_t* gray_row) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_start_compress(cinfo, TRUE);
  if (gray_row != nullptr) {
    write_gray_alpha_rows(cinfo, view, gray_row);
  } else {
    write_view_rows(cinfo, view);
  }
  jpeg_finish_compress(cinfo);
  return true;
}

Status check_request(const ImageView& view, const EncodeOptions& options) {
  if (view.data == nullptr || view.width <= 0 || view.height <= 0 ||
      view.stride < view.row_bytes()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("JPEG encoder got an empty or malformed {}x{} {} view (stride {}); "
                             "pass a view with pixels and stride >= width * channels",
                             view.width, view.height, to_string(view.format), view.stride)};
  }
  if (view.width > JPEG_MAX_DIMENSION || view.height > JPEG_MAX_DIMENSION) {
    return Error{ErrorCode::kTooLarge,
                 fmt::format("a {}x{} crop is too large for JPEG, which allows at most {} pixels "
                             "per side; cut smaller crops or write PNG",
                             view.width, view.height, JPEG_MAX_DIMENSION)};
  }
  return validate_jpeg(options);
}

class JpegEncoder final : public Encoder {
 public:
  JpegEncoder() {
    cinfo_.err = install_error_manager(errors_);
    created_ = guarded_create(&cinfo_, &errors_);
    if (!created_) return;
    ready_ = guarded_capture_standard_tables(&cinfo_, &errors_, &standard_tables_);
    if (!ready_) return;
    install_span_destination(cinfo_, destination_);
  }

  ~JpegEncoder() override {
    if (created_) jpeg_destroy_compress(&cinfo_);
  }

  Result<std::size_t> encode(const ImageView& view, const EncodeOptions& options,
                             std::span<std::uint8_t> out) override {
    if (!ready_) {
      return Error{ErrorCode::kInternal,
                   fmt::format("the JPEG encoder could not be created: {}", errors_.error_message)};
    }
    if (Status valid = check_request(view, options); !valid) return std::move(valid).error();
    destination_.data = out.data();
    destination_.size = out.size();
    std::uint8_t* gray_row = nullptr;
    if (view.format == PixelFormat::kGrayAlpha8) {
      if (gray_row_.size() < static_cast<std::size_t>(view.width))
        gray_row_.resize(static_cast<std::size_t>(view.width));
      gray_row = gray_row_.data();
    }
    reset_warnings(errors_);
    const bool ok = guarded_configure(&cinfo_, &errors_, view, options.jpeg, standard_tables_) &&
                    guarded_compress(&cinfo_, &errors_, view, gray_row);
    if (!ok) {
      // Back to a clean state, so the next crop can use this encoder again.
      jpeg_abort_compress(&cinfo_);
      return destination_.overflowed ? too_small(view, out.size()) : libjpeg_error(view);
    }
    if (destination_.overflowed) return too_small(view, out.size());
    return destination_.written;
  }

 private:
  static Error too_small(const ImageView& view, std::size_t capacity) {
    return Error{ErrorCode::kBufferTooSmall,
                 fmt::format("the JPEG of a {}x{} {} crop does not fit in {} bytes; size output "
                             "buffers with max_encoded_size()",
                             view.width, view.height, to_string(view.format), capacity)};
  }

  Error libjpeg_error(const ImageView& view) const {
    return Error{ErrorCode::kInternal,
                 fmt::format("libjpeg failed to encode a {}x{} {} crop: {}", view.width,
                             view.height, to_string(view.format), errors_.error_message)};
  }

  JpegErrorManager errors_{};
  jpeg_compress_struct cinfo_{};
  SpanDestination destination_{};
  StandardHuffmanTables standard_tables_{};
  bool created_ = false;
  bool ready_ = false;
  std::vector<std::uint8_t> gray_row_;  // grows to the widest gray+alpha crop, then stays
};

int tj_subsampling(PixelFormat format, JpegSubsampling subsampling) {
  if (is_gray_input(format)) return TJSAMP_GRAY;
  switch (subsampling) {
    case JpegSubsampling::k444: return TJSAMP_444;
    case JpegSubsampling::k422: return TJSAMP_422;
    case JpegSubsampling::k420: return TJSAMP_420;
    case JpegSubsampling::kGray: return TJSAMP_GRAY;
  }
  return TJSAMP_444;
}

}  // namespace

std::unique_ptr<Encoder> make_jpeg_encoder() {
  return std::make_unique<JpegEncoder>();
}

Status validate_jpeg(const EncodeOptions& options) {
  if (options.jpeg.quality < 1 || options.jpeg.quality > 100) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("JPEG quality {} is out of range; use 1..100", options.jpeg.quality)};
  }
  return {};
}

std::size_t jpeg_max_encoded_size(int width, int height, PixelFormat format,
                                  const EncodeOptions& options) {
  if (width <= 0 || height <= 0) return 0;
  const unsigned long bound =
      tjBufSize(width, height, tj_subsampling(format, options.jpeg.subsampling));
  if (bound == static_cast<unsigned long>(-1)) return 0;
  return static_cast<std::size_t>(bound);
}

}  // namespace tessera::detail
