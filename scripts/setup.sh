#!/usr/bin/env bash
# Installs the Debian 12 packages tessera builds against, only those that are missing,
# so a second run costs a few dpkg queries and nothing else.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libtbb-dev libturbojpeg0-dev libjpeg62-turbo-dev libspng-dev libtiff-dev
  libvips-tools
  libopencv-core-dev libopencv-imgcodecs-dev
  libbenchmark-dev catch2
  libcli11-dev nlohmann-json3-dev libfmt-dev libarchive-dev libdeflate-dev libpng-dev pngcheck
  libjpeg-turbo-progs
  tar python3 time
  python3-dev pybind11-dev python3-numpy python3-pytest python3-opencv
  python3-venv python3-pip python3-setuptools python3-wheel
  slurm-wlm munge
  clang-format clang-tidy
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm for OpenSeadragon (below): Debian's package, unless an npm is already there (NodeSource's
# nodejs bundles its own, and conflicts with Debian's npm package).
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# OpenSeadragon for `tessera pyramid --viewer`, from the npm registry, pinned, into the build
# tree (tools/CMakeLists.txt tells tessera where; TESSERA_OPENSEADRAGON overrides it).
openseadragon_version=5.0.1
npm_prefix="$(cd "$(dirname "$0")/.." && pwd)/build/npm"
osd_package="$npm_prefix/node_modules/openseadragon/package.json"
if ! grep -q "\"version\": \"$openseadragon_version\"" "$osd_package" 2>/dev/null; then
  echo "setup: npm install openseadragon@$openseadragon_version into $npm_prefix" >&2
  npm install --prefix "$npm_prefix" --no-audit --no-fund --no-save --loglevel=error \
    "openseadragon@$openseadragon_version" >&2
fi
