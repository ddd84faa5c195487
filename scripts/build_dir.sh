# Sourced by setup.sh, run.sh and test.sh: the one switch between the two LibTorch builds.
#   GANTRAIN_LIBTORCH=debian (default)  LibTorch 1.13 from Debian (CPU), built in build/
#   GANTRAIN_LIBTORCH=pip               LibTorch 2.x from PyPI's torch wheel (CUDA), in build-libtorch2/
case "${GANTRAIN_LIBTORCH:-debian}" in
  debian) GANTRAIN_BUILD=build ;;
  pip) GANTRAIN_BUILD=build-libtorch2 ;;
  *) echo "GANTRAIN_LIBTORCH='$GANTRAIN_LIBTORCH': expected debian (LibTorch 1.13 from Debian," \
          "the default) or pip (LibTorch 2.x from PyPI's torch wheel, scripts/libtorch2.sh)" >&2
     exit 2 ;;
esac
