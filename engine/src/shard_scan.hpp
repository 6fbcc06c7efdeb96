// The shards of an earlier run: which files they are, removing them (--overwrite), and what
// they hold, so that --resume encodes only the crops that are missing. Only files named as
// tessera names its shards and their temporary files are ever touched. Every size read from a
// shard is checked against the file's real size before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tessera/codecs/result.hpp"

namespace tessera::detail {

// The regular files of the output "dir/out.tar" (passed as its base "dir/out"): final shards
// "out-NNNNNN.tar" with their numbers, and temporary shards a killed run left.
struct ShardFiles {
  std::vector<std::pair<std::size_t, std::string>> shards;
  std::vector<std::string> temps;
  bool empty() const noexcept { return shards.empty() && temps.empty(); }
};
Result<ShardFiles> list_shards(const std::string& base);

// Removes every file list_shards() found.
Status remove_shards(const ShardFiles& files);

struct ExistingShards {
  std::size_t next_index = 0;               // one past the highest shard kept
  std::unordered_set<std::uint64_t> crops;  // crop_id() of every sample kept
  std::vector<std::string> keys;            // every sample key kept
  std::vector<std::string> redone;          // shards removed as damaged, with the reason
};

// Reads the shards found; a shard that is not complete, valid tar whose every image member
// has a decodable header and whose every sample records its crop is removed (its crops are
// then encoded again); leftover temporary shards are removed.
Result<ExistingShards> scan_shards(const ShardFiles& files);

}  // namespace tessera::detail
