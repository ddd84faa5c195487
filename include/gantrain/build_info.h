#pragma once
/// What this binary was built against, without including LibTorch (main.cpp stays torch-free).
#include <string>

namespace gantrain {

/// "LibTorch 1.13.0, CPU only" or "LibTorch 2.11.0 with CUDA 13.0 and cuDNN 9.19.0, 1 GPU
/// visible": the LibTorch version and its CUDA and cuDNN (build-time facts), and how many GPUs
/// the driver shows now.
std::string build_description();

}  // namespace gantrain
