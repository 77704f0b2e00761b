# Install rules (TG_INSTALL, on when tapegrad is the top project): the headers under
# include/tapegrad/ (Note [Include paths] in ../CMakeLists.txt), the library, the CMake package
# (find_package(tapegrad CONFIG) -> tapegrad::tapegrad) and tapegrad.pc for pkg-config.
include(CMakePackageConfigHelpers)

set(TG_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)

install(TARGETS tapegrad EXPORT tapegradTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Every header of the library folders, so that new ones are installed without a CMake line.
install(DIRECTORY tensor autograd ops nn optim train datasets
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad FILES_MATCHING PATTERN "*.h")
install(FILES tapegrad.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad)
install(FILES ${PROJECT_BINARY_DIR}/generated/tensor/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad/tensor)

# ---- CMake package ----
install(EXPORT tapegradTargets NAMESPACE tapegrad:: DESTINATION ${TG_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/tapegradConfig.cmake.in ${PROJECT_BINARY_DIR}/tapegradConfig.cmake
                              INSTALL_DESTINATION ${TG_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the API, so only the same major.minor satisfies a request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tapegradConfig.cmake ${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
        DESTINATION ${TG_INSTALL_CMAKEDIR})

# ---- pkg-config ----
# The .pc file finds its prefix from its own location (${pcfiledir}), so the installed tree can
# be moved. Include folders the compiler searches anyway are left out: -I/usr/include would
# break libstdc++'s #include_next.
set(TG_PC_CFLAGS "${CMAKE_CXX20_STANDARD_COMPILE_OPTION} ${OpenMP_CXX_FLAGS}")
foreach(dir ${TG_RANDOM123_INCLUDE_DIR} ${TG_XSIMD_INCLUDE_DIRS})
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND TG_PC_CFLAGS " -I${dir}")
  endif()
endforeach()
file(RELATIVE_PATH TG_PC_PREFIX_FROM_PCFILEDIR /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)  # "../.." for lib/
string(REGEX REPLACE "/$" "" TG_PC_PREFIX_FROM_PCFILEDIR ${TG_PC_PREFIX_FROM_PCFILEDIR})
# A static libtapegrad needs zlib on the consumer's link line with plain `pkg-config --libs`.
# With MPI (train/distributed.h), Open MPI's own ompi-c.pc carries its flags and libraries.
set(TG_PC_DEPS "zlib")
if(MPI_CXX_FOUND)
  string(APPEND TG_PC_DEPS " ompi-c")
endif()
if(TG_SHARED)
  set(TG_PC_REQUIRES "Requires.private: ${TG_PC_DEPS}")
else()
  set(TG_PC_REQUIRES "Requires: ${TG_PC_DEPS}")
endif()
configure_file(cmake/tapegrad.pc.in ${PROJECT_BINARY_DIR}/tapegrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tapegrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
