// Crop plans: a grid, an explicit ROI list, or seeded random crops, turned into a checked
// list of regions for one image. Planning needs only the image size from the header, so a
// bad plan fails before any pixel is decoded. Nothing here touches pixels or threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/codecs/result.hpp"
#include "tessera/engine/sample_fields.hpp"

namespace tessera {

// A region in image coordinates. Only under EdgePolicy::kPad may it reach past the image.
struct Roi {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  int right() const noexcept { return x + w; }
  int bottom() const noexcept { return y + h; }
  friend bool operator==(const Roi&, const Roi&) = default;
};

// What happens to a region that reaches past the image edge.
enum class EdgePolicy : std::uint8_t {
  kError,  // it is an error that names the region (the default for explicit ROI lists)
  kDrop,   // the region is left out of the plan
  kPad,    // the region keeps its size; pixels outside the image take the fill colour
  kClip,   // the region is cut to the image
  // Grids only, SAHI's slicing: the last column and row of tiles move inward to end at the
  // image's edge, so every tile keeps its full size and the whole image is covered (a tile
  // larger than the image is cut to it).
  kShift,
};

using Rgba = std::array<std::uint8_t, 4>;

const char* to_string(EdgePolicy policy) noexcept;

struct GridSpec {
  int tile_width = 256;
  int tile_height = 256;
  int stride_x = 0;  // 0: the tile width (no overlap); less than the tile width overlaps
  int stride_y = 0;  // 0: the tile height
  EdgePolicy edge = EdgePolicy::kDrop;
  Rgba fill = {0, 0, 0, 255};
};

struct RoiEntry {
  Roi roi;
  std::string key;        // optional; names the output when set
  SharedFields fields{};  // label and extra fields, shared with the crop; null: none
};

struct RoiListSpec {
  std::vector<RoiEntry> rois;
  EdgePolicy edge = EdgePolicy::kError;
  Rgba fill = {0, 0, 0, 255};
};

// Square crops with a side drawn from [min_size, max_size], placed wholly inside the image.
// The generator is tessera's own, so a seed gives the same crops on every machine.
struct RandomSpec {
  std::size_t count = 0;
  int min_size = 0;
  int max_size = 0;
  std::uint64_t seed = 0;
};

using PlanSpec = std::variant<GridSpec, RoiListSpec, RandomSpec>;

struct PlanLimits {
  std::size_t max_crops = 10'000'000;
  // Pixels of one crop after the edge policy: a padded region is allocated whole, so a typo
  // such as "0,0,30000,30000" must fail at plan time rather than allocate gigabytes.
  std::uint64_t max_crop_pixels = std::uint64_t{1} << 26;
};

struct PlannedCrop {
  Roi roi;  // after the edge policy: clipped, or extending past the edge when padded
  // Stable across runs and thread counts. Grids and random plans: the position in the plan.
  // ROI lists: the position in the list (0-based), so that outputs match input entries; a
  // region dropped by EdgePolicy::kDrop leaves a gap. Errors call it "ROI <index>".
  std::uint32_t index;
  std::string key;  // from the ROI list, or empty
  // An earlier crop of the plan sits at the same position (random crops, repeated ROIs): its
  // output names carry its index so that they stay unique (docs/ARCHITECTURE.md, Output names).
  bool shares_position = false;
  // Grid tiles only: the tile's column and row in the grid, for {col} and {row} in names;
  // -1 for other plans.
  int col = -1;
  int row = -1;
  SharedFields fields{};  // the ROI's label and extra fields (RoiEntry::fields)
};

struct Plan {
  std::vector<PlannedCrop> crops;  // in plan order
  Rgba fill = {0, 0, 0, 255};
};

// Expands and checks a spec against an image of width x height. Errors say which region is
// wrong and what to do, e.g. "ROI 17 (x=9000 y=10 w=512 h=512) lies outside the 8192x8192
// image; use --edge clip or --edge drop".
Result<Plan> make_plan(const PlanSpec& spec, int width, int height, const PlanLimits& limits = {});

// What a plan made by make_plan(spec, width, height) leaves out, as a warning for the user:
// with --edge drop, the strips along the right and bottom edges that no grid tile covers, or
// the ROIs that reach past the edge, and a plan with no crops at all, with the numbers and the
// edge policies that would cover them. Empty when the plan covers what was asked.
std::string coverage_warning(const PlanSpec& spec, int width, int height, const Plan& plan);

// A one-line description for metadata, e.g. "grid 256x256 stride 256x256 edge drop".
std::string describe(const PlanSpec& spec);

// ROI files. CSV: "x,y,w,h[,key]" per line, with an optional header line; a header that
// names more columns after x,y,w,h ("x,y,w,h,key,label,split") gives every line those fields.
// JSON: a list of objects {"x":..,"y":..,"w":..,"h":..,"key":..} whose other members are
// fields. Fields become RoiEntry::fields (see sample_fields.hpp). `source` names the file in
// errors.
Result<RoiListSpec> parse_roi_csv(std::string_view text, std::string_view source);
Result<RoiListSpec> parse_roi_json(std::string_view text, std::string_view source);
// Picks the parser by content (a leading '[' means JSON) and reads the file.
Result<RoiListSpec> load_roi_file(const std::string& path);

}  // namespace tessera
