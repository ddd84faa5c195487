#include <algorithm>
#include <sstream>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/task.h"
#include "tasks/tasks.h"

namespace gantrain {

const std::vector<TaskEntry>& task_registry() {
  // An explicit list: static self-registration is dropped by the linker from static libraries.
  static const std::vector<TaskEntry> tasks = {detail::even_bits_task(), detail::mnist_task(),
                                                detail::images_task()};
  return tasks;
}

const TaskEntry& find_task(const std::string& name) {
  std::string known;
  for (const auto& entry : task_registry()) {
    if (entry.name == name) return entry;
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  throw ConfigError("unknown task '" + name + "' (expected one of: " + known + ")");
}

std::vector<std::string> parse_eval_groups(const Task& task, const std::string& list) {
  const std::vector<std::string> known = task.eval_groups();
  if (list == "all" || list.empty()) return known;
  std::vector<std::string> chosen;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string expected;
      for (const auto& k : known) expected += (expected.empty() ? "" : ", ") + k;
      throw ConfigError("eval.metrics = '" + list + "': unknown metric group '" + name +
                        "' (expected all or some of: " + expected + ")");
    }
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) chosen.push_back(name);
  }
  return chosen;
}

void check_grid_scale(const Task& task, const std::string& name, const std::string& setting) {
  if (task.sample_kind() != SampleKind::kImageGrid)
    throw ConfigError(setting + " applies to image grids, not to task '" + name +
                      "' (its samples are text)");
}

std::vector<std::string> task_summaries() {
  std::vector<std::string> out;
  for (const auto& entry : task_registry()) out.push_back(entry.name + "  " + entry.summary);
  return out;
}

std::string task_names() {
  std::string out;
  for (const auto& entry : task_registry()) out += (out.empty() ? "" : ", ") + entry.name;
  return out;
}

Config default_config(const std::string& task) {
  Config config;
  const TaskEntry& entry = find_task(task);
  config.task = entry.name;
  entry.set_defaults(config);
  return config;
}

Networks make_networks(const Task& task, const Config& config) {
  Networks out{task.make_generator(), task.make_discriminator(), nullptr};
  if (config.train.ema_decay > 0) {
    const torch::Tensor rng = generator_state(default_generator(torch::kCPU));
    out.ema = task.make_generator();
    set_generator_state(default_generator(torch::kCPU), rng);
  }
  return out;
}

}  // namespace gantrain
