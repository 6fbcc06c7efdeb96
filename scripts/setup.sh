#!/usr/bin/env bash
# Installs the Debian 12 packages tessera builds against, only those that are missing,
# so a second run costs a few dpkg queries and nothing else.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libtbb-dev libturbojpeg0-dev libjpeg62-turbo-dev libspng-dev
  libopencv-core-dev libopencv-imgcodecs-dev
  libbenchmark-dev catch2
  libcli11-dev nlohmann-json3-dev libfmt-dev libarchive-dev
  tar python3 time
  python3-dev pybind11-dev python3-numpy python3-pytest python3-opencv
  python3-venv python3-pip python3-setuptools python3-wheel
  clang-format clang-tidy
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
