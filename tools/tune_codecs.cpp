#include "tune_codecs.hpp"

#include <fmt/format.h>

#include <algorithm>

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

// Every PNG setting is lossless, so these are tried by default. Levels from fast to slow,
// where both encoders' levels mean the same thing (zlib's scale); libdeflate's 10..12 are too
// slow for a speed search. The likely faster settings come first, so a short time budget still
// tries them.
std::vector<CodecChoice> png_choices(const EncodeArgs& base) {
  std::vector<CodecChoice> choices;
  const bool libspng = base.png_encoder == to_string(PngEncoderLibrary::kLibspng);
  for (int level : {1, 2, 3, 4, 9}) {
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
  for (const std::string& encoder : png_encoder_names()) {
    if (encoder == base.png_encoder) continue;
    CodecChoice c{fmt::format("PNG encoder {}", encoder), {}};
    c.change.png_encoder = encoder;
    c.change.png_strategy = to_string(ZlibStrategy::kDefault);  // libdeflate has no strategies
    c.change.png_level = std::min(base.png_level, 9);           // libspng stops at 9
    choices.push_back(c);
  }
  for (const std::string& strategy : zlib_strategy_names()) {
    if (!libspng || strategy == base.png_strategy) continue;
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
  if (change.png_encoder) args.png_encoder = *change.png_encoder;
  return args;
}

bool overlaps(const CodecProfile& a, const CodecProfile& b) {
  return (a.fast_dct && b.fast_dct) || (a.optimize && b.optimize) ||
         (a.progressive && b.progressive) || (a.png_level && b.png_level) ||
         (a.png_filter && b.png_filter) || (a.png_strategy && b.png_strategy) ||
         (a.png_encoder && b.png_encoder);
}

CodecChoice combined(const CodecChoice& first, const CodecChoice& second) {
  CodecChoice both{first.label + " + " + second.label, first.change};
  const CodecProfile& b = second.change;
  CodecProfile& c = both.change;
  for (auto member : {&CodecProfile::fast_dct, &CodecProfile::optimize, &CodecProfile::progressive})
    if (b.*member) c.*member = b.*member;
  if (b.png_level) c.png_level = b.png_level;
  for (auto member :
       {&CodecProfile::png_filter, &CodecProfile::png_strategy, &CodecProfile::png_encoder})
    if (b.*member) c.*member = b.*member;
  return both;
}

std::vector<CodecChoice> codec_choices(const EncodeArgs& base, OutputFormat format,
                                       bool allow_lossy) {
  std::vector<CodecChoice> choices{{"", {}}};
  std::vector<CodecChoice> more;
  switch (format) {
    case OutputFormat::kJpeg:
      if (allow_lossy) more = jpeg_choices(base);
      break;
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
      all.png_encoder = args.png_encoder;
      break;
    case OutputFormat::kRaw: break;
  }
  return all;
}

}  // namespace tessera::cli
