#include "tune_codecs.hpp"

#include <fmt/format.h>

#include "tessera/codecs/formats.hpp"

namespace tessera::cli {
namespace {

std::string on_off(bool value) {
  return value ? "on" : "off";
}

std::vector<CodecChoice> jpeg_choices(const EncodeArgs& base) {
  CodecChoice dct{"fast DCT " + on_off(!base.fast_dct), {}};
  dct.change.fast_dct = !base.fast_dct;
  CodecChoice huffman{"optimised Huffman " + on_off(!base.optimize), {}};
  huffman.change.optimize = !base.optimize;
  CodecChoice progressive{"progressive " + on_off(!base.progressive), {}};
  progressive.change.progressive = !base.progressive;
  return {dct, huffman, progressive};
}

std::vector<CodecChoice> png_choices(const EncodeArgs& base) {
  std::vector<CodecChoice> choices;
  for (int level : {1, 3, 9}) {
    if (level == base.png_level) continue;
    CodecChoice c{fmt::format("PNG level {}", level), {}};
    c.change.png_level = level;
    choices.push_back(c);
  }
  for (const std::string& filter : png_filter_names()) {
    if (filter == base.png_filter) continue;
    CodecChoice c{fmt::format("PNG filter {}", filter), {}};
    c.change.png_filter = filter;
    choices.push_back(c);
  }
  for (const std::string& strategy : zlib_strategy_names()) {
    if (strategy == base.png_strategy) continue;
    CodecChoice c{fmt::format("zlib strategy {}", strategy), {}};
    c.change.png_strategy = strategy;
    choices.push_back(c);
  }
  return choices;
}

}  // namespace

EncodeArgs with_codec(EncodeArgs args, const CodecProfile& change) {
  if (change.fast_dct) args.fast_dct = *change.fast_dct;
  if (change.optimize) args.optimize = *change.optimize;
  if (change.progressive) args.progressive = *change.progressive;
  if (change.png_level) args.png_level = *change.png_level;
  if (change.png_filter) args.png_filter = *change.png_filter;
  if (change.png_strategy) args.png_strategy = *change.png_strategy;
  return args;
}

std::vector<CodecChoice> codec_choices(const EncodeArgs& base, OutputFormat format,
                                       bool allow_lossy) {
  std::vector<CodecChoice> choices{{"", {}}};
  if (!allow_lossy) return choices;
  std::vector<CodecChoice> more;
  switch (format) {
    case OutputFormat::kJpeg: more = jpeg_choices(base); break;
    case OutputFormat::kPng: more = png_choices(base); break;
    case OutputFormat::kRaw: break;  // no settings: the pixels themselves
  }
  choices.insert(choices.end(), more.begin(), more.end());
  return choices;
}

CodecProfile codec_settings(const EncodeArgs& args, OutputFormat format) {
  CodecProfile all;
  switch (format) {
    case OutputFormat::kJpeg:
      all.fast_dct = args.fast_dct;
      all.optimize = args.optimize;
      all.progressive = args.progressive;
      break;
    case OutputFormat::kPng:
      all.png_level = args.png_level;
      all.png_filter = args.png_filter;
      all.png_strategy = args.png_strategy;
      break;
    case OutputFormat::kRaw: break;
  }
  return all;
}

}  // namespace tessera::cli
