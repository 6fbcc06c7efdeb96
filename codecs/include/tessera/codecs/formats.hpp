// What tessera can read and write, asked of the codec registry: every name a user types for a
// format or a codec option ("png", "420", "paeth", "huffman"), parsed, printed and listed here
// so that the command line, profiles, benchmarks and help text agree. No other layer spells
// these names or chooses between formats itself; it asks here.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/result.hpp"

namespace tessera {

// Every format tessera can write, in the order help text lists them.
std::span<const OutputFormat> output_formats() noexcept;

// Each parser accepts exactly the names to_string() prints; an output format also accepts
// its file extensions ("jpg"). Errors quote the text and list every valid name.
Result<OutputFormat> parse_output_format(std::string_view name);
Result<JpegSubsampling> parse_jpeg_subsampling(std::string_view name);
Result<PngFilter> parse_png_filter(std::string_view name);
Result<ZlibStrategy> parse_zlib_strategy(std::string_view name);
Result<PngEncoderLibrary> parse_png_encoder(std::string_view name);

// Valid names in help order, for help text and argument checks.
std::vector<std::string> output_format_names();
std::vector<std::string> output_format_spellings();  // the names, then the other extensions
std::vector<std::string> jpeg_subsampling_names();
std::vector<std::string> png_filter_names();
std::vector<std::string> zlib_strategy_names();
std::vector<std::string> png_encoder_names();

// "a, b or c", as help text and messages list choices.
std::string join_names(const std::vector<std::string>& names);

}  // namespace tessera
