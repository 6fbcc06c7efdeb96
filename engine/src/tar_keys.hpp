// The sample keys of one tar output, unique across the whole run: a crop's own key
// (sample_key) or, when an earlier sample of the run already has it, that key with
// "_j<job>" appended as often as needed. Names are given in delivery order, so they are the
// same on every run and thread count; the tar sink and `tessera plan` both name samples here.
#pragma once

#include <string>
#include <string_view>

#include "key_filter.hpp"
#include "tessera/codecs/result.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera::detail {

class TarKeys {
 public:
  // The key of `crop`, now taken. A key that is not a safe name is a kInvalidArgument error.
  Result<std::string> claim(const CropResult& crop);
  // A key already in the output (a shard kept by --resume).
  void reserve(std::string_view key) { keys_.insert(key); }

 private:
  KeyFilter keys_;
};

}  // namespace tessera::detail
