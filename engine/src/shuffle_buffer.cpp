#include "shuffle_buffer.hpp"

#include <algorithm>
#include <utility>

namespace tessera::detail {

ShuffleBuffer::ShuffleBuffer(const ShuffleOptions& options)
    : options_(options), random_(options.seed) {
  stats_.seed = options.seed;
  stats_.max_samples = options.max_samples;
  stats_.max_bytes = options.max_bytes;
}

Status ShuffleBuffer::push(BufferedSample sample, const Write& write) {
  const std::uint64_t size = sample.bytes();
  while (!slots_.empty() &&
         (slots_.size() >= options_.max_samples || bytes_ + size > options_.max_bytes)) {
    if (Status s = evict_one(write); !s) return s;
  }
  bytes_ += size;
  slots_.push_back(std::move(sample));
  stats_.peak_samples = std::max<std::uint64_t>(stats_.peak_samples, slots_.size());
  stats_.peak_bytes = std::max(stats_.peak_bytes, bytes_);
  ++stats_.samples;
  return {};
}

Status ShuffleBuffer::drain(const Write& write) {
  while (!slots_.empty()) {
    if (Status s = evict_one(write); !s) return s;
  }
  return {};
}

void ShuffleBuffer::clear() noexcept {
  slots_.clear();
  bytes_ = 0;
}

// The chosen slot is refilled from the last one, so slots stay dense and a choice is one draw.
Status ShuffleBuffer::evict_one(const Write& write) {
  const auto chosen = static_cast<std::size_t>(random_.below(slots_.size()));
  BufferedSample sample = std::move(slots_[chosen]);
  if (chosen + 1 != slots_.size()) slots_[chosen] = std::move(slots_.back());
  slots_.pop_back();
  bytes_ -= sample.bytes();
  return write(std::move(sample));
}

}  // namespace tessera::detail
