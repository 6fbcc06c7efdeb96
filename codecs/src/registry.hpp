// Private: the codec registry, one row per image format tessera reads or writes. Every
// format question (sniffing, names, extensions, factories, size bounds, option checks) is
// answered from these rows; no other code may choose between formats by itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"

namespace tessera::detail {

struct FormatEntry {
  std::string_view name;                         // as users type it and tools print it
  std::span<const std::string_view> extensions;  // the first one names output files
  // Reading; a format tessera cannot read has no container.
  std::optional<ContainerFormat> container;
  bool (*sniff)(std::span<const std::uint8_t> head) noexcept = nullptr;  // null: takes anything
  Result<std::unique_ptr<Decoder>> (*open_decoder)(InputBytes, const DecodeOptions&) = nullptr;
  bool pages = false;  // a file may hold several images (DecodeOptions::page)
  // Writing; a format tessera cannot write has no output.
  std::optional<OutputFormat> output;
  std::unique_ptr<Encoder> (*make_encoder)() = nullptr;
  std::size_t (*max_encoded_size)(int width, int height, PixelFormat,
                                  const EncodeOptions&) = nullptr;
  Status (*validate)(const EncodeOptions&) = nullptr;
};

// The row of a format; every enumerator has one.
const FormatEntry& entry_for(OutputFormat format) noexcept;
const FormatEntry& entry_for(ContainerFormat format) noexcept;

}  // namespace tessera::detail
