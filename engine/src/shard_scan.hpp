// The resume scan: what the shards of an earlier run already hold, so that --resume encodes
// only the crops that are missing. It reads complete shards and deletes the temporary ones a
// killed run left; it must never touch a complete shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

struct ExistingShards {
  std::size_t next_index = 0;               // one past the highest complete shard
  std::unordered_set<std::uint64_t> crops;  // crop_id() of every sample present
  std::vector<std::string> keys;            // every sample key present
};

// Scans the shards of the output "dir/out.tar", passed as its base "dir/out".
Result<ExistingShards> scan_shards(const std::string& base);

}  // namespace tessera::detail
