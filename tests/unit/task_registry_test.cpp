// The task registry's parse of eval.metrics into a task's metric groups.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "expect_throw.h"
#include "gantrain/commands.h"
#include "gantrain/error.h"
#include "gantrain/task.h"

namespace gantrain {
namespace {

using Groups = std::vector<std::string>;

// The even-bits task: groups even, modes and kl.
std::unique_ptr<Task> even_bits() { return find_task("even-bits").create(default_config("even-bits")); }

TEST(EvalGroupsTest, AllOrNothingNamesEveryGroup) {
  const auto task = even_bits();
  EXPECT_EQ(parse_eval_groups(*task, "all"), (Groups{"even", "modes", "kl"}));
  EXPECT_EQ(parse_eval_groups(*task, ""), (Groups{"even", "modes", "kl"}));
}

TEST(EvalGroupsTest, ASubsetInItsOwnOrderWithSpacesAndDuplicatesDropped) {
  const auto task = even_bits();
  EXPECT_EQ(parse_eval_groups(*task, "kl"), (Groups{"kl"}));
  EXPECT_EQ(parse_eval_groups(*task, "kl,even"), (Groups{"kl", "even"}));
  EXPECT_EQ(parse_eval_groups(*task, " even , kl,even,  kl "), (Groups{"even", "kl"}));
}

TEST(EvalGroupsTest, AnUnknownGroupIsAConfigErrorListingTheValidOnes) {
  const auto task = even_bits();
  EXPECT_THROW_MSG(parse_eval_groups(*task, "even, fid"), ConfigError,
                   "eval.metrics = 'even, fid': unknown metric group 'fid' (expected all or some "
                   "of: even, modes, kl)");
  EXPECT_THROW_MSG(parse_eval_groups(*task, "all,kl"), ConfigError, "unknown metric group 'all'");
  EXPECT_THROW_MSG(parse_eval_groups(*task, "even,,kl"), ConfigError, "unknown metric group ''");
}

}  // namespace
}  // namespace gantrain
