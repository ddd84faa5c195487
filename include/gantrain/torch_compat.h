#pragma once
/// Where the C++ APIs of LibTorch 1.13 (Debian) and 2.x (upstream) differ, as inline helpers.
/// TORCH_VERSION_* is tested here and in one other place: src/distributed/c10d.h, which keeps
/// c10d's API differences (ProcessGroup -> Backend) inside src/distributed/.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

// LibTorch 2.4 added the CPU kernel of _fused_adam_ and autocast's per-device-type API.
#define GANTRAIN_TORCH_2_4 \
  (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

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

/// Whether libtorch_fused_adam() does anything in this build.
constexpr bool kHasFusedAdam = GANTRAIN_TORCH_2_4;

/// LibTorch's own fused Adam over single flat float tensors (at::_fused_adam_, 2.4+); `step` is
/// a float tensor on their device holding t, already counted for this update. Returns false,
/// changing nothing, where this LibTorch has none (1.13).
inline bool libtorch_fused_adam(const torch::Tensor& param, const torch::Tensor& grad,
                                const torch::Tensor& exp_avg, const torch::Tensor& exp_avg_sq,
                                const torch::Tensor& step, double lr, double beta1, double beta2,
                                double eps) {
#if GANTRAIN_TORCH_2_4
  at::_fused_adam_({param}, {grad}, {exp_avg}, {exp_avg_sq}, {}, {step}, lr, beta1, beta2,
                   /*weight_decay=*/0.0, eps, /*amsgrad=*/false, /*maximize=*/false);
  return true;
#else
  (void)param, (void)grad, (void)exp_avg, (void)exp_avg_sq, (void)step;
  (void)lr, (void)beta1, (void)beta2, (void)eps;
  return false;
#endif
}

/// Whether LibTorch's conv_transpose2d runs its slow im2col kernel on `x`: 1.13 sends only
/// bfloat16 transposed convolutions (autocast's) to oneDNN on the CPU, 2.0+ float ones too.
inline bool slow_cpu_conv_transpose(const torch::Tensor& x) {
#if TORCH_VERSION_MAJOR < 2
  return x.is_cpu() && x.scalar_type() == at::kFloat && !at::autocast::is_cpu_enabled();
#else
  (void)x;
  return false;
#endif
}

/// While alive: LibTorch's autocast on `device`'s type with `dtype` (matrix products and
/// convolutions in that type, weights cast per use, cached for the guard's lifetime); the state
/// before is restored, and the cast cache cleared, when it ends. Does nothing for kFloat.
class AutocastGuard {
 public:
  AutocastGuard(torch::Device device, at::ScalarType dtype)
      : type_(device.type()), active_(dtype != at::kFloat) {
    if (!active_) return;
#if GANTRAIN_TORCH_2_4
    was_enabled_ = at::autocast::is_autocast_enabled(type_);
    was_dtype_ = at::autocast::get_autocast_dtype(type_);
    at::autocast::set_autocast_enabled(type_, true);
    at::autocast::set_autocast_dtype(type_, dtype);
#else
    const bool cpu = type_ == c10::DeviceType::CPU;
    was_enabled_ = cpu ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
    was_dtype_ =
        cpu ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
    cpu ? at::autocast::set_cpu_enabled(true) : at::autocast::set_enabled(true);
    cpu ? at::autocast::set_autocast_cpu_dtype(dtype) : at::autocast::set_autocast_gpu_dtype(dtype);
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    // The cached low-precision weights would be stale after the optimizer's next step.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if GANTRAIN_TORCH_2_4
    at::autocast::set_autocast_enabled(type_, was_enabled_);
    at::autocast::set_autocast_dtype(type_, was_dtype_);
#else
    const bool cpu = type_ == c10::DeviceType::CPU;
    cpu ? at::autocast::set_cpu_enabled(was_enabled_) : at::autocast::set_enabled(was_enabled_);
    cpu ? at::autocast::set_autocast_cpu_dtype(was_dtype_)
        : at::autocast::set_autocast_gpu_dtype(was_dtype_);
#endif
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType type_;
  bool active_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

/// While alive: LibTorch's own log lines below FATAL are not printed. c10d's socket code logs a
/// failed bind or connect as warnings and errors before it throws, and gantrain reports the
/// throw in one line of its own. The level is process-wide: for start-up code, one thread.
class QuietTorchLogs {
 public:
  QuietTorchLogs() : saved_(level()) { level() = kFatal; }
  ~QuietTorchLogs() { level() = saved_; }
  QuietTorchLogs(const QuietTorchLogs&) = delete;
  QuietTorchLogs& operator=(const QuietTorchLogs&) = delete;

 private:
  // Debian's LibTorch logs through glog, whose own flag filters; upstream's through c10's logger.
#ifdef C10_USE_GLOG
  static int& level() { return FLAGS_minloglevel; }
  static constexpr int kFatal = google::GLOG_FATAL;
#else
  static int& level() { return FLAGS_caffe2_log_level; }
  static constexpr int kFatal = c10::GLOG_FATAL;
#endif
  int saved_;
};

}  // namespace gantrain::compat
