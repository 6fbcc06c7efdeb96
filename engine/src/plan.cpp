#include "tessera/engine/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "seeded_random.hpp"

namespace tessera {
namespace {

// Tiles and strides beyond this are almost certainly a typo (a pixel count typed as a side),
// and keeping them small keeps every coordinate sum far from int overflow.
constexpr std::int64_t kMaxGridStep = std::int64_t{1} << 20;
constexpr std::int64_t kMaxIndex = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxCoordinate = std::numeric_limits<int>::max();

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

std::string roi_text(const Roi& roi) {
  return fmt::format("x={} y={} w={} h={}", roi.x, roi.y, roi.w, roi.h);
}

std::string size_text(int width, int height) {
  return fmt::format("{}x{}", width, height);
}

// PlannedCrop::index is 32-bit, so a plan can never hold more than that, whatever the limit says.
std::int64_t effective_limit(const PlanLimits& limits) {
  const auto wanted = static_cast<std::uint64_t>(limits.max_crops);
  return static_cast<std::int64_t>(std::min<std::uint64_t>(wanted, kMaxIndex));
}

Status check_count(std::int64_t count, const PlanLimits& limits, const char* advice) {
  const std::int64_t limit = effective_limit(limits);
  if (count <= limit) return {};
  return Error{ErrorCode::kTooLarge,
               fmt::format("plan has {} crops, over the limit of {}; {} or raise --max-crops",
                           count, limit, advice)};
}

// ---- grid ----------------------------------------------------------------------------------

// Start positions along one axis are 0, stride, 2*stride, ... while start < extent.
struct AxisSteps {
  std::int64_t tile = 0;
  std::int64_t stride = 0;
  std::int64_t extent = 0;
  std::int64_t all = 0;      // every start position inside the image
  std::int64_t full = 0;     // those whose tile ends inside the image
  std::int64_t shifted = 0;  // under kShift: the full ones, plus one moved inward if needed
};

// kShift follows SAHI's get_slice_bboxes (sahi/slicing.py): tiles start at 0, stride,
// 2*stride, ... as long as the previous tile ends before the image does, and a tile that would
// reach past the edge moves back to end at it (to 0 when the image is smaller than a tile).
AxisSteps axis_steps(int tile, int stride, int extent) {
  AxisSteps steps;
  steps.tile = tile;
  steps.stride = stride == 0 ? tile : stride;
  steps.extent = extent;
  steps.all = (extent + steps.stride - 1) / steps.stride;
  steps.full = steps.tile > extent ? 0 : (extent - steps.tile) / steps.stride + 1;
  const std::int64_t past_first = std::max<std::int64_t>(0, extent - steps.tile);
  steps.shifted = 1 + (past_first + steps.stride - 1) / steps.stride;
  return steps;
}

// Start and size of tile `i` along an axis under kShift.
std::pair<int, int> shifted_span(const AxisSteps& axis, std::int64_t i) {
  const std::int64_t last_start = std::max<std::int64_t>(0, axis.extent - axis.tile);
  return {static_cast<int>(std::min(i * axis.stride, last_start)),
          static_cast<int>(std::min(axis.tile, axis.extent))};
}

Status check_grid_step(const char* name, int value, bool zero_allowed) {
  const std::int64_t low = zero_allowed ? 0 : 1;
  if (value >= low && value <= kMaxGridStep) return {};
  return invalid(fmt::format("grid {} is {}; it must be between {} and {}{}", name, value, low,
                             kMaxGridStep, zero_allowed ? " (0 means the tile size)" : ""));
}

Status check_grid_spec(const GridSpec& spec) {
  if (auto s = check_grid_step("tile width", spec.tile_width, false); !s) return s;
  if (auto s = check_grid_step("tile height", spec.tile_height, false); !s) return s;
  if (auto s = check_grid_step("stride x", spec.stride_x, true); !s) return s;
  return check_grid_step("stride y", spec.stride_y, true);
}

Roi grid_tile(const AxisSteps& xs, const AxisSteps& ys, std::int64_t col, std::int64_t row) {
  return Roi{static_cast<int>(col * xs.stride), static_cast<int>(row * ys.stride),
             static_cast<int>(xs.tile), static_cast<int>(ys.tile)};
}

// The first tile in plan order that reaches past the edge, for the kError message.
Error grid_edge_error(const AxisSteps& xs, const AxisSteps& ys, int width, int height) {
  std::int64_t row = 0;
  std::int64_t col = 0;
  if (ys.full > 0) {
    if (xs.full < xs.all)
      col = xs.full;
    else
      row = ys.full;
  }
  const Roi tile = grid_tile(xs, ys, col, row);
  return Error{
      ErrorCode::kOutOfBounds,
      fmt::format("grid tile {} ({}) reaches past the edge of the {} image; use --edge "
                  "clip, --edge pad or --edge drop, or a tile and stride that fit the image",
                  row * xs.all + col, roi_text(tile), size_text(width, height))};
}

Result<Plan> expand(const GridSpec& spec, int width, int height, const PlanLimits& limits) {
  if (auto s = check_grid_spec(spec); !s) return std::move(s).error();
  const AxisSteps xs = axis_steps(spec.tile_width, spec.stride_x, width);
  const AxisSteps ys = axis_steps(spec.tile_height, spec.stride_y, height);

  if (spec.edge == EdgePolicy::kError && (xs.full < xs.all || ys.full < ys.all)) {
    return grid_edge_error(xs, ys, width, height);
  }
  const auto count = [&](const AxisSteps& axis) {
    switch (spec.edge) {
      case EdgePolicy::kDrop: return axis.full;
      case EdgePolicy::kShift: return axis.shifted;
      case EdgePolicy::kError:
      case EdgePolicy::kPad:
      case EdgePolicy::kClip: return axis.all;
    }
    return axis.all;
  };
  const std::int64_t cols = count(xs);
  const std::int64_t rows = count(ys);
  // Both factors are below 2^31, so the product fits in 64 bits.
  if (auto s = check_count(cols * rows, limits, "use a larger tile or stride"); !s) {
    return std::move(s).error();
  }
  if (spec.edge == EdgePolicy::kPad && ((cols - 1) * xs.stride + xs.tile > kMaxCoordinate ||
                                        (rows - 1) * ys.stride + ys.tile > kMaxCoordinate)) {
    return invalid(
        fmt::format("padded grid tiles of the {} image would reach past the largest "
                    "supported coordinate; use --edge clip or --edge drop",
                    size_text(width, height)));
  }

  Plan plan;
  plan.fill = spec.fill;
  plan.crops.reserve(static_cast<std::size_t>(cols * rows));
  for (std::int64_t row = 0; row < rows; ++row) {
    for (std::int64_t col = 0; col < cols; ++col) {
      Roi roi = grid_tile(xs, ys, col, row);
      if (spec.edge == EdgePolicy::kClip) {
        roi.w = std::min(roi.w, width - roi.x);
        roi.h = std::min(roi.h, height - roi.y);
      } else if (spec.edge == EdgePolicy::kShift) {
        std::tie(roi.x, roi.w) = shifted_span(xs, col);
        std::tie(roi.y, roi.h) = shifted_span(ys, row);
      }
      const auto index = static_cast<std::uint32_t>(plan.crops.size());
      plan.crops.push_back(
          PlannedCrop{roi, index, {}, false, static_cast<int>(col), static_cast<int>(row)});
    }
  }
  return plan;
}

// ---- ROI list ------------------------------------------------------------------------------

struct Extent {
  std::int64_t x0, y0, x1, y1;  // half-open, in 64 bits so that x + w cannot overflow
};

Extent extent_of(const Roi& roi) {
  return Extent{roi.x, roi.y, std::int64_t{roi.x} + roi.w, std::int64_t{roi.y} + roi.h};
}

bool inside(const Extent& e, int width, int height) {
  return e.x0 >= 0 && e.y0 >= 0 && e.x1 <= width && e.y1 <= height;
}

bool overlaps(const Extent& e, int width, int height) {
  return e.x0 < width && e.y0 < height && e.x1 > 0 && e.y1 > 0;
}

Roi clip_to(const Extent& e, int width, int height) {
  const std::int64_t x0 = std::max<std::int64_t>(e.x0, 0);
  const std::int64_t y0 = std::max<std::int64_t>(e.y0, 0);
  const std::int64_t x1 = std::min<std::int64_t>(e.x1, width);
  const std::int64_t y1 = std::min<std::int64_t>(e.y1, height);
  return Roi{static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(x1 - x0),
             static_cast<int>(y1 - y0)};
}

Error roi_error(ErrorCode code, std::size_t index, const Roi& roi, std::string_view problem) {
  return Error{code, fmt::format("ROI {} ({}) {}", index, roi_text(roi), problem)};
}

// Applies the edge policy to one region; keep == false means the policy dropped it.
struct RoiOutcome {
  bool keep = false;
  Roi roi;
};

Result<RoiOutcome> place_roi(const Roi& roi, std::size_t index, EdgePolicy edge, int width,
                             int height) {
  if (roi.w <= 0 || roi.h <= 0) {
    return roi_error(ErrorCode::kInvalidArgument, index, roi,
                     "has an empty size; width and height must be at least 1");
  }
  const Extent e = extent_of(roi);
  if (inside(e, width, height)) return RoiOutcome{true, roi};
  const std::string image = size_text(width, height);
  if (edge == EdgePolicy::kDrop) return RoiOutcome{false, roi};

  if (edge == EdgePolicy::kError) {
    return roi_error(
        ErrorCode::kOutOfBounds, index, roi,
        fmt::format("lies outside the {} image; use --edge clip or --edge drop", image));
  }
  if (!overlaps(e, width, height)) {
    return roi_error(ErrorCode::kOutOfBounds, index, roi,
                     fmt::format("lies entirely outside the {} image; fix the region or use "
                                 "--edge drop",
                                 image));
  }
  if (edge == EdgePolicy::kClip) return RoiOutcome{true, clip_to(e, width, height)};
  if (e.x1 > kMaxCoordinate || e.y1 > kMaxCoordinate) {
    return roi_error(ErrorCode::kOutOfBounds, index, roi,
                     "reaches past the largest supported coordinate; use --edge clip");
  }
  return RoiOutcome{true, roi};
}

// Indices stay the positions in the ROI list, so a dropped region leaves a gap and every output
// can be matched to the line it came from.
Result<Plan> expand(const RoiListSpec& spec, int width, int height, const PlanLimits& limits) {
  if (spec.rois.empty()) return invalid("the ROI list is empty; give at least one region");
  if (spec.edge == EdgePolicy::kShift) {
    return invalid(
        "--edge shift applies to grid tiles only; for an ROI list use --edge clip, pad or drop");
  }
  const auto count = static_cast<std::int64_t>(
      std::min<std::uint64_t>(spec.rois.size(), std::numeric_limits<std::int64_t>::max()));
  if (auto s = check_count(count, limits, "split the ROI list"); !s) return std::move(s).error();

  Plan plan;
  plan.fill = spec.fill;
  plan.crops.reserve(spec.rois.size());
  for (std::size_t i = 0; i < spec.rois.size(); ++i) {
    const RoiEntry& entry = spec.rois[i];
    auto outcome = place_roi(entry.roi, i, spec.edge, width, height);
    if (!outcome) return std::move(outcome).error();
    if (!outcome->keep) continue;
    plan.crops.push_back(PlannedCrop{outcome->roi, static_cast<std::uint32_t>(i), entry.key, false,
                                     -1, -1, entry.fields});
  }
  return plan;
}

// ---- random --------------------------------------------------------------------------------

Status check_random_spec(const RandomSpec& spec, int width, int height) {
  if (spec.count == 0) return invalid("random plan has a count of 0; ask for at least one crop");
  if (spec.min_size < 1) {
    return invalid(fmt::format("random crop min size is {}; it must be at least 1", spec.min_size));
  }
  if (spec.min_size > spec.max_size) {
    return invalid(fmt::format("random crop min size {} is larger than max size {}; swap them",
                               spec.min_size, spec.max_size));
  }
  const int shorter_side = std::min(width, height);
  if (spec.max_size > shorter_side) {
    return invalid(
        fmt::format("random crop max size {} does not fit in the {} image; use a max "
                    "size of at most {}",
                    spec.max_size, size_text(width, height), shorter_side));
  }
  return {};
}

Result<Plan> expand(const RandomSpec& spec, int width, int height, const PlanLimits& limits) {
  if (auto s = check_random_spec(spec, width, height); !s) return std::move(s).error();
  const auto count = static_cast<std::int64_t>(
      std::min<std::uint64_t>(spec.count, std::numeric_limits<std::int64_t>::max()));
  if (auto s = check_count(count, limits, "ask for fewer crops"); !s) return std::move(s).error();

  detail::SeededRandom random(spec.seed);
  Plan plan;
  plan.crops.reserve(spec.count);
  for (std::size_t i = 0; i < spec.count; ++i) {
    const int side = random.between(spec.min_size, spec.max_size);
    const int x = random.between(0, width - side);
    const int y = random.between(0, height - side);
    plan.crops.push_back(
        PlannedCrop{Roi{x, y, side, side}, static_cast<std::uint32_t>(i), {}, false});
  }
  return plan;
}

// ---- coverage ------------------------------------------------------------------------------

std::string coverage_of(const GridSpec& spec, int width, int height, const Plan& plan) {
  if (spec.edge != EdgePolicy::kDrop) return {};  // clip, pad and shift reach every edge
  const std::string image = size_text(width, height);
  if (plan.crops.empty()) {
    return fmt::format(
        "the plan yields no crops: a {}x{} tile does not fit in the {} image, and --edge drop "
        "leaves out tiles that reach past the edge; use a smaller tile, or --edge clip or --edge "
        "pad",
        spec.tile_width, spec.tile_height, image);
  }
  const AxisSteps xs = axis_steps(spec.tile_width, spec.stride_x, width);
  const AxisSteps ys = axis_steps(spec.tile_height, spec.stride_y, height);
  const std::int64_t right = width - ((xs.full - 1) * xs.stride + xs.tile);
  const std::int64_t bottom = height - ((ys.full - 1) * ys.stride + ys.tile);
  if (right == 0 && bottom == 0) return {};
  std::string missed;
  if (right > 0) missed = fmt::format("the right {} px", right);
  if (bottom > 0)
    missed += fmt::format("{}the bottom {} px", missed.empty() ? "" : " and ", bottom);
  return fmt::format(
      "--edge drop leaves {} of the {} image without a tile ({} of {} tiles planned); --edge "
      "clip or --edge pad covers them",
      missed, image, plan.crops.size(), xs.all * ys.all);
}

std::string coverage_of(const RoiListSpec& spec, int width, int height, const Plan& plan) {
  const std::size_t dropped = spec.rois.size() - plan.crops.size();
  if (dropped == 0) return {};
  return fmt::format(
      "--edge drop left out {} of {} ROIs, which reach past the edge of the {} image{}; --edge "
      "clip or --edge pad keeps them",
      dropped, spec.rois.size(), size_text(width, height),
      plan.crops.empty() ? ", so the plan yields no crops" : "");
}

// Random crops always lie inside the image, and a count of 0 is refused when planning.
std::string coverage_of(const RandomSpec&, int, int, const Plan&) {
  return {};
}

std::string describe_kind(const GridSpec& s) {
  return fmt::format("grid {}x{} stride {}x{} edge {}", s.tile_width, s.tile_height,
                     s.stride_x == 0 ? s.tile_width : s.stride_x,
                     s.stride_y == 0 ? s.tile_height : s.stride_y, to_string(s.edge));
}

std::string describe_kind(const RoiListSpec& s) {
  return fmt::format("rois {} edge {}", s.rois.size(), to_string(s.edge));
}

std::string describe_kind(const RandomSpec& s) {
  return fmt::format("random {} size {}..{} seed {}", s.count, s.min_size, s.max_size, s.seed);
}

}  // namespace

const char* to_string(EdgePolicy policy) noexcept {
  switch (policy) {
    case EdgePolicy::kError: return "error";
    case EdgePolicy::kDrop: return "drop";
    case EdgePolicy::kPad: return "pad";
    case EdgePolicy::kClip: return "clip";
    case EdgePolicy::kShift: return "shift";
  }
  return "unknown";
}

namespace {

const char* crop_label(const PlanSpec& spec) {
  // The words the other plan errors use, so that a user finds the same region.
  return std::visit(
      [](const auto& s) {
        using Kind = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<Kind, GridSpec>) return "grid tile";
        if constexpr (std::is_same_v<Kind, RoiListSpec>) return "ROI";
        if constexpr (std::is_same_v<Kind, RandomSpec>) return "random crop";
      },
      spec);
}

// Every crop is checked, not only the first: a padded crop's pixels are allocated whole.
Status check_crop_pixels(const Plan& plan, const PlanSpec& spec, const PlanLimits& limits) {
  for (const PlannedCrop& crop : plan.crops) {
    const auto pixels =
        static_cast<std::uint64_t>(crop.roi.w) * static_cast<std::uint64_t>(crop.roi.h);
    if (pixels <= limits.max_crop_pixels) continue;
    return Error{ErrorCode::kTooLarge,
                 fmt::format("{} {} ({}) has {} pixels, over the per-crop limit of {}; use a "
                             "smaller region or --edge clip, or raise --max-crop-pixels",
                             crop_label(spec), crop.index, roi_text(crop.roi), pixels,
                             limits.max_crop_pixels)};
  }
  return {};
}

}  // namespace

// Grids: with kClip (and kPad) every start position inside the image yields a tile, even when
// an overlapping stride makes the clipped edge tile lie wholly inside its neighbour; with kDrop
// only tiles that fit entirely are planned. Order is row-major, index = position in the plan.
Result<Plan> make_plan(const PlanSpec& spec, int width, int height, const PlanLimits& limits) {
  if (width < 1 || height < 1) {
    return invalid(fmt::format("cannot plan crops for an image of {}; the image is empty",
                               size_text(width, height)));
  }
  // One expand() overload per plan kind: a new kind without one does not compile.
  auto plan = std::visit([&](const auto& s) { return expand(s, width, height, limits); }, spec);
  if (!plan) return plan;
  if (Status s = check_crop_pixels(*plan, spec, limits); !s) return std::move(s).error();
  return plan;
}

std::string coverage_warning(const PlanSpec& spec, int width, int height, const Plan& plan) {
  return std::visit([&](const auto& s) { return coverage_of(s, width, height, plan); }, spec);
}

std::string describe(const PlanSpec& spec) {
  return std::visit([](const auto& s) { return describe_kind(s); }, spec);
}

}  // namespace tessera
