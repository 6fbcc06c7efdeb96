// What a tar shard looks like, shared by the writer and the resume scan: the bytes a member
// takes, the names of shards and of their temporary files, and each sample's JSON member.
// Pure arithmetic and formatting: nothing here touches a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/engine/sink.hpp"

namespace tessera::detail {

inline constexpr std::uint64_t kTarBlock = 512;
inline constexpr std::uint64_t kEndOfArchive = 2 * kTarBlock;  // two zero blocks close every tar
inline constexpr std::string_view kTarSuffix = ".tar";
inline constexpr std::string_view kMetadataSuffix = ".json";  // the member "KEY.json"
inline constexpr std::string_view kClassSuffix = ".cls";      // "KEY.cls": the label as text

// Bytes one member takes in a shard, header blocks included.
std::uint64_t member_bytes(std::string_view name, std::size_t size);

// The base shard names are made from, "dir/out" for the output "dir/out.tar"; an error saying
// what a tar output must be for any other path (the caller handles "-", stdout).
Result<std::string> shard_base(const std::string& path);

// Shard `index` of the output "dir/out.tar", passed as its base "dir/out": "dir/out-000003.tar",
// written first under a unique temporary name ".out-000003.tar.tmp-XXXXXX" beside it.
std::string shard_path(std::string_view base, std::size_t index);

// For a directory entry `name`: the index NNNNNN if it is the final shard "STEM-NNNNNN.tar",
// and whether it is a temporary shard of STEM that a killed run left behind (only the exact
// temporary names the writer makes; nothing else is ever taken for one).
std::optional<std::size_t> shard_number(std::string_view name, std::string_view stem);
bool is_temp_shard(std::string_view name, std::string_view stem);

// A job and crop index pair: what a sample holds, whatever key it was written under.
std::uint64_t crop_id(std::size_t job, std::uint32_t index);

// The sample's KEY.json member (with the extra fields of its job and crop), and the crop_id()
// read back from one; nullopt if the JSON does not record a job and an index (written by
// another tool).
std::string sample_metadata(const CropResult& crop);
std::optional<std::uint64_t> crop_id_of_metadata(std::string_view json);

// The sample's label for KEY.cls: the crop's own, else its job's; nullopt: no KEY.cls. And the
// member's text, the label in decimal, which WebDataset loaders read as the class.
std::optional<std::int64_t> sample_label(const CropResult& crop);
std::string class_text(std::int64_t label);
// Whether a KEY.cls member's bytes are such a label (the resume scan's check).
bool is_class_text(std::string_view text);

}  // namespace tessera::detail
