#pragma once
// Registry entries of the built-in tasks; each lives in its own .cpp under src/tasks/.
#include "gantrain/task.h"

namespace gantrain::detail {

TaskEntry even_bits_task();
TaskEntry mnist_task();

}  // namespace gantrain::detail
