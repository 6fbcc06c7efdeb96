// The codec settings `tessera tune` may try, per output format: each format's switch has no
// default, so a new output format must say here what tune may change. Option names come from
// the codec registry. Nothing here runs or measures anything.
#pragma once

#include <string>
#include <vector>

#include "cli_options.hpp"
#include "profile.hpp"

namespace tessera::cli {

// A codec setting to try, as the change it makes to the user's own encode options.
struct CodecChoice {
  std::string label;
  CodecProfile change;
};

EncodeArgs with_codec(EncodeArgs args, const CodecProfile& change);

// One change at a time, around the user's own settings. The first entry is "no change".
// Lossless settings (PNG's) are always offered; lossy ones (JPEG's) only when allowed.
std::vector<CodecChoice> codec_choices(const EncodeArgs& base, OutputFormat format,
                                       bool allow_lossy);

// Whether two changes set any of the same settings.
bool overlaps(const CodecProfile& a, const CodecProfile& b);

// Both changes at once (`second` wins where they overlap), labelled "A + B".
CodecChoice combined(const CodecChoice& first, const CodecChoice& second);

// Every setting of the format that tune may change, as `args` has them: a profile then records
// what the chosen run used, not only what differs.
CodecProfile codec_settings(const EncodeArgs& args, OutputFormat format);

}  // namespace tessera::cli
