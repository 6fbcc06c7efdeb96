#include "huffman_scan.hpp"

#include <cstring>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace tessera::detail {
namespace {

// Zigzag position -> natural (row-major) position in the 8x8 block.
constexpr std::array<std::uint8_t, 64> kNaturalOrder = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48,
    41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
    30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

constexpr std::uint8_t kMarkerPrefix = 0xFF;
constexpr int kFirstRestartMarker = 0xD0;

// The value of `size` (1..15) raw bits read as JPEG codes a signed magnitude (F.12, EXTEND):
// a clear top bit means negative, value - (2^size - 1). Computed without a branch, which the
// processor could not predict: the sign of a coefficient is noise.
int extend(std::uint32_t raw, int size) {
  const auto value = static_cast<int>(raw);
  const int negative = ((value >> (size - 1)) & 1) - 1;  // -1 when the top bit is clear, else 0
  return value + (negative & (1 - (1 << size)));
}

// The fast path decodes a block only when this many bytes of the chunk are left, more than a
// block can read: each of its 64 codes and magnitudes takes at most 16 + 15 bits, every byte
// may be stuffed (FF 00, two bytes), and a refill looks 8 bytes ahead.
constexpr std::size_t kFastMargin = 2 * (kBlockCoefficients * 31 / 8 + 1) + 2 * 8;

// A symbol whose code is longer than the lookup's 11 bits, by the code-length limits
// (F.2.2.3), from the top 16 bits of `bits`; length 0 when no code of 16 bits or less matches.
// It takes and returns values, not the cursor, so that the cursor never needs an address and
// stays in registers.
struct LongSymbol {
  int symbol = 0;
  int length = 0;
};
LongSymbol decode_long_symbol(std::uint64_t bits, const HuffmanTable& table) {
  for (int length = HuffmanTable::kFastBits + 1; length <= 16; ++length) {
    const auto code = static_cast<std::int32_t>(bits >> (64 - length));
    if (code <= table.max_code[static_cast<std::size_t>(length)]) {
      return {table.symbols[static_cast<std::size_t>(
                  code + table.value_offset[static_cast<std::size_t>(length)])],
              length};
    }
  }
  return {};
}

// -1 when no code matches; the cursor holds at least 16 bits.
inline int decode_symbol_fast(ScanBits::Cursor& bits, const HuffmanTable& table) {
  const std::uint16_t fast = table.fast[bits.peek(HuffmanTable::kFastBits)];
  if (fast != 0) {
    bits.skip(fast >> 8);
    return fast & 0xFF;
  }
  const LongSymbol found = decode_long_symbol(bits.bits, table);
  if (found.length == 0) return -1;
  bits.skip(found.length);
  return found.symbol;
}

// Eight 16-byte stores, written out. A plain memset of 128 bytes at an unknown alignment
// compiles to `rep stos`, whose start-up costs more than the stores, and a loop of them ends
// in a mispredicted branch; both once per block.
void zero_block(std::int16_t* block) {
  using Lanes = std::int16_t __attribute__((vector_size(16)));
  const Lanes zero{};
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (std::memcpy(block + 8 * I, &zero, sizeof zero), ...);
  }
  (std::make_index_sequence<kBlockCoefficients / 8>{});
}

// Refills the cursor when it holds fewer than `needed` bits; false at a marker.
inline bool ensure(ScanBits::Cursor& bits, int needed) {
  return bits.count >= needed || bits.refill();
}

// A DC value that a coefficient cannot hold is damage: differences that keep adding up in one
// direction would otherwise overflow the running predictor on a hostile file.
constexpr bool fits_coefficient(int value) {
  return value >= std::numeric_limits<std::int16_t>::min() &&
         value <= std::numeric_limits<std::int16_t>::max();
}

// One block from a cursor with room for all of it (see kFastMargin): the same decode as
// decode_block_careful, with the reader state in registers. A refill leaves 56 or more bits,
// and is tested for before each code (16 bits at most, so that refills are few: each is a
// branch the processor mostly cannot predict) and, on the rarer paths, before magnitudes.
// False on a marker or bad data, which the careful path then decodes and names.
bool decode_block_fast(ScanBits::Cursor& bits, std::int16_t* block, const HuffmanTable& dc,
                       const HuffmanTable& ac, int& predictor) {
  constexpr int kCodeBits = 16;
  zero_block(block);
  if (!ensure(bits, kCodeBits)) return false;
  const int dc_size = decode_symbol_fast(bits, dc);
  if (dc_size < 0) return false;
  if (dc_size > 0) {
    if (!ensure(bits, dc_size)) return false;
    predictor += extend(bits.peek(dc_size), dc_size);
    bits.skip(dc_size);
  }
  if (!fits_coefficient(predictor)) return false;
  block[0] = static_cast<std::int16_t>(predictor);
  // An unsigned index: no sign extension before each store.
  constexpr std::size_t kEnd = kBlockCoefficients;
  for (std::size_t k = 1; k < kEnd; ++k) {
    if (!ensure(bits, kCodeBits)) return false;
    // The lookup's codes and magnitudes fit its 11 bits.
    const HuffmanTable::FastAc fast = ac.fast_ac[bits.peek(HuffmanTable::kFastBits)];
    if (fast.bits != 0) {
      k += fast.run;
      if (k >= kEnd) return false;
      bits.skip(fast.bits);
      block[kNaturalOrder[k]] = fast.value;
      continue;
    }
    const int symbol = decode_symbol_fast(bits, ac);
    if (symbol < 0) return false;
    const int run = symbol >> 4;
    const int size = symbol & 15;
    if (size == 0) {
      if (run != 15) break;  // end of block
      k += 15;               // sixteen zeros
      continue;
    }
    k += static_cast<std::size_t>(run);
    if (k >= kEnd || !ensure(bits, size)) return false;
    block[kNaturalOrder[k]] = static_cast<std::int16_t>(extend(bits.peek(size), size));
    bits.skip(size);
  }
  return true;
}

}  // namespace

Status HuffmanTable::build(std::span<const std::uint8_t, 17> bits,
                           std::span<const std::uint8_t> table_symbols, bool dc) {
  fast.fill(0);
  fast_ac.fill(FastAc{});
  std::size_t total = 0;
  for (int length = 1; length <= 16; ++length) total += bits[static_cast<std::size_t>(length)];
  if (total > symbols.size() || total > table_symbols.size()) {
    return Error{ErrorCode::kCorruptData, "a Huffman table lists more than 256 codes"};
  }
  std::int32_t code = 0;
  std::size_t k = 0;
  for (int length = 1; length <= 16; ++length) {
    const int count = bits[static_cast<std::size_t>(length)];
    value_offset[static_cast<std::size_t>(length)] = static_cast<std::int32_t>(k) - code;
    for (int i = 0; i < count; ++i, ++code, ++k) {
      const std::uint8_t symbol = table_symbols[k];
      if (dc && symbol > 15) {
        return Error{ErrorCode::kCorruptData, "a DC Huffman table has a symbol above 15"};
      }
      symbols[k] = symbol;
      if (length <= kFastBits) {
        const int shift = kFastBits - length;
        const auto first = static_cast<std::size_t>(code) << shift;
        for (std::size_t j = 0; j < (std::size_t{1} << shift); ++j) {
          fast[first + j] = static_cast<std::uint16_t>(length << 8 | symbol);
        }
      }
    }
    max_code[static_cast<std::size_t>(length)] = count == 0 ? -1 : code - 1;
    // The all-ones code of a length is reserved, so `code` may not reach 2^length.
    if (code >= (std::int32_t{1} << length)) {
      return Error{ErrorCode::kCorruptData,
                   "a Huffman table has more codes than its lengths allow"};
    }
    code <<= 1;
  }
  max_code[17] = INT32_MAX;  // never reached: a code longer than 16 bits is an error
  if (!dc) {
    for (std::size_t prefix = 0; prefix < fast.size(); ++prefix) {
      const int length = fast[prefix] >> 8;
      const int run = (fast[prefix] >> 4) & 15;
      const int size = fast[prefix] & 15;
      if (length == 0 || size == 0 || length + size > kFastBits) continue;
      const auto raw =
          static_cast<std::uint32_t>(prefix >> (kFastBits - length - size)) & ((1u << size) - 1);
      const int value = extend(raw, size);
      fast_ac[prefix] = FastAc{static_cast<std::int16_t>(value), static_cast<std::uint8_t>(run),
                               static_cast<std::uint8_t>(length + size)};
    }
  }
  return {};
}

bool ScanBits::next_byte(std::uint8_t& byte) {
  while (position_ == chunk_.size()) {
    if (at_end || source_failure) return false;
    auto chunk = source_->next();
    if (!chunk) {
      source_failure = std::move(chunk).error();
      return false;
    }
    if (chunk->empty()) {
      at_end = true;
      return false;
    }
    chunk_ = *chunk;
    position_ = 0;
  }
  byte = chunk_[position_++];
  return true;
}

// One byte into the buffer: data, an FF 00 pair (one FF of data), or zeros at the end of the
// data or at a marker (remembered in `marker`).
void ScanBits::fill_one() {
  std::uint8_t byte = 0;
  bool data = marker < 0 && next_byte(byte);
  if (data && byte == kMarkerPrefix) {
    std::uint8_t next = kMarkerPrefix;
    while (next == kMarkerPrefix) {  // a marker may be preceded by any number of FF
      if (!next_byte(next)) {
        data = false;
        break;
      }
    }
    if (data && next != 0) {
      marker = next;
      data = false;
    }
  }
  if (!data) padding_ += 8;
  bits_ |= static_cast<std::uint64_t>(data ? byte : 0) << (56 - count_);
  count_ += 8;
}

bool ScanBits::restart(int n, std::string& why) {
  // Whatever is left of the current byte is padding; the marker comes next.
  std::uint8_t byte = 0;
  while (marker < 0) {
    if (!next_byte(byte)) {
      why = at_end ? "the data ends before a restart marker" : "the input could not be read";
      return false;
    }
    if (byte != kMarkerPrefix) {
      why = "stray bytes before a restart marker";
      return false;
    }
    std::uint8_t next = kMarkerPrefix;
    while (next == kMarkerPrefix) {
      if (!next_byte(next)) {
        why = "the data ends inside a restart marker";
        return false;
      }
    }
    if (next != 0) marker = next;
  }
  const int expected = kFirstRestartMarker + (n & 7);
  if (marker != expected) {
    why = fmt::format("marker 0x{:02X} where restart marker 0x{:02X} belongs", marker, expected);
    return false;
  }
  marker = -1;
  bits_ = 0;
  count_ = 0;
  padding_ = 0;
  return true;
}

BaselineScan::BaselineScan(const CoefficientLayout& layout,
                           std::span<const ScanComponent> components,
                           const std::array<HuffmanTable, 8>& tables, int restart_interval,
                           ScanBits& bits)
    : layout_(layout),
      component_count_(static_cast<int>(components.size())),
      tables_(tables),
      restart_interval_(restart_interval),
      bits_(bits),
      mcus_to_restart_(restart_interval) {
  for (std::size_t i = 0; i < components.size(); ++i) components_[i] = components[i];
  for (int i = 0; i < component_count_; ++i) {
    const ScanComponent& sc = components_[static_cast<std::size_t>(i)];
    const CoefficientComponent& c = layout_.component[static_cast<std::size_t>(sc.index)];
    for (int r = 0; r < c.v; ++r) {
      for (int x = 0; x < c.h; ++x) {
        mcu_blocks_[static_cast<std::size_t>(mcu_block_count_++)] =
            McuBlock{c.offset_blocks + static_cast<std::size_t>(r) * c.blocks_per_row +
                         static_cast<std::size_t>(x),
                     c.h, i, &tables_[static_cast<std::size_t>(sc.dc_table)],
                     &tables_[4 + static_cast<std::size_t>(sc.ac_table)]};
      }
    }
  }
}

int BaselineScan::decode_symbol(const HuffmanTable& table) {
  const std::uint16_t fast = table.fast[bits_.peek(HuffmanTable::kFastBits)];
  if (fast != 0) {
    bits_.skip(fast >> 8);
    return fast & 0xFF;
  }
  for (int length = HuffmanTable::kFastBits + 1; length <= 16; ++length) {
    const auto code = static_cast<std::int32_t>(bits_.peek(length));
    if (code <= table.max_code[static_cast<std::size_t>(length)]) {
      bits_.skip(length);
      return table.symbols[static_cast<std::size_t>(
          code + table.value_offset[static_cast<std::size_t>(length)])];
    }
  }
  return -1;
}

// Most blocks take the fast path; one near the end of a chunk, next to a marker, or with bad
// data is decoded (again, from the untouched state) by the careful path, which names the error.
bool BaselineScan::decode_block(std::int16_t* block, const HuffmanTable& dc, const HuffmanTable& ac,
                                int& predictor) {
  ScanBits::Cursor cursor;
  if (bits_.begin_fast(cursor, kFastMargin)) {
    int fast_predictor = predictor;
    if (decode_block_fast(cursor, block, dc, ac, fast_predictor)) {
      bits_.end_fast(cursor);
      predictor = fast_predictor;
      return true;
    }
  }
  return decode_block_careful(block, dc, ac, predictor);
}

// F.2.2: the DC difference, then run/size pairs for the AC coefficients in zigzag order.
bool BaselineScan::decode_block_careful(std::int16_t* block, const HuffmanTable& dc,
                                        const HuffmanTable& ac, int& predictor) {
  std::memset(block, 0, kBlockBytes);
  const int dc_size = decode_symbol(dc);
  if (dc_size < 0) return false;
  int diff = 0;
  if (dc_size > 0) {
    diff = extend(bits_.peek(dc_size), dc_size);
    bits_.skip(dc_size);
  }
  predictor += diff;
  if (!fits_coefficient(predictor)) return false;
  block[0] = static_cast<std::int16_t>(predictor);
  for (int k = 1; k < kBlockCoefficients; ++k) {
    // Most coefficients are small: code and magnitude in one lookup.
    const HuffmanTable::FastAc fast = ac.fast_ac[bits_.peek(HuffmanTable::kFastBits)];
    if (fast.bits != 0) {
      k += fast.run;
      if (k >= kBlockCoefficients) return false;
      bits_.skip(fast.bits);
      block[kNaturalOrder[static_cast<std::size_t>(k)]] = fast.value;
      continue;
    }
    const int symbol = decode_symbol(ac);
    if (symbol < 0) return false;
    const int run = symbol >> 4;
    const int size = symbol & 15;
    if (size == 0) {
      if (run != 15) break;  // end of block
      k += 15;               // sixteen zeros
      continue;
    }
    k += run;
    if (k >= kBlockCoefficients) return false;
    block[kNaturalOrder[static_cast<std::size_t>(k)]] =
        static_cast<std::int16_t>(extend(bits_.peek(size), size));
    bits_.skip(size);
  }
  return true;
}

Status BaselineScan::bad_data(const char* what) const {
  if (bits_.source_failure) return *bits_.source_failure;
  if (bits_.at_end) {
    return Error{ErrorCode::kTruncatedData, "the entropy-coded data ends early"};
  }
  if (bits_.marker >= 0) {
    return Error{ErrorCode::kCorruptData,
                 fmt::format("the entropy-coded data is cut by marker 0x{:02X}", bits_.marker)};
  }
  return Error{ErrorCode::kCorruptData, fmt::format("corrupt entropy-coded data ({})", what)};
}

Status BaselineScan::before_mcu() {
  if (restart_interval_ == 0) return {};
  if (mcus_to_restart_ == 0) {
    std::string why;
    if (!bits_.restart(next_restart_, why)) {
      if (bits_.source_failure) return *bits_.source_failure;
      return Error{bits_.at_end ? ErrorCode::kTruncatedData : ErrorCode::kCorruptData,
                   fmt::format("bad restart interval: {}", why)};
    }
    ++next_restart_;
    predictors_.fill(0);
    mcus_to_restart_ = restart_interval_;
  }
  --mcus_to_restart_;
  return {};
}

Status BaselineScan::decode_row(std::int16_t* dst) {
  const auto block_at = [&](const CoefficientComponent& c, int r, int x) {
    return dst + (c.offset_blocks + static_cast<std::size_t>(r) * c.blocks_per_row +
                  static_cast<std::size_t>(x)) *
                     kBlockCoefficients;
  };
  if (component_count_ == 1) {
    // A single-component scan codes the component's own blocks, one per MCU, and none of the
    // padding past its width or height.
    const ScanComponent& sc = components_[0];
    const CoefficientComponent& c = layout_.component[static_cast<std::size_t>(sc.index)];
    std::memset(dst, 0, layout_.mcu_row_bytes());
    for (int r = 0; r < c.v && row_ * c.v + r < c.height_in_blocks; ++r) {
      for (int x = 0; x < c.width_in_blocks; ++x) {
        if (Status ok = before_mcu(); !ok) return ok;
        if (!decode_block(block_at(c, r, x), tables_[static_cast<std::size_t>(sc.dc_table)],
                          tables_[4 + static_cast<std::size_t>(sc.ac_table)], predictors_[0]) ||
            bits_.overran()) {
          return bad_data("a code no table has, or a coefficient past the block's 64");
        }
      }
    }
  } else {
    for (int mcu = 0; mcu < layout_.mcu_columns; ++mcu) {
      if (Status ok = before_mcu(); !ok) return ok;
      for (int b = 0; b < mcu_block_count_; ++b) {
        const McuBlock& m = mcu_blocks_[static_cast<std::size_t>(b)];
        std::int16_t* block =
            dst + (m.offset + static_cast<std::size_t>(mcu) * static_cast<std::size_t>(m.h)) *
                      kBlockCoefficients;
        if (!decode_block(block, *m.dc, *m.ac,
                          predictors_[static_cast<std::size_t>(m.scan_index)])) {
          return bad_data("a code no table has, or a coefficient past the block's 64");
        }
      }
      if (bits_.overran()) return bad_data("the data ran out");
    }
  }
  ++row_;
  return {};
}

}  // namespace tessera::detail
