# GANTRAIN_SANITIZE=address,undefined (any list -fsanitize takes) instruments our own targets.
# LibTorch stays uninstrumented; see docs/robustness.md for the ASAN_OPTIONS this needs.
set(GANTRAIN_SANITIZE "" CACHE STRING "Sanitizers for our targets, e.g. address,undefined")
add_library(gantrain_sanitizers INTERFACE)
if(GANTRAIN_SANITIZE)
  target_compile_options(gantrain_sanitizers INTERFACE -fsanitize=${GANTRAIN_SANITIZE}
                         -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(gantrain_sanitizers INTERFACE -fsanitize=${GANTRAIN_SANITIZE})
endif()
