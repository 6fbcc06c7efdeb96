#include "pyramid_viewer.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBuildDirectory = "build/openseadragon";
constexpr const char* kScript = "openseadragon.min.js";

// A JavaScript string literal; "<" is escaped so that no name can close the script element.
std::string js_string(const std::string& text) {
  std::string out;
  for (char c : nlohmann::json(text).dump()) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

// Percent-encodes everything but unreserved URL characters, so "#", "?" or "%" in a name stay
// part of the path.
std::string url_path_segment(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string html_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The tile source, written inline: a DeepZoom descriptor as an object, or the IIIF info.json
// with its id replaced at load time by the page's own directory, wherever the page is opened.
std::string tile_source(const PyramidGeometry& geometry, const std::string& name,
                        const char* extension) {
  const PyramidLevel& full = geometry.level(0);
  switch (geometry.layout()) {
    case PyramidLayout::kDeepZoom:
      return fmt::format(
          "{{\n"
          "      Image: {{\n"
          "        xmlns: \"http://schemas.microsoft.com/deepzoom/2008\",\n"
          "        Url: {},\n"
          "        Format: \"{}\",\n"
          "        Overlap: \"{}\",\n"
          "        TileSize: \"{}\",\n"
          "        Size: {{ Width: \"{}\", Height: \"{}\" }}\n"
          "      }}\n"
          "    }}",
          js_string(url_path_segment(name + "_files") + "/"), extension, geometry.overlap(),
          geometry.tile_size(), full.width, full.height);
    case PyramidLayout::kIiif3: {
      const std::string here = "new URL(\".\", location.href).href.replace(/\\/$/, \"\")";
      return fmt::format("Object.assign({}, {{ id: {} }})", iiif_info(geometry, "."), here);
    }
  }
  return {};
}

Result<std::vector<std::uint8_t>> read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::kIo, fmt::format("cannot read the viewer file {}", path.string())};
  }
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string viewer_page(const PyramidGeometry& geometry, const std::string& name,
                        const char* extension) {
  return fmt::format(
      "<!DOCTYPE html>\n"
      "<html lang=\"en\">\n"
      "<head>\n"
      "  <meta charset=\"utf-8\">\n"
      "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "  <title>{0}</title>\n"
      "  <style>html, body {{ margin: 0; height: 100%; background: #000; }}\n"
      "    #viewer {{ width: 100%; height: 100%; }}</style>\n"
      "</head>\n"
      "<body>\n"
      "  <div id=\"viewer\"></div>\n"
      "  <script src=\"{1}/{2}\"></script>\n"
      "  <script>\n"
      "  window.viewer = OpenSeadragon({{\n"
      "    id: \"viewer\",\n"
      "    prefixUrl: \"{1}/images/\",\n"
      "    tileSources: {3}\n"
      "  }});\n"
      "  </script>\n"
      "</body>\n"
      "</html>\n",
      html_text(name), kViewerAssetsDirectory, kScript, tile_source(geometry, name, extension));
}

Status check_viewer_assets(const std::string& package) {
  std::error_code error;
  if (!fs::is_regular_file(fs::path(package) / kBuildDirectory / kScript, error)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} is not OpenSeadragon's npm package (no {}/{} in it); install it "
                             "with scripts/setup.sh, or point TESSERA_OPENSEADRAGON at a "
                             "directory made by 'npm install openseadragon' "
                             "(node_modules/openseadragon)",
                             package, kBuildDirectory, kScript)};
  }
  return {};
}

Status add_viewer_assets(PyramidContainer& container, const std::string& package) {
  if (Status s = check_viewer_assets(package); !s) return s;
  const fs::path build = fs::path(package) / kBuildDirectory;
  std::vector<std::pair<fs::path, std::string>> files = {
      {build / kScript, kScript}, {fs::path(package) / "LICENSE.txt", "LICENSE.txt"}};
  std::error_code error;
  for (fs::directory_iterator it(build / "images", error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file()) {
      files.emplace_back(it->path(), "images/" + it->path().filename().string());
    }
  }
  if (error) {
    return Error{ErrorCode::kIo,
                 fmt::format("cannot list {}: {}", (build / "images").string(), error.message())};
  }
  // Directory order differs between file systems; a sorted list keeps a zip's bytes the same.
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [from, to] : files) {
    auto bytes = read_whole(from);
    if (!bytes) return std::move(bytes).error();
    if (Status s = container.add(fmt::format("{}/{}", kViewerAssetsDirectory, to), *bytes); !s) {
      return s;
    }
  }
  return {};
}

}  // namespace tessera::detail
