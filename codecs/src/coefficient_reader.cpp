// CoefficientReader over a JPEG: libjpeg reads the markers up to the first scan (tables,
// sampling factors); a baseline scan is then entropy-decoded by tessera's own HuffmanScan,
// MCU row by MCU row. Anything else (progressive, arithmetic, several sequential scans) goes
// through jpeg_read_coefficients, which holds the whole image, within the pixel limit.
// Every call into libjpeg goes through a guarded_* function (see jpeg_error_manager.hpp).
#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "codec_factories.hpp"
#include "huffman_scan.hpp"
#include "jpeg_error_manager.hpp"
#include "jpeg_source.hpp"
#include "tessera/codecs/coefficients.hpp"

namespace tessera::detail {
namespace {

bool guarded_create(jpeg_decompress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_create_decompress(cinfo);
  return true;
}

bool guarded_read_header(jpeg_decompress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_read_header(cinfo, TRUE);
  return true;
}

bool guarded_read_coefficients(jpeg_decompress_struct* cinfo, JpegErrorManager* errors,
                               jvirt_barray_ptr** arrays) {
  if (setjmp(errors->jump) != 0) return false;
  *arrays = jpeg_read_coefficients(cinfo);
  return true;
}

// Copies MCU row `row` out of libjpeg's whole-image arrays into the layout's block order.
bool guarded_copy_row(jpeg_decompress_struct* cinfo, JpegErrorManager* errors,
                      jvirt_barray_ptr* arrays, const CoefficientLayout* layout, int row,
                      std::int16_t* dst) {
  if (setjmp(errors->jump) != 0) return false;
  std::memset(dst, 0, layout->mcu_row_bytes());
  for (int c = 0; c < layout->components; ++c) {
    const CoefficientComponent& comp = layout->component[static_cast<std::size_t>(c)];
    const int first = row * comp.v;
    if (first >= comp.height_in_blocks) continue;
    const int rows = std::min(comp.v, comp.height_in_blocks - first);
    JBLOCKARRAY blocks = (*cinfo->mem->access_virt_barray)(
        reinterpret_cast<j_common_ptr>(cinfo), arrays[c], static_cast<JDIMENSION>(first),
        static_cast<JDIMENSION>(rows), FALSE);
    for (int r = 0; r < rows; ++r) {
      std::memcpy(dst + (comp.offset_blocks + static_cast<std::size_t>(r) * comp.blocks_per_row) *
                            kBlockCoefficients,
                  blocks[r], static_cast<std::size_t>(comp.width_in_blocks) * kBlockBytes);
    }
  }
  return true;
}

int ceil_div(long a, long b) {
  return static_cast<int>((a + b - 1) / b);
}

std::optional<JpegColorModel> color_model_of(J_COLOR_SPACE space) {
  switch (space) {
    case JCS_GRAYSCALE: return JpegColorModel::kGray;
    case JCS_YCbCr: return JpegColorModel::kYCbCr;
    case JCS_RGB: return JpegColorModel::kRgb;
    case JCS_CMYK: return JpegColorModel::kCmyk;
    case JCS_YCCK: return JpegColorModel::kYcck;
    default: return std::nullopt;
  }
}

// A scan tessera decodes itself: sequential Huffman, every component in it, every table there.
bool is_single_baseline_scan(const jpeg_decompress_struct& cinfo) {
  if (cinfo.progressive_mode || cinfo.arith_code || cinfo.comps_in_scan != cinfo.num_components)
    return false;
  if (cinfo.Ss != 0 || cinfo.Se != DCTSIZE2 - 1 || cinfo.Ah != 0 || cinfo.Al != 0) return false;
  for (int i = 0; i < cinfo.comps_in_scan; ++i) {
    const jpeg_component_info* comp = cinfo.cur_comp_info[i];
    // The SOS marker gives 4-bit table numbers, which libjpeg checks only when decoding starts.
    if (comp->dc_tbl_no < 0 || comp->dc_tbl_no >= NUM_HUFF_TBLS || comp->ac_tbl_no < 0 ||
        comp->ac_tbl_no >= NUM_HUFF_TBLS)
      return false;
    if (cinfo.dc_huff_tbl_ptrs[comp->dc_tbl_no] == nullptr ||
        cinfo.ac_huff_tbl_ptrs[comp->ac_tbl_no] == nullptr)
      return false;
  }
  return true;
}

class JpegCoefficientReader final : public CoefficientReader {
 public:
  JpegCoefficientReader(InputBytes input, const DecodeOptions& options)
      : input_(std::move(input)), options_(options) {
    cinfo_.err = install_error_manager(errors_);
  }
  ~JpegCoefficientReader() override {
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
      Error error = libjpeg_error("cannot read the JPEG header");
      if (errors_.error_code == JERR_BAD_PRECISION) error.message += "; lossless crops need 8-bit";
      return error;
    }
    if (Status damage = take_warnings("in the JPEG header"); !damage) return damage;
    if (Status limit = check_pixel_limit(input_, "JPEG", static_cast<int>(cinfo_.image_width),
                                         static_cast<int>(cinfo_.image_height), options_);
        !limit) {
      return limit;
    }
    if (Status layout = make_layout(); !layout) return layout;
    if (is_single_baseline_scan(cinfo_)) return start_scan();
    // The whole read waits for the first row, so that opening reads headers only (as
    // `tessera plan` relies on); whether it will fit is known now.
    return check_whole_fits();
  }

  const CoefficientLayout& layout() const noexcept override { return layout_; }
  int mcu_rows_read() const noexcept override { return rows_read_; }

  Result<int> read_mcu_rows(std::uint8_t* dst, std::size_t row_stride, int max_rows) override {
    if (failure_) return *failure_;
    if (rows_read_ == layout_.mcu_rows) return 0;
    if (!scan_ && whole_ == nullptr) {
      if (Status read = read_whole(); !read) {
        failure_ = std::move(read).error();
        return *failure_;
      }
    }
    if (dst == nullptr || max_rows <= 0 || row_stride < layout_.mcu_row_bytes() ||
        reinterpret_cast<std::uintptr_t>(dst) % alignof(std::int16_t) != 0 ||
        row_stride % alignof(std::int16_t) != 0) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{}: read_mcu_rows needs an aligned destination, max_rows > 0 and "
                               "a row stride of at least {} bytes",
                               input_.name(), layout_.mcu_row_bytes())};
    }
    const int rows = std::min(max_rows, layout_.mcu_rows - rows_read_);
    for (int i = 0; i < rows; ++i) {
      auto* row = reinterpret_cast<std::int16_t*>(dst + static_cast<std::size_t>(i) * row_stride);
      Status ok =
          scan_
              ? scan_->decode_row(row)
              : (guarded_copy_row(&cinfo_, &errors_, whole_, &layout_, rows_read_, row)
                     ? Status{}
                     : Status{Error{decode_error_code(errors_.error_code), errors_.error_message}});
      if (!ok) return fail(rows_read_, std::move(ok).error());
      ++rows_read_;
    }
    return rows;
  }

 private:
  Status make_layout() {
    const auto color = color_model_of(cinfo_.jpeg_color_space);
    const int n = cinfo_.num_components;
    if (!color || (n != 1 && n != 3 && n != 4) || cinfo_.data_precision != 8) {
      return Error{ErrorCode::kUnsupportedFormat,
                   fmt::format("{}: lossless crops need an 8-bit gray, YCbCr, RGB, CMYK or YCCK "
                               "JPEG; this one has {} components of {} bits; crop it through "
                               "the pixel path (without --lossless)",
                               input_.name(), n, cinfo_.data_precision)};
    }
    CoefficientLayout& l = layout_;
    l.width = static_cast<int>(cinfo_.image_width);
    l.height = static_cast<int>(cinfo_.image_height);
    l.components = n;
    l.color = *color;
    l.progressive = !is_single_baseline_scan(cinfo_);
    l.max_h = cinfo_.max_h_samp_factor;
    l.max_v = cinfo_.max_v_samp_factor;
    l.mcu_columns = ceil_div(l.width, l.mcu_width());
    l.mcu_rows = ceil_div(l.height, l.mcu_height());
    std::size_t offset = 0;
    for (int c = 0; c < n; ++c) {
      const jpeg_component_info& in = cinfo_.comp_info[c];
      CoefficientComponent& out = l.component[static_cast<std::size_t>(c)];
      out.id = in.component_id;
      out.h = in.h_samp_factor;
      out.v = in.v_samp_factor;
      out.quant_table = in.quant_tbl_no;
      out.width_in_blocks = static_cast<int>(in.width_in_blocks);
      out.height_in_blocks = static_cast<int>(in.height_in_blocks);
      out.blocks_per_row = l.mcu_columns * out.h;
      out.offset_blocks = offset;
      offset += static_cast<std::size_t>(out.v) * static_cast<std::size_t>(out.blocks_per_row);
      // The SOF marker's table number is a byte, which libjpeg checks only when decoding starts.
      const bool known = in.quant_tbl_no >= 0 && in.quant_tbl_no < NUM_QUANT_TBLS;
      const JQUANT_TBL* table = known ? cinfo_.quant_tbl_ptrs[in.quant_tbl_no] : nullptr;
      if (table == nullptr) {
        return Error{ErrorCode::kCorruptData,
                     fmt::format("{}: component {} uses quantisation table {}, which the file "
                                 "never defines; the file is damaged",
                                 input_.name(), c, in.quant_tbl_no)};
      }
      std::copy(std::begin(table->quantval), std::end(table->quantval),
                l.quant[static_cast<std::size_t>(in.quant_tbl_no)].begin());
    }
    l.mcu_row_blocks = offset;
    return {};
  }

  Status start_scan() {
    std::array<BaselineScan::ScanComponent, kMaxCoefficientComponents> components{};
    for (int i = 0; i < cinfo_.comps_in_scan; ++i) {
      const jpeg_component_info* comp = cinfo_.cur_comp_info[i];
      auto& sc = components[static_cast<std::size_t>(i)];
      sc.index = comp->component_index;
      sc.dc_table = comp->dc_tbl_no;
      sc.ac_table = comp->ac_tbl_no;
      for (const bool dc : {true, false}) {
        const int slot = dc ? sc.dc_table : sc.ac_table;
        const JHUFF_TBL* table = dc ? cinfo_.dc_huff_tbl_ptrs[slot] : cinfo_.ac_huff_tbl_ptrs[slot];
        Status built = tables_[static_cast<std::size_t>((dc ? 0 : 4) + slot)].build(
            std::span<const std::uint8_t, 17>(table->bits, 17),
            std::span<const std::uint8_t>(table->huffval, 256), dc);
        if (!built) {
          return Error{ErrorCode::kCorruptData, fmt::format("{}: {}; the file is damaged",
                                                            input_.name(), built.error().message)};
        }
      }
    }
    bits_.emplace(*bytes_, std::span<const std::uint8_t>(source_.pub.next_input_byte,
                                                         source_.pub.bytes_in_buffer));
    scan_.emplace(layout_,
                  std::span<const BaselineScan::ScanComponent>(
                      components.data(), static_cast<std::size_t>(cinfo_.comps_in_scan)),
                  tables_, static_cast<int>(cinfo_.restart_interval), *bits_);
    return {};
  }

  // Whole-image read: every block in libjpeg's memory at once, so bounded by the pixel limit.
  Status check_whole_fits() const {
    std::uint64_t blocks = 0;
    for (int c = 0; c < layout_.components; ++c) {
      const CoefficientComponent& comp = layout_.component[static_cast<std::size_t>(c)];
      blocks += static_cast<std::uint64_t>(layout_.mcu_columns * comp.h) *
                static_cast<std::uint64_t>(layout_.mcu_rows * comp.v);
    }
    const std::uint64_t bytes = blocks * kBlockBytes;
    const std::uint64_t allowed = options_.max_pixels * 3;
    if (bytes > allowed) {
      return Error{ErrorCode::kTooLarge,
                   fmt::format("{}: this progressive or arithmetic-coded JPEG cannot stream; its "
                               "coefficients need {} MiB at once, more than the {} MiB an RGB "
                               "image at the pixel limit takes; raise --max-pixels, or convert "
                               "it to baseline first (jpegtran -optimize)",
                               input_.name(), bytes >> 20, allowed >> 20)};
    }
    return {};
  }

  Status read_whole() {
    if (!guarded_read_coefficients(&cinfo_, &errors_, &whole_) || whole_ == nullptr) {
      return libjpeg_error("cannot read the coefficients");
    }
    return take_warnings("while reading the coefficients");
  }

  Error fail(int row, Error error) {
    const int top = row * layout_.mcu_height();
    error.message =
        fmt::format("{}: MCU row {} (pixel rows {}..{}): {}", input_.name(), row, top,
                    std::min(top + layout_.mcu_height(), layout_.height) - 1, error.message);
    if (error.code == ErrorCode::kTruncatedData) {
      error.message += "; the file ends early, re-fetch it";
    } else if (error.code == ErrorCode::kCorruptData) {
      error.message += "; the file is damaged, re-fetch it";
    }
    failure_ = error;
    return error;
  }

  Error libjpeg_error(const std::string& what) const {
    if (source_.failure) return *source_.failure;
    const ErrorCode code = errors_.saw_truncation && errors_.truncation_came_first
                               ? ErrorCode::kTruncatedData
                               : decode_error_code(errors_.error_code);
    return Error{code, fmt::format("{}: {}: {}", input_.name(), what, errors_.error_message)};
  }

  // libjpeg invents data for a damaged file and only warns: for a lossless crop that is an
  // error unless truncated input is allowed.
  Status take_warnings(const std::string& where) {
    if (errors_.warning_length == 0) return {};
    const bool damaged = errors_.saw_truncation || errors_.saw_corruption;
    std::string text = fmt::format("{} {}", errors_.warning_text, where);
    const ErrorCode code = errors_.saw_truncation && errors_.truncation_came_first
                               ? ErrorCode::kTruncatedData
                               : ErrorCode::kCorruptData;
    reset_warnings(errors_);
    if (!damaged || options_.allow_truncated) return {};
    return Error{code,
                 fmt::format("{}: {}; the JPEG is damaged, re-fetch it", input_.name(), text)};
  }

  InputBytes input_;
  DecodeOptions options_;
  JpegErrorManager errors_{};
  jpeg_decompress_struct cinfo_{};
  std::unique_ptr<ByteSource> bytes_;
  JpegSource source_{};
  bool created_ = false;
  CoefficientLayout layout_;
  std::array<HuffmanTable, 8> tables_{};
  std::optional<ScanBits> bits_;
  std::optional<BaselineScan> scan_;
  jvirt_barray_ptr* whole_ = nullptr;
  int rows_read_ = 0;
  std::optional<Error> failure_;
};

}  // namespace
}  // namespace tessera::detail

namespace tessera {

Result<std::unique_ptr<CoefficientReader>> open_coefficient_reader(InputBytes input,
                                                                   const DecodeOptions& options) {
  if (detect_format(input.head()) != ContainerFormat::kJpeg) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: lossless crops need a JPEG input; this is {}; drop --lossless",
                             input.name(), to_string(detect_format(input.head())))};
  }
  auto reader = std::make_unique<detail::JpegCoefficientReader>(std::move(input), options);
  if (Status opened = reader->open(); !opened) return std::move(opened).error();
  return std::unique_ptr<CoefficientReader>(std::move(reader));
}

}  // namespace tessera
