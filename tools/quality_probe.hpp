// How far lossy codec settings take crops from the source pixels, for `tessera tune
// --allow-lossy-changes`: decodes the first input once and measures PSNR over a sample of the
// plan's crops. It never writes anything and never times anything.
#pragma once

#include <optional>
#include <string>

#include "tessera/engine/demo_image.hpp"
#include "tessera/engine/engine.hpp"

namespace tessera::cli {

class QualityProbe {
 public:
  static Result<QualityProbe> open(const std::string& path, const PlanSpec& plan,
                                   const EngineOptions& options);

  ContainerFormat input_format() const { return detect_format(input_.head()); }

  // PSNR in dB over the sample (infinity when identical); nullopt when it cannot be compared.
  std::optional<double> psnr(const EncodeOptions& encode) const;

 private:
  InputBytes input_;
  OwnedImage image_;
  RoiListSpec sample_;
};

}  // namespace tessera::cli
