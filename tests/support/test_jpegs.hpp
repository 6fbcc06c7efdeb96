// JPEG sources made with libjpeg's compress API for the lossless-crop tests (every sampling
// factor, restart intervals, odd sizes, four components, progressive, arithmetic), and
// libjpeg's own reading of a file's coefficients (jpeg_read_coefficients) to compare against.
// Header-only: only the tests that need libjpeg include it.
#pragma once

#include <array>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <jpeglib.h>

namespace tessera::test {

struct JpegSpec {
  std::string name;
  int width = 0;
  int height = 0;
  J_COLOR_SPACE in_space = JCS_RGB;  // JCS_RGB, JCS_GRAYSCALE or JCS_CMYK
  J_COLOR_SPACE file_space = JCS_YCbCr;
  std::vector<std::pair<int, int>> sampling;  // h, v per component; empty: libjpeg's default
  int restart_interval = 0;                   // in MCUs
  bool progressive = false;
  bool arithmetic = false;
  bool optimize = false;
  int quality = 85;
  std::uint32_t seed = 1;
};

// Coefficients of the blocks that hold image data, as libjpeg reads them.
struct JpegCoefficients {
  struct Component {
    int id = 0, h = 1, v = 1, quant_table = 0;
    int width_in_blocks = 0, height_in_blocks = 0;
    std::vector<std::int16_t> blocks;  // row-major, 64 coefficients each
    const std::int16_t* block(int x, int y) const {
      return blocks.data() + (static_cast<std::size_t>(y) * width_in_blocks + x) * 64;
    }
  };
  int width = 0, height = 0;
  std::vector<Component> components;
  std::array<std::array<std::uint16_t, 64>, 4> quant{};
  bool ok = false;
};

namespace detail_jpegs {

struct Errors {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

[[noreturn]] inline void error_exit(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<Errors*>(cinfo->err)->jump, 1);
}

inline void quiet(j_common_ptr /*cinfo*/, int /*level*/) {}

inline std::uint8_t sample(const JpegSpec& spec, int x, int y, int c) {
  // Smooth gradients plus noise: realistic sizes, and every coefficient position used.
  std::uint32_t h = spec.seed * 2654435761u ^ static_cast<std::uint32_t>(x) * 73856093u ^
                    static_cast<std::uint32_t>(y) * 19349663u ^
                    static_cast<std::uint32_t>(c) * 83492791u;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return static_cast<std::uint8_t>((x * (3 + c) + y * (5 - c) + static_cast<int>(h % 48)) & 0xFF);
}

// Only trivially destructible state between setjmp and longjmp.
inline bool compress(const JpegSpec* spec, unsigned char** out, unsigned long* size,
                     std::uint8_t* row) {
  Errors errors{};
  jpeg_compress_struct cinfo{};
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = error_exit;
  errors.pub.emit_message = quiet;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, size);
  cinfo.image_width = static_cast<JDIMENSION>(spec->width);
  cinfo.image_height = static_cast<JDIMENSION>(spec->height);
  cinfo.in_color_space = spec->in_space;
  cinfo.input_components = spec->in_space == JCS_GRAYSCALE ? 1 : spec->in_space == JCS_CMYK ? 4 : 3;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, spec->file_space);
  jpeg_set_quality(&cinfo, spec->quality, TRUE);
  for (std::size_t c = 0; c < spec->sampling.size(); ++c) {
    cinfo.comp_info[c].h_samp_factor = spec->sampling[c].first;
    cinfo.comp_info[c].v_samp_factor = spec->sampling[c].second;
  }
  cinfo.restart_interval = static_cast<unsigned>(spec->restart_interval);
  cinfo.arith_code = spec->arithmetic ? TRUE : FALSE;
  cinfo.optimize_coding = spec->optimize ? TRUE : FALSE;
  if (spec->progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  const int channels = cinfo.input_components;
  while (cinfo.next_scanline < cinfo.image_height) {
    const int y = static_cast<int>(cinfo.next_scanline);
    for (int x = 0; x < spec->width; ++x) {
      for (int c = 0; c < channels; ++c) row[x * channels + c] = sample(*spec, x, y, c);
    }
    JSAMPROW pointer = row;
    jpeg_write_scanlines(&cinfo, &pointer, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

inline bool read_coefficients(const std::vector<std::uint8_t>* bytes, JpegCoefficients* out) {
  Errors errors{};
  jpeg_decompress_struct cinfo{};
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = error_exit;
  errors.pub.emit_message = quiet;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes->data(), static_cast<unsigned long>(bytes->size()));
  jpeg_read_header(&cinfo, TRUE);
  jvirt_barray_ptr* arrays = jpeg_read_coefficients(&cinfo);
  out->width = static_cast<int>(cinfo.image_width);
  out->height = static_cast<int>(cinfo.image_height);
  out->components.resize(static_cast<std::size_t>(cinfo.num_components));
  for (int q = 0; q < 4; ++q) {
    if (cinfo.quant_tbl_ptrs[q] == nullptr) continue;
    for (int i = 0; i < 64; ++i) {
      out->quant[static_cast<std::size_t>(q)][static_cast<std::size_t>(i)] =
          cinfo.quant_tbl_ptrs[q]->quantval[i];
    }
  }
  for (int c = 0; c < cinfo.num_components; ++c) {
    const jpeg_component_info& info = cinfo.comp_info[c];
    JpegCoefficients::Component& comp = out->components[static_cast<std::size_t>(c)];
    comp.id = info.component_id;
    comp.h = info.h_samp_factor;
    comp.v = info.v_samp_factor;
    comp.quant_table = info.quant_tbl_no;
    comp.width_in_blocks = static_cast<int>(info.width_in_blocks);
    comp.height_in_blocks = static_cast<int>(info.height_in_blocks);
    comp.blocks.resize(static_cast<std::size_t>(comp.width_in_blocks) * comp.height_in_blocks * 64);
    for (int y = 0; y < comp.height_in_blocks; ++y) {
      JBLOCKARRAY rows = (*cinfo.mem->access_virt_barray)(
          reinterpret_cast<j_common_ptr>(&cinfo), arrays[c], static_cast<JDIMENSION>(y), 1, FALSE);
      for (int x = 0; x < comp.width_in_blocks; ++x) {
        for (int k = 0; k < 64; ++k) {
          comp.blocks[(static_cast<std::size_t>(y) * comp.width_in_blocks + x) * 64 + k] =
              rows[0][x][k];
        }
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace detail_jpegs

inline std::vector<std::uint8_t> make_jpeg(const JpegSpec& spec) {
  unsigned char* out = nullptr;
  unsigned long size = 0;
  std::vector<std::uint8_t> row(static_cast<std::size_t>(spec.width) * 4);
  const bool ok = detail_jpegs::compress(&spec, &out, &size, row.data());
  std::vector<std::uint8_t> bytes;
  if (ok) bytes.assign(out, out + size);
  std::free(out);
  return bytes;
}

inline JpegCoefficients libjpeg_coefficients(const std::vector<std::uint8_t>& bytes) {
  JpegCoefficients out;
  out.ok = detail_jpegs::read_coefficients(&bytes, &out);
  return out;
}

// Every sampling layout tessera must cut losslessly, with odd sizes and restart intervals.
inline std::vector<JpegSpec> lossless_sources() {
  std::vector<JpegSpec> specs;
  const auto add = [&](JpegSpec spec) { specs.push_back(std::move(spec)); };
  add({"gray", 77, 53, JCS_GRAYSCALE, JCS_GRAYSCALE, {{1, 1}}});
  add({"444", 61, 45, JCS_RGB, JCS_YCbCr, {{1, 1}, {1, 1}, {1, 1}}});
  add({"422", 83, 41, JCS_RGB, JCS_YCbCr, {{2, 1}, {1, 1}, {1, 1}}});
  add({"420", 99, 70, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}});
  add({"440", 50, 75, JCS_RGB, JCS_YCbCr, {{1, 2}, {1, 1}, {1, 1}}});
  add({"411", 133, 30, JCS_RGB, JCS_YCbCr, {{4, 1}, {1, 1}, {1, 1}}});
  add({"rgb", 40, 33, JCS_RGB, JCS_RGB, {{1, 1}, {1, 1}, {1, 1}}});
  add({"cmyk", 45, 38, JCS_CMYK, JCS_CMYK, {{1, 1}, {1, 1}, {1, 1}, {1, 1}}});
  add({"ycck", 70, 50, JCS_CMYK, JCS_YCCK, {{2, 2}, {1, 1}, {1, 1}, {2, 2}}});
  add({"420 restart 1", 97, 66, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}, 1});
  add({"420 restart 5", 130, 49, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}, 5});
  add({"gray restart 7", 65, 40, JCS_GRAYSCALE, JCS_GRAYSCALE, {{1, 1}}, 7});
  add({"422 optimized",
       64,
       64,
       JCS_RGB,
       JCS_YCbCr,
       {{2, 1}, {1, 1}, {1, 1}},
       0,
       false,
       false,
       true});
  add({"420 q100",
       48,
       48,
       JCS_RGB,
       JCS_YCbCr,
       {{2, 2}, {1, 1}, {1, 1}},
       0,
       false,
       false,
       false,
       100});
  add({"420 progressive", 90, 60, JCS_RGB, JCS_YCbCr, {{2, 2}, {1, 1}, {1, 1}}, 0, true});
  add({"444 arithmetic", 60, 44, JCS_RGB, JCS_YCbCr, {{1, 1}, {1, 1}, {1, 1}}, 0, false, true});
  return specs;
}

}  // namespace tessera::test
