# The Python module (python/): pybind11 (pybind11-dev) over Debian's own interpreter and its
# development files (python3-dev). Another python3 may come first on PATH (pyenv, a venv), so
# Debian's is named unless the caller chose one with -DPython_EXECUTABLE=...
#
# It is off under sanitizers: a module that the interpreter dlopen()s cannot carry ASan or
# TSan unless the runtime is preloaded into python3 itself (LD_PRELOAD), and the interpreter's
# own allocations then drown the reports; the engine it wraps is covered by the C++ suites.
set(TESSERA_PYTHON_DEFAULT OFF)
set(TESSERA_PYTHON_WHY_NOT "")
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize" OR TESSERA_BUILD_FUZZERS)
  set(TESSERA_PYTHON_WHY_NOT "a sanitizer build (python3 would need the sanitizer preloaded)")
elseif(PROJECT_IS_TOP_LEVEL OR TESSERA_BUILD_PYTHON)
  if(NOT DEFINED Python_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python_EXECUTABLE /usr/bin/python3)
  endif()
  find_package(Python 3.9 COMPONENTS Interpreter Development.Module QUIET)  # python3-dev
  set(PYBIND11_FINDPYTHON ON)
  find_package(pybind11 2.6 CONFIG QUIET)                                   # pybind11-dev
  if(Python_FOUND AND pybind11_FOUND)
    set(TESSERA_PYTHON_DEFAULT ${PROJECT_IS_TOP_LEVEL})
  else()
    set(TESSERA_PYTHON_WHY_NOT "pybind11-dev or python3-dev is not installed")
  endif()
endif()
option(TESSERA_BUILD_PYTHON "Build the Python module (python/)" ${TESSERA_PYTHON_DEFAULT})
if(NOT TESSERA_BUILD_PYTHON AND TESSERA_PYTHON_WHY_NOT)
  message(STATUS "tessera: the Python module is not built: ${TESSERA_PYTHON_WHY_NOT}")
elseif(TESSERA_BUILD_PYTHON AND TESSERA_PYTHON_WHY_NOT)
  message(FATAL_ERROR "TESSERA_BUILD_PYTHON is ON, but ${TESSERA_PYTHON_WHY_NOT}")
endif()

# Where `cmake --install` puts the package: the interpreter's own site directory for the
# install prefix (Debian: lib/python3.X/dist-packages under /usr/local), so that
# `cmake --install build` makes `import tessera` work at once; another prefix gets the same
# layout under it (add it to PYTHONPATH).
if(TESSERA_BUILD_PYTHON AND NOT DEFINED TESSERA_PYTHON_INSTALL_DIR)
  execute_process(
    COMMAND ${Python_EXECUTABLE} -c
            "import sysconfig; print(sysconfig.get_path('platlib'))"
    OUTPUT_VARIABLE platlib OUTPUT_STRIP_TRAILING_WHITESPACE)
  cmake_path(IS_PREFIX CMAKE_INSTALL_PREFIX "${platlib}" NORMALIZE under_prefix)
  if(under_prefix)
    cmake_path(RELATIVE_PATH platlib BASE_DIRECTORY ${CMAKE_INSTALL_PREFIX})
  else()
    set(platlib lib/python${Python_VERSION_MAJOR}.${Python_VERSION_MINOR}/site-packages)
  endif()
  set(TESSERA_PYTHON_INSTALL_DIR ${platlib} CACHE STRING
      "Where cmake --install puts the Python package, relative to the prefix")
endif()
