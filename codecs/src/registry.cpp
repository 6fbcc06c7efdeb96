// The codec registry: one row per format, and every format question answered from the rows.
// Adding a format is a file with its codec, its factories in codec_factories.hpp and one row
// here; the switches below have no default, so the compiler names any row still missing.
#include "registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "codec_factories.hpp"
#include "tessera/codecs/formats.hpp"

namespace tessera {
namespace detail {
namespace {

constexpr std::string_view kJpegExtensions[] = {"jpg", "jpeg"};
constexpr std::string_view kPngExtensions[] = {"png"};
constexpr std::string_view kTiffExtensions[] = {"tif", "tiff"};
constexpr std::string_view kRawExtensions[] = {"raw"};
constexpr std::string_view kOtherExtensions[] = {"bmp", "webp", "pnm", "ppm", "pgm"};

constexpr FormatEntry kJpeg{.name = "jpeg",
                            .extensions = kJpegExtensions,
                            .container = ContainerFormat::kJpeg,
                            .sniff = sniff_jpeg,
                            .open_decoder = open_jpeg_decoder,
                            .output = OutputFormat::kJpeg,
                            .make_encoder = make_jpeg_encoder,
                            .max_encoded_size = jpeg_max_encoded_size,
                            .validate = validate_jpeg};
constexpr FormatEntry kPng{.name = "png",
                           .extensions = kPngExtensions,
                           .container = ContainerFormat::kPng,
                           .sniff = sniff_png,
                           .open_decoder = open_png_decoder,
                           .output = OutputFormat::kPng,
                           .make_encoder = make_png_encoder,
                           .max_encoded_size = png_max_encoded_size,
                           .validate = validate_png};
constexpr FormatEntry kTiff{.name = "tiff",
                            .extensions = kTiffExtensions,
                            .container = ContainerFormat::kTiff,
                            .sniff = sniff_tiff,
                            .open_decoder = open_tiff_decoder,
                            .pages = true,
                            .output = std::nullopt,
                            .make_encoder = nullptr,
                            .max_encoded_size = nullptr,
                            .validate = nullptr};
// Pixels with no encoding: written for callers that want arrays, never read back (no header
// says what the bytes are), so it has no container and sniffs nothing.
constexpr FormatEntry kRaw{.name = "raw",
                           .extensions = kRawExtensions,
                           .container = std::nullopt,
                           .sniff = nullptr,
                           .open_decoder = nullptr,
                           .output = OutputFormat::kRaw,
                           .make_encoder = make_raw_encoder,
                           .max_encoded_size = raw_max_encoded_size,
                           .validate = validate_raw};
// OpenCV reads whatever the rows above do not claim, so it sniffs nothing and comes last.
constexpr FormatEntry kOther{.name = "other",
                             .extensions = kOtherExtensions,
                             .container = ContainerFormat::kOther,
                             .sniff = nullptr,
                             .open_decoder = open_opencv_decoder,
                             .output = std::nullopt,
                             .make_encoder = nullptr,
                             .max_encoded_size = nullptr,
                             .validate = nullptr};

// Every row, in sniffing order: the first readable row whose sniff() accepts the bytes reads them,
// and writable rows list in this order in help text.
constexpr const FormatEntry* kEntries[] = {&kJpeg, &kPng, &kTiff, &kRaw, &kOther};

// A value outside its enum is a broken invariant, not bad data.
[[noreturn]] void unknown_format(const char* type) noexcept {
  std::fprintf(stderr, "tessera: internal error: a %s value outside the enum\n", type);
  std::abort();
}

}  // namespace

const FormatEntry& entry_for(OutputFormat format) noexcept {
  switch (format) {
    case OutputFormat::kJpeg: return kJpeg;
    case OutputFormat::kPng: return kPng;
    case OutputFormat::kRaw: return kRaw;
  }
  unknown_format("OutputFormat");
}

const FormatEntry& entry_for(ContainerFormat format) noexcept {
  switch (format) {
    case ContainerFormat::kJpeg: return kJpeg;
    case ContainerFormat::kPng: return kPng;
    case ContainerFormat::kTiff: return kTiff;
    case ContainerFormat::kOther: return kOther;
  }
  unknown_format("ContainerFormat");
}

}  // namespace detail

namespace {

constexpr auto kOutputFormats = [] {
  std::array<OutputFormat,
             std::ranges::count_if(detail::kEntries, [](auto* e) { return e->output.has_value(); })>
      formats{};
  std::size_t i = 0;
  for (const detail::FormatEntry* entry : detail::kEntries) {
    if (entry->output) formats[i++] = *entry->output;
  }
  return formats;
}();

}  // namespace

const char* to_string(OutputFormat format) noexcept {
  return detail::entry_for(format).name.data();
}
const char* to_string(ContainerFormat format) noexcept {
  return detail::entry_for(format).name.data();
}

const char* file_extension(OutputFormat format) noexcept {
  return detail::entry_for(format).extensions.front().data();
}

std::span<const OutputFormat> output_formats() noexcept {
  return kOutputFormats;
}

std::vector<std::string> output_format_names() {
  std::vector<std::string> names;
  for (OutputFormat format : kOutputFormats) names.emplace_back(to_string(format));
  return names;
}

std::vector<std::string> output_format_spellings() {
  std::vector<std::string> names = output_format_names();
  for (OutputFormat format : kOutputFormats) {
    for (std::string_view extension : detail::entry_for(format).extensions) {
      if (std::ranges::find(names, extension) == names.end()) names.emplace_back(extension);
    }
  }
  return names;
}

Result<OutputFormat> parse_output_format(std::string_view name) {
  for (OutputFormat format : kOutputFormats) {
    const detail::FormatEntry& entry = detail::entry_for(format);
    if (name == entry.name || std::ranges::find(entry.extensions, name) != entry.extensions.end())
      return format;
  }
  return Error{ErrorCode::kInvalidArgument, fmt::format("\"{}\" is not an output format; use {}",
                                                        name, join_names(output_format_names()))};
}

ContainerFormat detect_format(std::span<const std::uint8_t> bytes) noexcept {
  for (const detail::FormatEntry* entry : detail::kEntries) {
    if (entry->container && (entry->sniff == nullptr || entry->sniff(bytes)))
      return *entry->container;
  }
  return ContainerFormat::kOther;
}

Result<std::unique_ptr<Decoder>> open_decoder(InputBytes input, const DecodeOptions& options) {
  if (input.empty()) {
    return Error{
        ErrorCode::kUnsupportedFormat,
        fmt::format("{}: the file is empty (0 bytes); expected a JPEG, PNG, TIFF or other image",
                    input.name())};
  }
  const detail::FormatEntry& entry = detail::entry_for(detect_format(input.head()));
  if (options.page != 0 && !entry.pages) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: page {} was asked for, but a {} file holds one image; only "
                             "multi-page formats (TIFF) have pages",
                             input.name(), options.page, entry.name)};
  }
  return entry.open_decoder(std::move(input), options);
}

// Every writable format's options are checked, whichever is chosen: a wrong PNG level is a
// caller's mistake even in a JPEG run, and is reported the same way in both.
Status validate(const EncodeOptions& options) {
  for (OutputFormat format : kOutputFormats) {
    if (Status valid = detail::entry_for(format).validate(options); !valid) return valid;
  }
  return {};
}

std::size_t max_encoded_size(int width, int height, PixelFormat format,
                             const EncodeOptions& options) {
  return detail::entry_for(options.format).max_encoded_size(width, height, format, options);
}

std::unique_ptr<Encoder> make_encoder(OutputFormat format) {
  return detail::entry_for(format).make_encoder();
}

}  // namespace tessera
