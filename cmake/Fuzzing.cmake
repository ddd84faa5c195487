# GANTRAIN_FUZZ builds the libFuzzer targets in fuzz/ (clang only; scripts/fuzz.sh sets it up).
# Our code is compiled with coverage instrumentation (fuzzer-no-link); LibTorch, built with g++,
# stays uninstrumented, and only the fuzz targets link libFuzzer's main.
option(GANTRAIN_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)
add_library(gantrain_fuzzing INTERFACE)
if(GANTRAIN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GANTRAIN_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  target_compile_options(gantrain_fuzzing INTERFACE -fsanitize=fuzzer-no-link)
endif()
