// The data-parallel room (src/distributed/): ranks are threads of this test, each joining one Gloo group
// on the loopback, so every collective and failure path runs for real.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "distributed/c10d.h"
#include "gantrain/distributed/gradient_sync.h"
#include "gantrain/optim/flat_adam.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "expect_throw.h"

using namespace gantrain;
using namespace std::chrono_literals;

namespace {

// A listening socket on a free loopback port (a port in use, while it lives).
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(fd, 1);
    socklen_t size = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }
  ~Listener() { close(fd); }
};

int free_port() { return Listener().port; }

distributed::WorkerEnv rank_env(int64_t rank, int64_t world, int port) {
  distributed::WorkerEnv env;
  env.rank = rank;
  env.world_size = world;
  env.local_rank = rank;
  env.master_addr = "127.0.0.1";
  env.master_port = port;
  return env;
}

// Runs `body` on `world` ranks (threads) of one Gloo group; returns each rank's error ("" if none).
std::vector<std::string> run_ranks(int64_t world,
                                   const std::function<void(distributed::ProcessGroup&)>& body,
                                   int port = free_port()) {
  std::vector<std::string> errors(world);
  std::vector<std::thread> ranks;
  for (int64_t r = 0; r < world; ++r)
    ranks.emplace_back([&, r] {
      try {
        auto group = distributed::ProcessGroup::join(rank_env(r, world, port), DistBackend::kGloo, torch::kCPU, 20s);
        body(*group);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : ranks) t.join();
  return errors;
}

TEST(ProcessGroupTest, AllReduceSumsAndAllGatherStacksInRankOrder) {
  auto errors = run_ranks(3, [](distributed::ProcessGroup& group) {
    torch::Tensor t = torch::full({4}, static_cast<float>(group.rank() + 1));
    group.all_reduce_sum(t);
    EXPECT_TRUE(torch::equal(t, torch::full({4}, 6.0f)));
    torch::Tensor all = group.all_gather(torch::tensor({group.rank() * 10}, torch::kLong));
    EXPECT_TRUE(torch::equal(all, torch::tensor({0, 10, 20}, torch::kLong).view({3, 1})));
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

TEST(ProcessGroupTest, GradientSyncAveragesTheFlatGradientsAndTheValuesRidingAlong) {
  auto errors = run_ranks(2, [](distributed::ProcessGroup& group) {
    torch::Tensor w = torch::zeros({2, 3}, torch::requires_grad());
    torch::Tensor b = torch::zeros({2}, torch::requires_grad());
    FlatAdam optimizer({w, b}, AdamHyper{}, /*spare=*/3);
    const float r = static_cast<float>(group.rank());
    w.grad().fill_(1.0f + r);                            // 1 and 2: mean 1.5
    b.grad().copy_(torch::tensor({r, -r}));              // 0 and 1: mean 0.5
    distributed::GradientSync sync(group, {{"generator", optimizer.params(), optimizer.gradient_buffer()}});
    torch::Tensor mean = sync.average(0, torch::tensor({4.0f * r, 1.0f}));
    EXPECT_TRUE(torch::equal(w.grad(), torch::full({2, 3}, 1.5f)));
    EXPECT_TRUE(torch::equal(b.grad(), torch::tensor({0.5f, -0.5f})));
    EXPECT_TRUE(torch::equal(mean, torch::tensor({2.0f, 1.0f})));
    // Reduced where backward wrote them: the gradients are still views of the one buffer.
    EXPECT_EQ(w.grad().data_ptr(), optimizer.gradient_buffer().data_ptr());
    optimizer.zero_grad();
    w.grad().fill_(3.0f);
    sync.average(0, torch::tensor({0.0f, 0.0f, 0.0f}));
    EXPECT_TRUE(torch::equal(w.grad(), torch::full({2, 3}, 3.0f)));
    EXPECT_THROW_MSG(sync.average(0, torch::zeros({4})), c10::Error,
                     "4 values do not fit the gradient buffer's 3 spare slots");
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

TEST(ProcessGroupTest, ReplicaCheckPassesForEqualWeightsAndNamesTheRankThatDiffers) {
  auto errors = run_ranks(2, [](distributed::ProcessGroup& group) {
    torch::Tensor g = torch::linspace(-1, 1, 50);
    torch::Tensor d = torch::linspace(0, 2, 30);
    distributed::GradientSync sync(group, {{"generator", {g}, {}}, {"discriminator", {d}, {}}});
    sync.check_replicas(10);  // equal: no error
    // One bit of one weight on rank 1: the check must see it.
    if (group.rank() == 1) d[7] = std::nextafter(d[7].item<float>(), 10.0f);
    sync.check_replicas(20);
  });
  for (const auto& e : errors) {
    EXPECT_NE(e.find("step 20: rank 1's discriminator's weights differ from rank 0's"),
              std::string::npos) << e;
  }
}

TEST(ProcessGroupTest, ASurvivorNamesTheLostRankAndTheErrorItLeft) {
  auto errors = run_ranks(2, [](distributed::ProcessGroup& group) {
    if (group.rank() == 1) {
      group.publish_error("disk full");
      return;  // leaves the group: its connections close
    }
    torch::Tensor t = torch::ones({3});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW_MSG(group.all_reduce_sum(t), distributed::LostRank,
                     "lost rank 1, which stopped with: disk full during an all-reduce");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  });
  EXPECT_EQ(errors[0], "");
}

TEST(ProcessGroupTest, ASurvivorStopsWithinSecondsOnTheLaunchersNoteOfAnExitGlooMissed) {
  // Rank 1 stays connected but never joins the all-reduce, as a killed peer looks to Gloo when
  // it misses the death; the launcher's note in the store is how rank 0 learns of it.
  const int port = free_port();
  std::atomic<bool> survivor_stopped{false};
  auto errors = run_ranks(2, [&](distributed::ProcessGroup& group) {
    if (group.rank() == 1) {
      c10d::TCPStoreOptions options;
      options.port = static_cast<uint16_t>(port);
      auto launcher = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", options);
      distributed::note_worker_exit(distributed::attempt_store(launcher, 0), 1,
                                    "was killed by signal Killed");
      while (!survivor_stopped) std::this_thread::sleep_for(10ms);
      return;
    }
    torch::Tensor t = torch::ones({3});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW_MSG(group.all_reduce_sum(t), distributed::LostRank,
                     "lost rank 1 (it was killed by signal Killed) during an all-reduce");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // the timeout is 20 s
    survivor_stopped = true;
  }, port);
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
}

TEST(ProcessGroupTest, ARankThatNeverComesFailsTheRendezvousWithinTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW_MSG(distributed::ProcessGroup::join(rank_env(0, 2, free_port()), DistBackend::kGloo, torch::kCPU, 2s),
                   Error, "the gloo rendezvous of 2 ranks at 127.0.0.1:");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST(ProcessGroupTest, APortInUseIsAClearError) {
  Listener taken;
  EXPECT_THROW_MSG(distributed::ProcessGroup::join(rank_env(0, 2, taken.port), DistBackend::kGloo, torch::kCPU, 2s),
                   Error, "rank 0 cannot host the rendezvous store on 127.0.0.1:");
}

TEST(ProcessGroupTest, AnUnreachableStoreIsAClearErrorWithinTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW_MSG(distributed::ProcessGroup::join(rank_env(1, 2, free_port()), DistBackend::kGloo, torch::kCPU, 2s),
                   Error, "rank 1 cannot reach the rendezvous store at 127.0.0.1:");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// Sets environment variables for one test and removes them after.
struct Environment {
  std::vector<std::string> names;
  void set(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    names.push_back(name);
  }
  ~Environment() {
    for (const auto& n : names) unsetenv(n.c_str());
  }
};

TEST(WorkerEnvTest, ReadsWhatTorchrunSets) {
  EXPECT_FALSE(distributed::worker_env_from_environment().has_value());
  Environment env;
  env.set("RANK", "3");
  env.set("WORLD_SIZE", "4");
  env.set("LOCAL_RANK", "1");
  env.set("MASTER_ADDR", "node0");
  env.set("MASTER_PORT", "29500");
  env.set("TORCHELASTIC_USE_AGENT_STORE", "True");
  env.set("TORCHELASTIC_RESTART_COUNT", "2");
  auto worker = distributed::worker_env_from_environment();
  ASSERT_TRUE(worker.has_value());
  EXPECT_EQ(worker->rank, 3);
  EXPECT_EQ(worker->world_size, 4);
  EXPECT_EQ(worker->local_rank, 1);
  EXPECT_EQ(worker->master_addr, "node0");
  EXPECT_EQ(worker->master_port, 29500);
  EXPECT_TRUE(worker->agent_store);
  EXPECT_EQ(worker->restart_count, 2);
}

TEST(WorkerEnvTest, NamesAMissingOrMalformedVariable) {
  Environment env;
  env.set("RANK", "0");
  EXPECT_THROW_MSG(distributed::worker_env_from_environment(), ConfigError,
                   "environment RANK is set but WORLD_SIZE is not");
  env.set("WORLD_SIZE", "2");
  EXPECT_THROW_MSG(distributed::worker_env_from_environment(), ConfigError,
                   "environment MASTER_ADDR is not set");
  env.set("MASTER_ADDR", "127.0.0.1");
  env.set("MASTER_PORT", "http");
  EXPECT_THROW_MSG(distributed::worker_env_from_environment(), ConfigError,
                   "environment MASTER_PORT='http': expected an integer in [1, 65535]");
  env.set("MASTER_PORT", "29500");
  env.set("RANK", "2");
  EXPECT_THROW_MSG(distributed::worker_env_from_environment(), ConfigError,
                   "environment RANK='2': expected an integer in [0, 1]");
}

}  // namespace
