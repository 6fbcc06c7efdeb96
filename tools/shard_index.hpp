// `tessera index`: what a set of WebDataset tar shards holds, for loaders that need sample
// counts and for the check after a cluster run. Reads shards with libarchive; never writes
// or changes one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tessera::cli {

struct ShardSummary {
  std::string name;  // the path as given
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;  // the file's size
};

struct ShardIndex {
  std::vector<ShardSummary> shards;
  // Empty when every shard was read whole and, with verify, is sound. Each problem names its
  // shard and what to do.
  std::vector<std::string> problems;
};

// A sample is a run of consecutive members whose names agree up to the first dot of the file
// name (WebDataset's key): "a/k.jpg" and "a/k.json" are one sample "a/k". Without `verify`,
// member data is skipped; with it, every byte is read, and a shard that is cut short (a
// member's data, or the two zero blocks that close every tar), or a sample key that appears
// twice in any of the shards, is a problem. Duplicates are found with one 64-bit hash per
// sample and confirmed by name on a second pass, so memory stays small for millions.
ShardIndex index_shards(const std::vector<std::string>& paths, bool verify);

// {"shards": [{"name", "samples", "bytes"}...], "totals": {"shards", "samples", "bytes"}}
nlohmann::ordered_json index_json(const ShardIndex& index);

}  // namespace tessera::cli
