# Use ccache when it is installed: rebuilds of unchanged files on 2 cores cost seconds, not minutes.
# The sloppiness settings let ccache cache files compiled against the precompiled header.
find_program(GANTRAIN_CCACHE ccache)
if(GANTRAIN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      # Paths relative to the source tree: a fresh clone elsewhere reuses the cache.
      "CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}"
      ${GANTRAIN_CCACHE})
endif()
