#pragma once
/// Where the C++ APIs of LibTorch 1.13 (Debian) and 2.x (upstream) differ: the only place that
/// tests TORCH_VERSION_*. Everything else calls these helpers.
#include <torch/torch.h>

namespace gantrain::compat {

/// The key of parameter `p` in an optimizer's state map: the address of its TensorImpl as a
/// string in LibTorch 1.x, the address itself in 2.x.
inline auto optimizer_state_key(const torch::Tensor& p) {
#if TORCH_VERSION_MAJOR >= 2
  return static_cast<void*>(p.unsafeGetTensorImpl());
#else
  return c10::guts::to_string(p.unsafeGetTensorImpl());
#endif
}

}  // namespace gantrain::compat
