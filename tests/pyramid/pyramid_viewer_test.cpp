// `tessera pyramid --viewer` in a real browser: headless Debian chromium opens the page through
// a local HTTP server on 127.0.0.1 (python3 -m http.server, whose log lists every request).
// The fitted view must look like the input scaled down, and after zooming in the viewer must
// ask for tiles of the deepest level. The page is loaded in a fixed-size iframe of a harness
// page, because headless chromium's screenshot window is taller than the layout viewport it
// reports. The screenshots stay in the build tree (TESSERA_TEST_ARTIFACTS).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <chrono>
#include <cmath>

#include "child_process.hpp"
#include "cli_runner.hpp"
#include "test_images.hpp"

namespace tessera::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kFrameWidth = 640;
constexpr int kFrameHeight = 400;
// Mean absolute difference, in grey levels over every channel, between the fitted view and the
// input scaled down by box averaging. A wrong level, a shifted or stretched image or missing
// tiles give tens; what is left is JPEG loss and the browser's resampling.
constexpr double kMaxMeanDifference = 8.0;

// A port nothing listens on now (the kernel's choice), for the server to take.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string harness_page(const std::string& script) {
  return fmt::format(
      "<!DOCTYPE html>\n<html><body style=\"margin:0;background:#000\">\n"
      "<iframe id=\"f\" src=\"index.html\" style=\"border:0;width:{}px;height:{}px\"></iframe>\n"
      "<script>\n{}</script>\n</body></html>\n",
      kFrameWidth, kFrameHeight, script);
}

// Loads `page` in headless chromium with its own profile; with `screenshot`, saves one.
void open_in_chromium(const TempDir& dir, int port, const std::string& page,
                      const std::string& profile, const std::string& screenshot) {
  const std::string shot = screenshot.empty() ? "" : " --screenshot=" + screenshot;
  const CliOutcome run = run_shell(
      dir, fmt::format("timeout 60 chromium --headless=new --no-sandbox --disable-gpu "
                       "--no-first-run --hide-scrollbars --user-data-dir={} --window-size=800,600 "
                       "--virtual-time-budget=6000{} http://127.0.0.1:{}/{}",
                       profile, shot, port, page));
  INFO(run.err);
  REQUIRE(run.code == 0);
}

std::size_t requests_for(const std::string& log, const std::string& prefix) {
  std::size_t count = 0;
  for (std::size_t at = log.find("GET " + prefix); at != std::string::npos;
       at = log.find("GET " + prefix, at + 1)) {
    ++count;
  }
  return count;
}

// The input scaled into the rectangle OpenSeadragon fits it to, compared with the screenshot.
double fitted_view_difference(const OwnedImage& input, const OwnedImage& shot) {
  const double scale =
      std::min(double(kFrameWidth) / input.width, double(kFrameHeight) / input.height);
  const int width = static_cast<int>(std::lround(input.width * scale));
  const int height = static_cast<int>(std::lround(input.height * scale));
  const int left = (kFrameWidth - width) / 2;
  const int top = (kFrameHeight - height) / 2;
  const int shot_channels = channel_count(shot.format);
  constexpr int kInset = 3;  // the image's edge pixels are blended with the background
  double sum = 0;
  std::uint64_t samples = 0;
  for (int y = kInset; y < height - kInset; ++y) {
    const int y0 = static_cast<int>(y / scale), y1 = static_cast<int>((y + 1) / scale);
    for (int x = kInset; x < width - kInset; ++x) {
      const int x0 = static_cast<int>(x / scale), x1 = static_cast<int>((x + 1) / scale);
      for (int c = 0; c < 3; ++c) {
        double mean = 0;
        int n = 0;
        for (int sy = y0; sy < std::max(y1, y0 + 1); ++sy) {
          for (int sx = x0; sx < std::max(x1, x0 + 1); ++sx) {
            mean += input.pixels[static_cast<std::size_t>(sy) * input.stride() +
                                 static_cast<std::size_t>(sx * 3 + c)];
            ++n;
          }
        }
        const double got = shot.pixels[static_cast<std::size_t>(top + y) * shot.stride() +
                                       static_cast<std::size_t>((left + x) * shot_channels + c)];
        sum += std::abs(got - mean / n);
        ++samples;
      }
    }
  }
  return sum / static_cast<double>(samples);
}

void keep_artifact(const std::string& from, const std::string& name) {
  const fs::path directory = TESSERA_TEST_ARTIFACTS;
  fs::create_directories(directory);
  fs::copy_file(from, directory / name, fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("pyramid: the viewer shows the image and zooms to the deepest level in chromium",
          "[cli]") {
  TempDir dir;
  if (run_shell(dir, "command -v chromium").code != 0) {
    WARN(
        "SKIPPED: chromium is not installed (scripts/setup.sh installs it); the viewer was not "
        "tested in a browser");
    return;
  }
  EncodeOptions jpeg;
  jpeg.jpeg.quality = 95;
  const OwnedImage input = write_image(dir / "big.jpg", 1500, 1000, jpeg, 11);
  const CliOutcome made = run_tessera(dir, "pyramid big.jpg -o site/big --viewer --tile-size 256");
  INFO(made.err);
  REQUIRE(made.code == 0);
  const fs::path site = dir.path() / "site" / "big";
  REQUIRE(fs::exists(site / "index.html"));
  REQUIRE(fs::exists(site / "openseadragon" / "openseadragon.min.js"));
  int deepest = 0;  // DeepZoom's number of the full-resolution level
  for (int w = input.width, h = input.height; w > 1 || h > 1; w = (w + 1) / 2, h = (h + 1) / 2) {
    ++deepest;
  }
  write_text(site / "fitted.html", harness_page(""));
  write_text(site / "zoom.html", harness_page("const frame = document.getElementById('f');\n"
                                              "frame.addEventListener('load', () => {\n"
                                              "  const viewer = frame.contentWindow.viewer;\n"
                                              "  const zoom = () => viewer.viewport.zoomTo(\n"
                                              "      viewer.viewport.getMaxZoom(), null, true);\n"
                                              "  if (viewer.world.getItemCount() > 0) zoom();\n"
                                              "  else viewer.addHandler('open', zoom);\n"
                                              "});\n"));

  const int port = free_port();
  ChildProcess server = ChildProcess::spawn(
      site, "python3",
      {"-m", "http.server", std::to_string(port), "--bind", "127.0.0.1", "--directory", "."},
      dir / "server.out", dir / "server.log");
  wait_until([&] { return accepts_connections(port); }, 20s, "the HTTP server to listen");

  const std::string deepest_tiles = fmt::format("/big_files/{}/", deepest);
  open_in_chromium(dir, port, "fitted.html", dir / "profile-fitted", dir / "fitted.png");
  const std::size_t fitted_deep = requests_for(read_text(dir / "server.log"), deepest_tiles);
  open_in_chromium(dir, port, "zoom.html", dir / "profile-zoom", dir / "zoomed.png");
  server.signal(SIGTERM);
  server.wait(10s);
  const std::string log = read_text(dir / "server.log");
  keep_artifact(dir / "fitted.png", "pyramid_viewer_fitted.png");
  keep_artifact(dir / "zoomed.png", "pyramid_viewer_zoomed.png");

  INFO(log);
  CHECK(requests_for(log, "/big.dzi") == 0);  // the page names its tile source inline
  CHECK(requests_for(log, "/big_files/") > 0);
  CHECK(fitted_deep == 0);                      // the fitted view needs no full-resolution tile...
  CHECK(requests_for(log, deepest_tiles) > 0);  // ...zooming in does

  auto shot = decode_whole(InputBytes::open_file(dir / "fitted.png").value());
  REQUIRE(shot);
  const double difference = fitted_view_difference(input, *shot);
  INFO("mean absolute difference " << difference);
  CHECK(difference < kMaxMeanDifference);
}

}  // namespace tessera::test
