# Run by ctest as `cmake -P`: installs the build into a fresh prefix, moves the prefix (an
# installed package must not remember where it was installed), checks that no installed
# CMake file points into the source or build tree, then configures, builds and runs
# tests/package/consumer against the moved prefix. Any failing step fails the test.
#
# Inputs (-D): SOURCE_DIR BUILD_DIR WORK_DIR CONFIG GENERATOR MAKE_PROGRAM CXX_COMPILER
#              CXX_FLAGS EXE_LINKER_FLAGS

function(run_step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "package consumer test: ${name} failed (${result}):\n${output}")
  endif()
  message(STATUS "${name}: ok")
endfunction()

set(staged ${WORK_DIR}/staged)
set(prefix ${WORK_DIR}/moved)
file(REMOVE_RECURSE ${WORK_DIR})

run_step("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --config ${CONFIG} --prefix ${staged})
file(RENAME ${staged} ${prefix})

file(GLOB_RECURSE installed_cmake_files ${prefix}/*.cmake)
if(NOT installed_cmake_files)
  message(FATAL_ERROR "package consumer test: the install put no CMake package files under ${prefix}")
endif()
foreach(file IN LISTS installed_cmake_files)
  file(READ ${file} text)
  foreach(tree IN ITEMS ${SOURCE_DIR} ${BUILD_DIR} ${staged})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "package consumer test: ${file} names ${tree}; installed files must be relocatable")
    endif()
  endforeach()
endforeach()

run_step("configure the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/build
         -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_BUILD_TYPE=${CONFIG}
         -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
         "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}" -DCMAKE_PREFIX_PATH=${prefix})
run_step("build the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build --config ${CONFIG})
# Single-config generators put the program in build/, multi-config ones in build/<CONFIG>/.
file(GLOB_RECURSE consumer ${WORK_DIR}/build/tessera_consumer)
if(NOT consumer)
  message(FATAL_ERROR "package consumer test: the build made no tessera_consumer")
endif()
run_step("run the consumer" ${consumer})
