"""Builds the `tessera` Python package: a setuptools build_ext that drives tessera's CMake build.

    pip install --no-build-isolation ./python

configures the repository (the folder above this one) in Release, builds only the extension
and the OpenCV decoder module, and places both inside the package beside __init__.py. It
needs what the C++ build needs (scripts/setup.sh) and downloads nothing. A second install
reuses the CMake build directory; ccache is used when it is installed.

Environment: TESSERA_BUILD_BASE puts setuptools' and CMake's build directories there instead
of python/build; CMAKE_BUILD_PARALLEL_LEVEL sets the build's jobs (default: every core).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def version():
    text = (ROOT / "CMakeLists.txt").read_text()
    found = re.search(r"project\(tessera VERSION ([0-9.]+)", text)
    if not found:
        sys.exit(f"setup.py: no project(tessera VERSION ...) in {ROOT / 'CMakeLists.txt'}; "
                 "build from a checkout of the tessera repository")
    return found.group(1)


class CMakeBuild(build_ext):
    """Builds the extension with CMake instead of compiling sources itself."""

    def build_extension(self, ext):
        build_dir = Path(self.build_temp).resolve() / "cmake"
        stage = Path(self.build_temp).resolve() / "stage"
        package_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            # The interpreter itself, not a venv's link to it: the build directory outlives venvs.
            f"-DPython_EXECUTABLE={os.path.realpath(sys.executable)}",
            "-DTESSERA_BUILD_PYTHON=ON",
            "-DTESSERA_BUILD_TESTS=OFF",
            "-DTESSERA_BUILD_BENCH=OFF",
            "-DTESSERA_PYTHON_INSTALL_DIR=python",
        ]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        if shutil.which("ccache"):
            configure += ["-DCMAKE_C_COMPILER_LAUNCHER=ccache",
                          "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
        subprocess.run(configure, check=True)  # quick once configured; picks up a new interpreter
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "-j", jobs, "--target",
                        "tessera_python", "tessera_opencv_module"], check=True)
        if stage.exists():
            shutil.rmtree(stage)
        subprocess.run(["cmake", "--install", str(build_dir), "--component", "python",
                        "--prefix", str(stage)], check=True)
        package_dir.mkdir(parents=True, exist_ok=True)
        for built in (stage / "python" / "tessera").glob("*.so"):
            shutil.copy2(built, package_dir / built.name)


base = os.environ.get("TESSERA_BUILD_BASE")
setup(
    name="tessera",
    version=version(),
    description="Cut many crops out of a large image and encode them in parallel",
    packages=["tessera"],
    package_dir={"tessera": "tessera"},
    package_data={"tessera": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension("tessera._tessera", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    zip_safe=False,
    options={"build": {"build_base": base}, "egg_info": {"egg_base": base}} if base else {},
)
