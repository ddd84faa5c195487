// c10d's NCCL backend: compiled only in CUDA builds whose toolkit has nccl.h (CMakeLists.txt).
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "distributed/c10d.h"

namespace gantrain::distributed {

c10::intrusive_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                              int rank, int size,
                                              std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

}  // namespace gantrain::distributed
