// The tar sink's shuffle buffer, as WebDataset's shuffle(): samples come in, in delivery order;
// once the buffer is full each new sample takes the place of one chosen at random among those
// held, and that one is written; at the end the rest leave in random order. The choices come
// from a seeded SeededRandom and depend only on the seed and the sequence of sample sizes, so
// the order written is the same on every run and thread count. It holds at most `max_samples`
// samples and `max_bytes` bytes (a single larger sample is let through alone). Plain C++: it
// decides, the caller writes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "seeded_random.hpp"
#include "tessera/codecs/result.hpp"
#include "tessera/engine/file_sinks.hpp"

namespace tessera::detail {

// A sample copied out of its pooled buffer: the bytes and names of its tar members (the class
// member only when the sample has a label: cls_name is empty otherwise).
struct BufferedSample {
  std::string image_name;
  std::vector<std::uint8_t> image;
  std::string json_name;
  std::string json;
  std::string cls_name{};
  std::string cls{};
  // What it costs the buffer: its bytes and names.
  std::uint64_t bytes() const noexcept {
    return image.size() + json.size() + cls.size() + image_name.size() + json_name.size() +
           cls_name.size();
  }
};

class ShuffleBuffer {
 public:
  using Write = std::function<Status(BufferedSample&&)>;

  // options.max_samples and options.max_bytes must be at least 1.
  explicit ShuffleBuffer(const ShuffleOptions& options);

  // Takes `sample`; first writes samples chosen at random until it fits. Stops at the first
  // failed write and returns its error.
  Status push(BufferedSample sample, const Write& write);
  // Writes every held sample, in random order.
  Status drain(const Write& write);
  // Forgets the held samples without writing them (the run failed).
  void clear() noexcept;

  std::size_t samples() const noexcept { return slots_.size(); }
  std::uint64_t bytes() const noexcept { return bytes_; }
  const ShuffleStats& stats() const noexcept { return stats_; }

 private:
  Status evict_one(const Write& write);

  ShuffleOptions options_;
  SeededRandom random_;
  std::vector<BufferedSample> slots_;
  std::uint64_t bytes_ = 0;
  ShuffleStats stats_;
};

}  // namespace tessera::detail
