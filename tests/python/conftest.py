"""Shared fixtures: generated photo-like test images, the tessera binary and the C++ helper.

ctest sets PYTHONPATH to the build's package and names the binaries in the environment
(tests/python/CMakeLists.txt); run by hand, set them the same way.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import tessera

CLI = os.environ.get("TESSERA_CLI", "")
CPP_CROPS = os.environ.get("TESSERA_CPP_CROPS", "")
TEST_DATA = os.environ.get("TESSERA_TEST_DATA", "")
SOURCE_DIR = os.environ.get("TESSERA_SOURCE_DIR", "")
BUILD_DIR = os.environ.get("TESSERA_BUILD_DIR", "")


def photo_pixels(width, height, channels=3, seed=1):
    """Smooth gradients with a little noise, reproducible from the seed: compresses like a
    photograph, unlike uniform noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    planes = []
    for c in range(channels):
        fx, fy = rng.uniform(0.002, 0.02, 2)
        plane = 128 + 90 * np.sin(x * fx + c) * np.cos(y * fy - c)
        planes.append(plane + rng.normal(0, 6, (height, width)))
    image = np.stack(planes, axis=-1)
    return np.clip(image, 0, 255).astype(np.uint8)


def large_photo(side, seed=1):
    """A side x side RGB image made of 512x512 photo-like tiles, each shifted in brightness:
    quick to make at any size."""
    base = photo_pixels(512, 512, seed=seed).astype(np.int16)
    reps = -(-side // 512)
    image = np.tile(base, (reps, reps, 1))
    shift = (np.add.outer(np.arange(reps), np.arange(reps)) * 9 % 40 - 20).astype(np.int16)
    image += np.repeat(np.repeat(shift, 512, 0), 512, 1)[:, :, None]
    return np.clip(image[:side, :side], 0, 255).astype(np.uint8)


def encode_whole(pixels, fmt, **options):
    """The whole array as one encoded image, through tessera itself."""
    height, width = pixels.shape[:2]
    (only,) = list(tessera.crop(pixels, [(0, 0, width, height)], format=fmt, **options))
    return only.data


@pytest.fixture
def photo_jpeg(tmp_path):
    """A 640x480 RGB JPEG (q95, 4:4:4) on disk and its path."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode_whole(photo_pixels(640, 480), "jpeg", quality=95, subsampling="444"))
    return path


@pytest.fixture
def photo_png(tmp_path):
    """A 300x200 RGB PNG on disk, and its pixels."""
    pixels = photo_pixels(300, 200, seed=2)
    path = tmp_path / "photo.png"
    path.write_bytes(encode_whole(pixels, "png"))
    return path, pixels


def run_cli(*args, check=True):
    if not CLI:
        pytest.skip("TESSERA_CLI is not set (ctest sets it)")
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"tessera {' '.join(map(str, args))} exited {result.returncode}: "
                             f"{result.stderr}")
    return result


def python_child(script, *args, **kwargs):
    """Runs `script` in a new interpreter that imports the same tessera."""
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], **kwargs)
