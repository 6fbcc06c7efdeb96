# Install and export rules: `find_package(tessera)` then link tessera::engine.
# Everything is installed relative to the prefix, so the installed tree can be moved.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TESSERA_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tessera)

install(TARGETS tessera_codecs tessera_engine
        EXPORT tesseraTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Not exported: only tessera_codecs opens it, with dlopen.
install(TARGETS tessera_opencv_module LIBRARY DESTINATION ${TESSERA_MODULE_INSTALL_DIR})
install(DIRECTORY codecs/include/ engine/include/ ${TESSERA_GENERATED_INCLUDE_DIR}/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET tessera)
  install(TARGETS tessera RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # OpenSeadragon for `tessera pyramid --viewer`, where the binary looks for it
  # (../share/tessera/openseadragon), when scripts/setup.sh has installed it into the build tree.
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/build/npm/node_modules/openseadragon/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/tessera/openseadragon OPTIONAL
          PATTERN "*.map" EXCLUDE)
endif()
install(EXPORT tesseraTargets NAMESPACE tessera:: FILE tesseraTargets.cmake
        DESTINATION ${TESSERA_CMAKE_INSTALL_DIR})

# A static library's private dependencies reach the consumer's link line, so the config file
# must find them; a shared library brings its own and they stay out of the consumer's way.
get_target_property(TESSERA_LIBRARY_TYPE tessera_engine TYPE)
configure_package_config_file(cmake/tesseraConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tesseraConfig.cmake
  INSTALL_DESTINATION ${TESSERA_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tesseraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tesseraConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tesseraConfigVersion.cmake
        DESTINATION ${TESSERA_CMAKE_INSTALL_DIR})
