"""Installation as a user does it, offline: pip install --no-build-isolation into a fresh venv,
or cmake --install; then `import tessera` from another directory, and the README example runs
as written."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, TEST_DATA, encode_whole, photo_pixels

# Run by the installed interpreter in a directory of its own: the package must be the
# installed one, read JPEG, write raw arrays, and load the OpenCV module from its own folder.
CHECK = """
import os, sys, tessera
home = os.path.dirname(tessera.__file__)
assert home.startswith(sys.argv[1]), home
assert len(list(tessera.tile("scan.jpg", 64))) == 20
assert next(tessera.tile("scan.jpg", 64, format="raw")).data.shape == (64, 64, 3)
assert len(list(tessera.tile(sys.argv[2], 32))) > 0   # a BMP: the OpenCV module
with open("/proc/self/maps") as maps:
    assert os.path.join(home, "libtessera_opencv.so") in maps.read()
print("ok")
"""


def readme_example():
    readme = pathlib.Path(SOURCE_DIR, "README.md").read_text()
    return re.search(r"```python\n(.*?)```", readme, re.S).group(1)


def check_installed(python, package_root, workdir, env=None):
    workdir.mkdir()
    (workdir / "scan.jpg").write_bytes(encode_whole(photo_pixels(320, 256), "jpeg"))
    bmp = pathlib.Path(TEST_DATA, "other", "shira_bird8.bmp")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TESSERA_MODULE_PATH")}
    clean.update(env or {})
    result = subprocess.run([python, "-c", CHECK, str(package_root), str(bmp)], cwd=workdir,
                            env=clean, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr
    example = subprocess.run([python, "-c", readme_example()], cwd=workdir, env=clean,
                             capture_output=True, text=True)
    assert example.returncode == 0, example.stderr


@pytest.mark.skipif(not SOURCE_DIR or not BUILD_DIR, reason="ctest sets the source and build dirs")
def test_pip_installs_into_a_fresh_venv_offline(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv], check=True)
    python = venv / "bin" / "python"
    # The CMake build directory stays in the build tree, so that the next run is incremental.
    env = dict(os.environ, TESSERA_BUILD_BASE=os.path.join(BUILD_DIR, "python-pip-build"),
               CMAKE_BUILD_PARALLEL_LEVEL=os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2"))
    env.pop("PYTHONPATH", None)
    install = subprocess.run(
        [python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--quiet",
         os.path.join(SOURCE_DIR, "python")], env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    check_installed(python, venv, tmp_path / "elsewhere")


@pytest.mark.skipif(not BUILD_DIR, reason="ctest sets the build dir")
def test_cmake_install_places_the_package_for_the_interpreter(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", BUILD_DIR, "--component", "python", "--prefix", prefix],
                   check=True, capture_output=True)
    cache = pathlib.Path(BUILD_DIR, "CMakeCache.txt").read_text()
    relative = re.search(r"^TESSERA_PYTHON_INSTALL_DIR:\w+=(.*)$", cache, re.M).group(1)
    assert relative.startswith("lib/python3")  # the interpreter's own layout under the prefix
    site = prefix / relative
    assert sorted(p.name for p in (site / "tessera").iterdir() if p.name != "__pycache__") == [
        "__init__.py", "__init__.pyi", f"_tessera{sysconfig_suffix()}", "libtessera_opencv.so",
        "py.typed"]
    check_installed(sys.executable, site, tmp_path / "elsewhere", {"PYTHONPATH": str(site)})


def sysconfig_suffix():
    import sysconfig
    return sysconfig.get_config_var("EXT_SUFFIX")
