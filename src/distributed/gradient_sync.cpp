#include "gantrain/distributed/gradient_sync.h"

#include <chrono>

#include "gantrain/device.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"

namespace gantrain::distributed {
namespace {

// Two integer sums over the bits of `t` (the second weighted by position), exact and the same
// on every machine: equal replicas give equal sums, and any flipped bit changes them.
std::pair<int64_t, int64_t> bit_checksum(const torch::Tensor& t, int64_t& position) {
  torch::Tensor bits = t.dtype() == torch::kFloat ? t.detach().reshape(-1).view(torch::kInt)
                                                  : t.detach().reshape(-1);
  bits = bits.to(torch::kLong);
  torch::Tensor weight =
      torch::arange(position, position + bits.numel(), bits.options()).remainder_(127).add_(1);
  position += bits.numel();
  return {bits.sum().item<int64_t>(), (bits * weight).sum().item<int64_t>()};
}

}  // namespace

GradientSync::GradientSync(ProcessGroup& group, std::vector<SyncedNetwork> networks)
    : group_(group), networks_(std::move(networks)) {}

torch::Tensor GradientSync::average(size_t index, const torch::Tensor& values) {
  const SyncedNetwork& network = networks_.at(index);
  int64_t gradient_count = 0;
  for (const auto& p : network.params) gradient_count += p.numel();
  const int64_t spare = network.gradients.numel() - gradient_count;
  TORCH_CHECK(values.numel() <= spare, "GradientSync: ", values.numel(),
              " values do not fit the gradient buffer's ", spare, " spare slots");
  // The gradients are views into this buffer already (backward wrote them there); the values
  // go into the slots after them, and unused slots stay zero.
  torch::Tensor buffer = network.gradients;
  torch::Tensor slots = buffer.narrow(0, gradient_count, spare);
  slots.zero_();
  slots.narrow(0, 0, values.numel()).copy_(values.detach().reshape(-1));
  const auto start = std::chrono::steady_clock::now();
  group_.all_reduce_sum(buffer);
  seconds_reducing_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bytes_reduced_ += buffer.numel() * static_cast<int64_t>(buffer.element_size());
  buffer.div_(static_cast<double>(group_.world_size()));
  // A copy: the buffer is overwritten by the next step, and callers keep these statistics.
  return slots.narrow(0, 0, values.numel()).clone();
}

void GradientSync::check_replicas(int64_t step) {
  // Per network, then the CPU random state: two sums each.
  std::vector<std::string> names;
  std::vector<int64_t> sums;
  auto add = [&](const std::string& name, const std::vector<torch::Tensor>& tensors) {
    int64_t position = 0, plain = 0, weighted = 0;
    for (const auto& t : tensors) {
      auto [a, b] = bit_checksum(t, position);
      plain += a;
      weighted += b;
    }
    names.push_back(name);
    sums.insert(sums.end(), {plain, weighted});
  };
  for (const auto& network : networks_) add(network.name + "'s weights differ", network.params);
  add("CPU random state differs", {generator_state(default_generator(torch::kCPU))});
  const torch::Device device = networks_.front().params.front().device();
  if (!device.is_cpu())
    add("device random state differs", {generator_state(default_generator(device))});
  torch::Tensor all = group_.all_gather(torch::tensor(sums, torch::kLong));
  for (int64_t r = 1; r < group_.world_size(); ++r)
    for (int64_t i = 0; i < all.size(1); ++i)
      if (all[r][i].item<int64_t>() != all[0][i].item<int64_t>())
        throw Error("step " + std::to_string(step) + ": rank " + std::to_string(r) + "'s " +
                    names[i / 2] + " from rank 0's: the replicas have diverged, so the "
                    "run stops (the last checkpoint is kept)");
}

}  // namespace gantrain::distributed
