// The outcome of a `tessera tune` search: the table it prints and the profile JSON it writes.
// It only formats what the search measured; it never measures or writes a file.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tune_search.hpp"

namespace tessera::cli {

struct Report {
  const Tuner& tuner;
  std::vector<std::optional<double>>
      psnr;  // per codec choice; empty unless lossy changes are allowed
  std::string plan;
  EncodeArgs encode;  // the user's own
  OutputFormat format = OutputFormat::kJpeg;
};

void print_table(std::FILE* out, const Report& report);

// The profile --profile reads, with what was measured and on which machine.
nlohmann::ordered_json profile_json(const Report& report, double load_at_start);

}  // namespace tessera::cli
