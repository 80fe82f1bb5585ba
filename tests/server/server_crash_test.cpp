// SQLite under kill -9: 20 cycles of a real `pictor serve` killed while clients write (jobs, media,
// usage, finished jobs), each followed by PRAGMA integrity_check on the file, then a restart that
// must account for every job it accepted (completed or failed with a reason, never lost).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>

#include "server_harness.h"

namespace pictor::test {
namespace {

std::string integrity(const fs::path& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return "cannot open";
  }
  std::string out;
  sqlite3_exec(
      h, "PRAGMA integrity_check",
      [](void* o, int, char** v, char**) {
        *static_cast<std::string*>(o) += v[0] ? v[0] : "";
        return 0;
      },
      &out, nullptr);
  sqlite3_close(h);
  return out;
}

TEST(SqliteCrash, Kill9DuringWritesNeverCorruptsTheDatabaseOrLosesAJob) {
  const fs::path data = scratch_dir() / "kill9-writes";
  fs::create_directories(data);
  std::mt19937 rng(7);
  std::set<std::string> accepted;
  constexpr int kCycles = 20;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    ServerProcess server;
    ASSERT_TRUE(server.start(data, {"--no-auth", "--arena-pool", "0", "--max-queue", "1000"})) << server.last_error();
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c)
      clients.emplace_back([&, c] {
        auto cl = server.client();
        cl.set_read_timeout(5, 0);
        // A few jobs per client and cycle (they all run by the end), then reads until the kill;
        // the server meanwhile writes: job updates, media, usage, recovery of the last cycle's queue.
        for (int i = 0; !stop && i < 4; ++i) {
          const json body = {{"model", "pictor-mini"},
                             {"input", {{"prompt", "a red circle"}, {"steps", 2 + (i % 6)}, {"n", 1 + (c % 2)}, {"seed", i}}}};
          auto r = cl.Post("/v1/generations", body.dump(), "application/json");
          if (!r) return;  // killed
          if (r->status == 202) {
            std::lock_guard lock(mu);
            accepted.insert(json::parse(r->body)["id"].get<std::string>());
          }
        }
        while (!stop && cl.Get("/v1/generations?limit=5")) {
        }
      });
    // Kill once this cycle's jobs are in (and running): writes are then in flight.
    size_t before = 0;
    {
      std::lock_guard lock(mu);
      before = accepted.size();
    }
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mu);
        if (accepted.size() >= before + 6) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 200));
    server.stop(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
    const std::string check = integrity(data / "pictor.db");
    ASSERT_EQ(check, "ok") << "cycle " << cycle;
  }
  ASSERT_GT(accepted.size(), size_t(kCycles));
  // The last restart finishes what the kills left: every accepted job ends, none is missing.
  ServerProcess server;
  ASSERT_TRUE(server.start(data, {"--no-auth", "--arena-pool", "0", "--max-queue", "100000"})) << server.last_error();
  int completed = 0, failed = 0;
  for (const auto& id : accepted) {
    json j;
    for (int i = 0; i < 20; ++i) {
      j = body_json(server.client().Get("/v1/generations/" + id + "?wait=60"));
      if (j.value("status", "") == "completed" || j.value("status", "") == "failed") break;
    }
    ASSERT_TRUE(j.is_object()) << id;
    const std::string status = j.value("status", "");
    if (status == "completed") ++completed;
    else if (status == "failed") {
      ++failed;
      EXPECT_EQ(j["error"]["code"], "interrupted") << j.dump();
    } else {
      ADD_FAILURE() << id << " is " << status;
    }
  }
  EXPECT_EQ(completed + failed, int(accepted.size()));
  EXPECT_EQ(integrity(data / "pictor.db"), "ok");
  RecordProperty("accepted_jobs", int(accepted.size()));
  std::printf("kill -9 cycles: %d, accepted jobs: %zu, completed %d, failed (interrupted 3 times) %d\n", kCycles,
              accepted.size(), completed, failed);
}

}  // namespace
}  // namespace pictor::test
