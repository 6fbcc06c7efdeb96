// Private: tessera's own baseline Huffman entropy decoder, which libjpeg does not offer as a
// stream: the quantised coefficients of one interleaved (or single-component) sequential scan,
// one MCU row per call, with restart markers. It reads bytes as they are needed from a
// ByteSource, so memory is the bit buffer and one chunk of input.
// It trusts nothing in the file: a bad table, a bad code, a coefficient index past 63, a wrong
// restart marker or data that ends early is an Error, and then the scan stays failed.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "tessera/codecs/coefficients.hpp"
#include "tessera/codecs/input.hpp"

namespace tessera::detail {

// A canonical Huffman table as DHT gives it: counts of codes of each length 1..16 (bits[1..16])
// and the symbols in code order.
class HuffmanTable {
 public:
  // Fails when the counts overflow a code length or use the all-ones code (both forbidden), or,
  // for a DC table, a symbol is above 15.
  Status build(std::span<const std::uint8_t, 17> bits, std::span<const std::uint8_t> symbols,
               bool dc);

  static constexpr int kFastBits = 11;
  // (length << 8 | symbol) for every 11-bit prefix whose code is at most 11 bits long, else 0.
  std::array<std::uint16_t, 1u << kFastBits> fast{};
  // AC tables: for an 11-bit prefix holding a whole code and the magnitude bits after it, the
  // coefficient, so one lookup yields it; bits == 0 otherwise. Separate fields (not one packed
  // integer) because the decoder then loads each directly instead of shifting and masking.
  struct FastAc {
    std::int16_t value = 0;
    std::uint8_t run = 0;   // zeros before it
    std::uint8_t bits = 0;  // code and magnitude
  };
  std::array<FastAc, 1u << kFastBits> fast_ac{};
  std::array<std::int32_t, 18> max_code{};      // largest code of each length, -1 if none
  std::array<std::int32_t, 17> value_offset{};  // code + value_offset[l] = index in symbols
  std::array<std::uint8_t, 256> symbols{};
};

// The bits of one scan, with the JPEG stuffing (FF 00) removed. At a marker it supplies zero
// bits, as a decoder must to look ahead, and notes that it has done so.
class ScanBits {
 public:
  ScanBits(ByteSource& source, std::span<const std::uint8_t> first_bytes)
      : source_(&source), chunk_(first_bytes) {}

  std::uint32_t peek(int n) {
    if (count_ < n) fill();
    return static_cast<std::uint32_t>(bits_ >> (64 - n));
  }
  void skip(int n) {
    bits_ <<= n;
    count_ -= n;
  }
  // Bits past the data were used: the data ended, or hit a marker, in the middle of an MCU.
  bool overran() const noexcept { return count_ < padding_; }

  // The fast path's copy of the reader state, kept in registers while one block is decoded:
  // the caller has made sure (begin_fast) that every byte it can read is inside the chunk, so
  // refills need no bounds or chunk checks. A marker inside the block is not handled here:
  // refill() reports it and the caller decodes that block again on the careful path.
  struct Cursor {
    const std::uint8_t* next = nullptr;
    std::uint64_t bits = 0;  // left-aligned; the bits below `count` are zero
    int count = 0;

    // Tops the buffer up to 56..63 bits. False at FF followed by anything but 00 (a marker,
    // or fill bytes before one), leaving the cursor unusable.
    bool refill() {
      std::uint64_t word = 0;
      std::memcpy(&word, next, sizeof word);
      word = __builtin_bswap64(word);  // the first byte on top
      // A zero byte of ~word is an FF of word (the borrow may also flag a byte next to a real
      // zero, which only sends this refill the byte-by-byte way).
      const std::uint64_t inverse = ~word;
      if (((inverse - 0x0101010101010101u) & ~inverse & 0x8080808080808080u) == 0) {
        const int filled = count | 56;  // whole bytes: the count becomes 56..63
        bits |= (word >> count) & ~(~std::uint64_t{0} >> filled);
        next += (filled - count) >> 3;
        count = filled;
        return true;
      }
      while (count <= 56) {
        std::uint8_t byte = *next;
        if (byte == 0xFF) {
          if (next[1] != 0) return false;
          ++next;  // FF 00 is one FF of data
        }
        ++next;
        bits |= static_cast<std::uint64_t>(byte) << (56 - count);
        count += 8;
      }
      return true;
    }
    std::uint32_t peek(int n) const { return static_cast<std::uint32_t>(bits >> (64 - n)); }
    void skip(int n) {
      bits <<= n;
      count -= n;
    }
  };
  // True, with the state copied into `cursor`, when no marker has been seen and at least
  // `margin` bytes of the chunk are left; false when the careful path must be taken.
  bool begin_fast(Cursor& cursor, std::size_t margin) const {
    if (marker >= 0 || padding_ != 0 || chunk_.size() - position_ < margin) return false;
    cursor.next = chunk_.data() + position_;
    cursor.bits = bits_;
    cursor.count = count_;
    return true;
  }
  // Takes the state back from a cursor that decoded a whole block.
  void end_fast(const Cursor& cursor) {
    position_ = static_cast<std::size_t>(cursor.next - chunk_.data());
    bits_ = cursor.bits;
    count_ = cursor.count;
  }
  // Drops the rest of the byte and expects restart marker RSTn; false (with why) otherwise.
  bool restart(int n, std::string& why);

  std::optional<Error> source_failure;  // a read that failed (not the end of the data)
  int marker = -1;                      // the marker that stopped the data, once seen
  bool at_end = false;                  // the input ended before the scan did

 private:
  // Tops the buffer up to more than 56 bits. Plain data bytes are taken straight from the
  // chunk; FF, the end of a chunk and markers go through fill_one().
  void fill() {
    if (marker < 0 && chunk_.size() - position_ >= 8 && fill_word()) return;
    while (count_ <= 56) {
      if (marker < 0 && position_ < chunk_.size() && chunk_[position_] != 0xFF) {
        bits_ |= static_cast<std::uint64_t>(chunk_[position_++]) << (56 - count_);
        count_ += 8;
      } else {
        fill_one();
      }
    }
  }
  // As many whole bytes as fit, eight read at once, when none of them is FF (most of the time:
  // FF is a stuffed byte or a marker). False when there is one; fill() then goes byte by byte.
  bool fill_word() {
    std::uint64_t word = 0;
    std::memcpy(&word, chunk_.data() + position_, sizeof word);
    word = __builtin_bswap64(word);  // the first byte on top
    const int take = (64 - count_) / 8;
    const std::uint64_t mask = take == 8 ? ~std::uint64_t{0} : ~(~std::uint64_t{0} >> (8 * take));
    // A zero byte of ~word is an FF of word. This test may also flag a byte before a real
    // zero (a borrow runs upward), which only sends that fill the slow way.
    const std::uint64_t inverse = ~word;
    if (((inverse - 0x0101010101010101u) & ~inverse & 0x8080808080808080u & mask) != 0)
      return false;
    bits_ |= (word & mask) >> count_;
    count_ += 8 * take;
    position_ += static_cast<std::size_t>(take);
    return true;
  }
  void fill_one();
  bool next_byte(std::uint8_t& byte);

  ByteSource* source_;
  std::span<const std::uint8_t> chunk_;
  std::size_t position_ = 0;
  std::uint64_t bits_ = 0;  // left-aligned
  int count_ = 0;
  int padding_ = 0;  // zero bits at the end of bits_ that are not data
};

// Decodes the scan into MCU rows laid out as CoefficientLayout says.
class BaselineScan {
 public:
  struct ScanComponent {
    int index = 0;  // into layout.component
    int dc_table = 0;
    int ac_table = 0;
  };

  // `tables` holds DC tables at 0..3 and AC tables at 4..7; the scan's components in SOS order.
  BaselineScan(const CoefficientLayout& layout, std::span<const ScanComponent> components,
               const std::array<HuffmanTable, 8>& tables, int restart_interval, ScanBits& bits);

  // Decodes MCU row `row` (the next one) into dst, mcu_row_bytes() long. The error names
  // neither the file nor the row: the caller adds both.
  Status decode_row(std::int16_t* dst);

 private:
  bool decode_block(std::int16_t* block, const HuffmanTable& dc, const HuffmanTable& ac,
                    int& predictor);
  bool decode_block_careful(std::int16_t* block, const HuffmanTable& dc, const HuffmanTable& ac,
                            int& predictor);
  int decode_symbol(const HuffmanTable& table);
  Status before_mcu();
  Status bad_data(const char* what) const;

  // The blocks of one interleaved MCU in scan order, planned once so that the MCU loop has
  // a fixed trip count instead of nested loops over each component's sampling factors.
  struct McuBlock {
    std::size_t offset = 0;  // in blocks from the MCU row's start, for MCU column 0
    int h = 0;               // blocks per MCU column of its component
    int scan_index = 0;      // its component's position in the scan (predictor)
    const HuffmanTable* dc = nullptr;
    const HuffmanTable* ac = nullptr;
  };
  static constexpr int kMaxMcuBlocks = kMaxCoefficientComponents * 16;  // h, v at most 4

  const CoefficientLayout& layout_;
  std::array<McuBlock, kMaxMcuBlocks> mcu_blocks_{};
  int mcu_block_count_ = 0;
  std::array<ScanComponent, kMaxCoefficientComponents> components_{};
  int component_count_ = 0;
  const std::array<HuffmanTable, 8>& tables_;
  int restart_interval_;
  ScanBits& bits_;
  std::array<int, kMaxCoefficientComponents> predictors_{};
  int mcus_to_restart_ = 0;
  int next_restart_ = 0;
  int row_ = 0;
};

}  // namespace tessera::detail
