# Every dependency comes from a Debian 12 package; nothing is downloaded at build time.
# scripts/setup.sh installs the packages named beside each lookup.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)                                  # libtbb-dev
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)  # libturbojpeg0-dev
pkg_check_modules(LIBJPEG REQUIRED IMPORTED_TARGET libjpeg)         # libjpeg62-turbo-dev
pkg_check_modules(SPNG REQUIRED IMPORTED_TARGET spng)               # libspng-dev
pkg_check_modules(DEFLATE REQUIRED IMPORTED_TARGET libdeflate)      # libdeflate-dev
# libpng decodes tessera's PNGs in the tests, as a second reference beside libspng.
pkg_check_modules(LIBPNG REQUIRED IMPORTED_TARGET libpng16)         # libpng-dev
# 4.5 is the first with per-handle error handlers (TIFFOpenOptionsSetErrorHandlerExtR).
pkg_check_modules(TIFF REQUIRED IMPORTED_TARGET libtiff-4>=4.5)     # libtiff-dev
find_package(fmt REQUIRED)                                  # libfmt-dev
find_package(nlohmann_json REQUIRED)                        # nlohmann-json3-dev
find_package(CLI11 REQUIRED)                                # libcli11-dev
find_package(LibArchive REQUIRED)                           # libarchive-dev

# libopencv-{core,imgcodecs}-dev ship neither a CMake config nor a .pc file without the
# full libopencv-dev, so the two libraries are located directly. Only the OpenCV decoder
# module (codecs/), the tests and the benchmarks link them; tessera_opencv is never installed.
find_path(OPENCV_INCLUDE_DIR opencv2/imgcodecs.hpp PATH_SUFFIXES opencv4 REQUIRED)
find_library(OPENCV_CORE_LIB opencv_core REQUIRED)
find_library(OPENCV_IMGCODECS_LIB opencv_imgcodecs REQUIRED)
add_library(tessera_opencv INTERFACE)
target_include_directories(tessera_opencv SYSTEM INTERFACE ${OPENCV_INCLUDE_DIR})
target_link_libraries(tessera_opencv INTERFACE ${OPENCV_IMGCODECS_LIB} ${OPENCV_CORE_LIB})
# Where the OpenCV decoder module is installed; codecs finds it relative to its own binary.
include(GNUInstallDirs)
set(TESSERA_MODULE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/tessera)
