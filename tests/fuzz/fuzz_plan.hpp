// Shared by the ROI file harnesses: plan a parsed list under every edge policy and check
// the invariants make_plan promises (every planned region lies inside the image unless
// padded, and is never empty).
#pragma once

#include <array>

#include "tessera/engine/plan.hpp"

namespace tessera::fuzz {

inline void plan_roi_list(RoiListSpec list) {
  constexpr int kWidth = 640;
  constexpr int kHeight = 480;
  PlanLimits limits;
  limits.max_crops = 4096;
  for (EdgePolicy edge :
       {EdgePolicy::kError, EdgePolicy::kDrop, EdgePolicy::kPad, EdgePolicy::kClip}) {
    list.edge = edge;
    auto plan = make_plan(list, kWidth, kHeight, limits);
    if (!plan) continue;
    for (const PlannedCrop& crop : plan->crops) {
      const Roi& r = crop.roi;
      if (r.w <= 0 || r.h <= 0) __builtin_trap();
      if (edge == EdgePolicy::kPad) continue;
      if (r.x < 0 || r.y < 0 || r.x > kWidth - r.w || r.y > kHeight - r.h) __builtin_trap();
    }
  }
}

}  // namespace tessera::fuzz
