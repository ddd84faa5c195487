# Project warnings as an INTERFACE target, linked PRIVATE so they never leak to users.
add_library(gantrain_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(gantrain_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual)
  if(GANTRAIN_WARNINGS_AS_ERRORS)
    target_compile_options(gantrain_warnings INTERFACE -Werror)
  endif()
endif()
