#include "tar_keys.hpp"

#include <fmt/format.h>

#include "output_names.hpp"

namespace tessera::detail {

// Keys are unique within a job (mark_shared_names) and generated keys across jobs (unique
// stems), but a key can still meet an equal one of an earlier job: one ROI file used for two
// images, a manifest key_prefix given twice, an ROI key equal to another image's generated
// key. The later sample then gets "_j<job>". A false positive of the filter only adds a suffix
// that was not needed, and the same sequence of keys always meets the same false positives.
Result<std::string> TarKeys::claim(const CropResult& crop) {
  auto key = sample_key(crop);
  if (!key) return key;
  const std::size_t job = crop.job == nullptr ? 0 : crop.job->number();
  while (keys_.contains(*key)) *key += fmt::format("_j{}", job);
  keys_.insert(*key);
  return key;
}

}  // namespace tessera::detail
