// CoefficientEncoder over libjpeg's transcoder (jpeg_write_coefficients): the crop's blocks
// are read where they lie, in the caller's MCU rows. libjpeg asks for block rows through its
// memory manager's access_virt_barray; this encoder answers for its own handles with row
// pointers into the caller's memory, so no coefficient is copied and libjpeg allocates no
// whole-image array. Right and bottom edges that fall inside an MCU get libjpeg's dummy
// blocks, as jpegtran -crop writes them.
// Every call into libjpeg goes through a guarded_* function (see jpeg_error_manager.hpp).
#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "jpeg_destination.hpp"
#include "jpeg_error_manager.hpp"
#include "tessera/codecs/coefficients.hpp"

namespace tessera::detail {
namespace {

// Worst case per block: a DC code (16 bits) and 11 magnitude bits, 63 AC codes of 16 + 10 bits,
// all doubled by FF 00 stuffing, is 418 bytes; progressive scans add refinement bits and codes.
// 1024 covers both; only the bytes written are ever touched in the pooled buffer.
constexpr std::size_t kBytesPerBlock = 1024;
// Markers and tables: four quantisation and eight Huffman tables, SOF, a dozen SOS.
constexpr std::size_t kHeaderBytes = 8192;

J_COLOR_SPACE space_of(JpegColorModel color) {
  switch (color) {
    case JpegColorModel::kGray: return JCS_GRAYSCALE;
    case JpegColorModel::kYCbCr: return JCS_YCbCr;
    case JpegColorModel::kRgb: return JCS_RGB;
    case JpegColorModel::kCmyk: return JCS_CMYK;
    case JpegColorModel::kYcck: return JCS_YCCK;
  }
  return JCS_UNKNOWN;
}

int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

bool guarded_create(jpeg_compress_struct* cinfo, JpegErrorManager* errors) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_create_compress(cinfo);
  return true;
}

// The source's colour model, component identifiers, sampling factors and quantisation tables.
bool guarded_configure(jpeg_compress_struct* cinfo, JpegErrorManager* errors,
                       const CoefficientCrop* crop, const JpegOptions* options,
                       const StandardHuffmanTables* tables) {
  if (setjmp(errors->jump) != 0) return false;
  const CoefficientLayout& layout = *crop->layout;
  const J_COLOR_SPACE space = space_of(layout.color);
  cinfo->image_width = static_cast<JDIMENSION>(crop->width);
  cinfo->image_height = static_cast<JDIMENSION>(crop->height);
  cinfo->input_components = layout.components;
  cinfo->in_color_space = space;
  jpeg_set_defaults(cinfo);
  jpeg_set_colorspace(cinfo, space);
  restore_standard_tables(cinfo, *tables);
  for (int c = 0; c < layout.components; ++c) {
    const CoefficientComponent& in = layout.component[static_cast<std::size_t>(c)];
    jpeg_component_info& out = cinfo->comp_info[c];
    out.component_id = in.id;
    out.h_samp_factor = in.h;
    out.v_samp_factor = in.v;
    out.quant_tbl_no = in.quant_table;
    JQUANT_TBL*& table = cinfo->quant_tbl_ptrs[in.quant_table];
    if (table == nullptr) table = jpeg_alloc_quant_table(reinterpret_cast<j_common_ptr>(cinfo));
    const auto& values = layout.quant[static_cast<std::size_t>(in.quant_table)];
    std::copy(values.begin(), values.end(), std::begin(table->quantval));
    table->sent_table = FALSE;
  }
  cinfo->optimize_coding = options->optimize_huffman ? TRUE : FALSE;
  if (options->progressive) jpeg_simple_progression(cinfo);
  return true;
}

bool guarded_write(jpeg_compress_struct* cinfo, JpegErrorManager* errors,
                   jvirt_barray_ptr* arrays) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_write_coefficients(cinfo, arrays);
  jpeg_finish_compress(cinfo);
  return true;
}

class JpegCoefficientEncoder final : public CoefficientEncoder {
 public:
  JpegCoefficientEncoder() {
    cinfo_.err = install_error_manager(errors_);
    created_ = guarded_create(&cinfo_, &errors_);
    if (!created_) return;
    ready_ = guarded_capture_standard_tables(&cinfo_, &errors_, &standard_tables_);
    if (!ready_) return;
    install_span_destination(cinfo_, destination_);
    cinfo_.client_data = this;
    library_access_ = cinfo_.mem->access_virt_barray;
    cinfo_.mem->access_virt_barray = access_crop_rows;
    for (std::size_t c = 0; c < handles_.size(); ++c) {
      handles_[c] = reinterpret_cast<jvirt_barray_ptr>(&rows_[c]);
    }
  }

  ~JpegCoefficientEncoder() override {
    if (created_) jpeg_destroy_compress(&cinfo_);
  }

  Result<std::size_t> encode(const CoefficientCrop& crop, const JpegOptions& options,
                             std::span<std::uint8_t> out) override {
    if (!ready_) {
      return Error{ErrorCode::kInternal, fmt::format("the JPEG coefficient encoder could not be "
                                                     "created: {}",
                                                     errors_.error_message)};
    }
    if (Status valid = check(crop); !valid) return std::move(valid).error();
    point_rows_at(crop);
    destination_.data = out.data();
    destination_.size = out.size();
    reset_warnings(errors_);
    const bool ok = guarded_configure(&cinfo_, &errors_, &crop, &options, &standard_tables_) &&
                    guarded_write(&cinfo_, &errors_, handles_.data());
    if (!ok || destination_.overflowed) {
      jpeg_abort_compress(&cinfo_);  // a clean state for the next crop
      if (destination_.overflowed) {
        return Error{ErrorCode::kBufferTooSmall,
                     fmt::format("the lossless JPEG of a {}x{} crop does not fit in {} bytes; size "
                                 "buffers with max_coefficient_encoded_size()",
                                 crop.width, crop.height, out.size())};
      }
      return Error{ErrorCode::kCorruptData,
                   fmt::format("libjpeg cannot write the {}x{} crop's coefficients: {}; the "
                               "source's coefficients are out of range, so it is damaged",
                               crop.width, crop.height, errors_.error_message)};
    }
    return destination_.written;
  }

 private:
  static Status check(const CoefficientCrop& crop) {
    const CoefficientLayout* layout = crop.layout;
    if (layout == nullptr || crop.first_row == nullptr || crop.width <= 0 || crop.height <= 0 ||
        crop.row_stride < layout->mcu_row_bytes() || crop.mcu_column < 0 ||
        crop.mcu_column * layout->mcu_width() + crop.width > layout->width ||
        crop.width > JPEG_MAX_DIMENSION || crop.height > JPEG_MAX_DIMENSION) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("a lossless crop of {}x{} at MCU column {} does not fit its "
                               "source's coefficient rows",
                               crop.width, crop.height, crop.mcu_column)};
    }
    return {};
  }

  // Row pointers for each component's block rows, whole MCU rows of them, so that libjpeg's
  // requests for v rows at a time stay inside the table. The table only grows.
  void point_rows_at(const CoefficientCrop& crop) {
    const CoefficientLayout& layout = *crop.layout;
    const int mcu_rows = ceil_div(crop.height, layout.mcu_height());
    for (int c = 0; c < layout.components; ++c) {
      const CoefficientComponent& comp = layout.component[static_cast<std::size_t>(c)];
      auto& rows = rows_[static_cast<std::size_t>(c)];
      rows.resize(static_cast<std::size_t>(mcu_rows * comp.v));
      for (int j = 0; j < mcu_rows * comp.v; ++j) {
        const std::uint8_t* mcu_row =
            crop.first_row + static_cast<std::size_t>(j / comp.v) * crop.row_stride;
        const std::size_t block = comp.offset_blocks +
                                  static_cast<std::size_t>(j % comp.v) * comp.blocks_per_row +
                                  static_cast<std::size_t>(crop.mcu_column * comp.h);
        // libjpeg's transcoder only reads these blocks; its API just predates const.
        rows[static_cast<std::size_t>(j)] =
            reinterpret_cast<JBLOCKROW>(const_cast<std::uint8_t*>(mcu_row + block * kBlockBytes));
      }
    }
  }

  static JBLOCKARRAY access_crop_rows(j_common_ptr cinfo, jvirt_barray_ptr array,
                                      JDIMENSION start_row, JDIMENSION num_rows, boolean writable) {
    auto* self = static_cast<JpegCoefficientEncoder*>(cinfo->client_data);
    for (std::size_t c = 0; c < self->handles_.size(); ++c) {
      if (array != self->handles_[c]) continue;
      auto& rows = self->rows_[c];
      if (static_cast<std::size_t>(start_row) + num_rows > rows.size()) {
        ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
      }
      return rows.data() + start_row;
    }
    return self->library_access_(cinfo, array, start_row, num_rows, writable);
  }

  JpegErrorManager errors_{};
  jpeg_compress_struct cinfo_{};
  SpanDestination destination_{};
  StandardHuffmanTables standard_tables_{};
  bool created_ = false;
  bool ready_ = false;
  decltype(jpeg_memory_mgr::access_virt_barray) library_access_ = nullptr;
  std::array<std::vector<JBLOCKROW>, kMaxCoefficientComponents> rows_;
  std::array<jvirt_barray_ptr, kMaxCoefficientComponents> handles_{};
};

}  // namespace
}  // namespace tessera::detail

namespace tessera {

std::size_t max_coefficient_encoded_size(const CoefficientLayout& layout, int width, int height) {
  if (width <= 0 || height <= 0) return 0;
  const auto columns = static_cast<std::size_t>(detail::ceil_div(width, layout.mcu_width()));
  const auto rows = static_cast<std::size_t>(detail::ceil_div(height, layout.mcu_height()));
  std::size_t blocks = 0;
  for (int c = 0; c < layout.components; ++c) {
    const CoefficientComponent& comp = layout.component[static_cast<std::size_t>(c)];
    blocks += columns * static_cast<std::size_t>(comp.h) * rows * static_cast<std::size_t>(comp.v);
  }
  return blocks * detail::kBytesPerBlock + detail::kHeaderBytes;
}

std::unique_ptr<CoefficientEncoder> make_coefficient_encoder() {
  return std::make_unique<detail::JpegCoefficientEncoder>();
}

}  // namespace tessera
