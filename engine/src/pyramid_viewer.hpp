// The viewer written beside a pyramid: index.html, which opens it with OpenSeadragon, and a
// copy of OpenSeadragon's files. The page names its tile source inline rather than fetching
// the .dzi or info.json, so it works from disk (file://, where browsers refuse such requests)
// as well as from any static server.
#pragma once

#include <string>

#include "pyramid_container.hpp"
#include "pyramid_geometry.hpp"

namespace tessera::detail {

// Where the page expects OpenSeadragon inside the output.
inline constexpr const char* kViewerAssetsDirectory = "openseadragon";

// index.html for a pyramid named `name` whose tiles have `extension`, at the output's root.
std::string viewer_page(const PyramidGeometry& geometry, const std::string& name,
                        const char* extension);

// Checks that `package` is OpenSeadragon's npm package directory (it holds
// build/openseadragon/openseadragon.min.js); the error says how to install it.
Status check_viewer_assets(const std::string& package);

// Adds openseadragon.min.js, its images/ and its licence under kViewerAssetsDirectory.
Status add_viewer_assets(PyramidContainer& container, const std::string& package);

}  // namespace tessera::detail
