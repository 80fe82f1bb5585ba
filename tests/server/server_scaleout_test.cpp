// Scale-out against real processes (label pg): API nodes (`pictor serve --store postgresql://…
// --workers 0`) and workers (`pictor worker`) on one database in the throwaway cluster of ctest's
// pg fixture. Jobs submitted on one node run on a worker and are read, waited on, streamed and
// cancelled from another; a worker killed mid-generation loses nothing; an API node killed under
// long-polls leaves them to retry elsewhere; PostgreSQL stopped for 10 s gives 503 + Retry-After
// and heals by itself.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <set>

#include "server_harness.h"

namespace pictor::test {
namespace {

std::string read_line(const char* env_name, const std::string& file_in_dir = "") {
  const char* v = std::getenv(env_name);
  if (!v) return "";
  if (file_in_dir.empty()) return v;
  std::ifstream in(std::string(v) + "/" + file_in_dir);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string pg_state_dir() { return read_line("PICTOR_TEST_PG_STATE"); }
std::string admin_url() { return read_line("PICTOR_TEST_PG_STATE", "url"); }

std::string fresh_database() {
  static int n = 0;
  const std::string name = "pictor_so" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  pqxx::connection c(admin_url());
  pqxx::nontransaction t(c);
  t.exec("CREATE DATABASE " + name);
  const std::string a = admin_url();
  return a.substr(0, a.rfind('/') + 1) + name;
}

json slow_generation(const std::string& prompt) {
  // Long enough on the tiny model to be caught mid-run (hundreds of ms on one thread).
  return {{"model", "pictor-mini"}, {"input", {{"prompt", prompt}, {"steps", 200}, {"n", 4}, {"seed", 3}}}};
}
json quick_generation(const std::string& prompt) {
  return {{"model", "pictor-mini"}, {"input", {{"prompt", prompt}, {"steps", 4}, {"n", 1}, {"seed", 1}}}};
}

class ScaleOut : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(admin_url().empty()) << "PICTOR_TEST_PG_STATE names no cluster: run through ctest (pg fixture)";
    url_ = fresh_database();
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  // An API-only node (or one with workers) on the shared store.
  bool start_api(ServerProcess& p, const std::string& tag, int workers = 0, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--store", url_, "--workers", std::to_string(workers), "--no-auth", "--lease-s", "1", "--arena-pool", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const bool ok = p.start(dir(tag), args);
    if (!ok) ADD_FAILURE() << p.last_error();
    return ok;
  }
  bool start_worker(ServerProcess& p, const std::string& tag) {
    const bool ok = p.start_worker(dir(tag), {"--store", url_, "--lease-s", "1", "--shutdown-grace", "1"});
    if (!ok) ADD_FAILURE() << p.last_error();
    return ok;
  }
  fs::path dir(const std::string& tag) {
    fs::path d = scratch_dir() / (name_ + "-" + tag);
    fs::create_directories(d);
    return d;
  }
  static httplib::Result post(const ServerProcess& p, const std::string& path, const json& body) {
    return p.client().Post(path, body.dump(), "application/json");
  }
  static json get_job(const ServerProcess& p, const std::string& id, int wait = 0) {
    return body_json(p.client().Get("/v1/generations/" + id + (wait ? "?wait=" + std::to_string(wait) : "")));
  }
  // Waits (polling the job on `p`) until its status is `want`; false after `seconds`.
  static bool wait_status(const ServerProcess& p, const std::string& id, const std::string& want, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (get_job(p, id)["status"] == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  int64_t sql_count(const std::string& sql) {
    pqxx::connection c(url_);
    pqxx::nontransaction t(c);
    return t.exec1(sql)[0].as<int64_t>();
  }
  std::string sql_text(const std::string& sql) {
    pqxx::connection c(url_);
    pqxx::nontransaction t(c);
    return t.exec1(sql)[0].as<std::string>();
  }

  std::string url_, name_;
};

TEST_F(ScaleOut, AJobSubmittedOnOneNodeRunsOnAWorkerAndIsServedByAnother) {
  ServerProcess a, b, w;
  ASSERT_TRUE(start_api(a, "a"));
  ASSERT_TRUE(start_api(b, "b"));
  // No worker yet: the API-only nodes queue the job and wait.
  auto r = post(a, "/v1/generations", quick_generation("a red circle"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string id = body_json(r)["id"];
  EXPECT_EQ(get_job(b, id, 1)["status"], "queued");
  // Queue positions are the shared queue's, whichever node took the job.
  EXPECT_EQ(get_job(b, id)["queue_position"], 0);
  auto second = post(b, "/v1/generations", quick_generation("a green star"));
  ASSERT_TRUE(second && second->status == 202);
  const std::string id_second = body_json(second)["id"];
  EXPECT_EQ(body_json(second)["queue_position"], 1) << second->body;
  EXPECT_EQ(get_job(a, id_second)["queue_position"], 1);
  ASSERT_EQ(body_json(a.client().Post("/v1/generations/" + id_second + "/cancel"))["status"], "canceled");
  EXPECT_TRUE(get_job(b, id_second)["queue_position"].is_null()) << "canceled, not queued";
  ASSERT_TRUE(start_worker(w, "w"));
  // B long-polls a job A took and W runs; the bytes come from B (media live in the database).
  const auto t0 = std::chrono::steady_clock::now();
  json done = get_job(b, id, 30);
  ASSERT_EQ(done["status"], "completed") << done.dump();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  const std::string url = done["output"]["media"][0]["url"];
  auto img = b.client().Get(url.substr(url.find("/v1/")));
  ASSERT_TRUE(img);
  EXPECT_EQ(img->status, 200);
  EXPECT_EQ(img->body.substr(1, 3), "PNG");
  EXPECT_EQ(get_job(a, id)["status"], "completed");
  EXPECT_EQ(sql_count("SELECT attempts FROM jobs WHERE id = '" + id + "'"), 1);
  // An API-only node is ready without models of its own, and its synchronous endpoint works.
  auto ready = b.client().Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_EQ(body_json(ready)["checks"]["runs_jobs"], false);
  auto sync = post(b, "/v1/images/generations", {{"prompt", "a yellow star"}, {"quality", "low"}});
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->status, 200) << sync->body;
  EXPECT_FALSE(body_json(sync)["data"][0]["b64_json"].get<std::string>().empty());
  // SSE from a node that runs nothing: progress events, then the finished job.
  const std::string id2 = body_json(post(a, "/v1/generations", slow_generation("a blue square")))["id"];
  std::string stream;
  auto c = b.client();
  auto events = c.Get("/v1/generations/" + id2 + "/events", [&](const char* data, size_t n) {
    stream.append(data, n);
    return true;
  });
  ASSERT_TRUE(events);
  EXPECT_NE(stream.find("event: completed"), std::string::npos) << stream;
  EXPECT_NE(stream.find("\"running\""), std::string::npos) << "progress reached the other node: " << stream;
  // Usage written by the worker is read on an API node.
  json usage = body_json(a.client().Get("/v1/usage"));
  int64_t images = 0;
  for (const auto& bucket : usage["data"]) images += bucket["images"].get<int64_t>();
  EXPECT_EQ(images, 6) << usage.dump();
}

TEST_F(ScaleOut, AWorkerKilledMidGenerationLosesNothingTheJobEndsOnAnotherOnce) {
  ServerProcess a, w1, w2;
  ASSERT_TRUE(start_api(a, "a"));
  ASSERT_TRUE(start_worker(w1, "w1"));
  ASSERT_TRUE(start_worker(w2, "w2"));
  const std::string id = body_json(post(a, "/v1/generations", slow_generation("two red circles")))["id"];
  ASSERT_TRUE(wait_status(a, id, "running", 20));
  // Kill whichever worker holds it, mid-generation (the job takes seconds).
  const std::string holder = sql_text("SELECT worker_id FROM jobs WHERE id = '" + id + "'");
  const bool first = holder.find("-" + std::to_string(w1.pid()) + "-") != std::string::npos;
  ServerProcess& victim = first ? w1 : w2;
  ServerProcess& survivor = first ? w2 : w1;
  ASSERT_NE(holder.find("-" + std::to_string(victim.pid()) + "-"), std::string::npos) << holder;
  const pid_t survivor_pid = survivor.pid();
  victim.stop(SIGKILL);
  EXPECT_EQ(get_job(a, id)["status"], "running") << "killed before it finished";
  json done = get_job(a, id, 60);
  ASSERT_EQ(done["status"], "completed") << done.dump();
  EXPECT_EQ(sql_count("SELECT attempts FROM jobs WHERE id = '" + id + "'"), 2);
  const std::string finisher = sql_text("SELECT worker_id FROM jobs WHERE id = '" + id + "'");
  EXPECT_NE(finisher.find("-" + std::to_string(survivor_pid) + "-"), std::string::npos) << finisher;
  // Stored once: exactly the job's four outputs, one usage row.
  EXPECT_EQ(sql_count("SELECT count(*) FROM media WHERE job_id = '" + id + "'"), 4);
  EXPECT_EQ(done["output"]["media"].size(), 4u);
  EXPECT_EQ(sql_count("SELECT count(*) FROM usage WHERE job_id = '" + id + "'"), 1);
}

TEST_F(ScaleOut, LongPollsOnAKilledApiNodeSucceedWhenRetriedOnAnother) {
  ServerProcess a, b, w;
  ASSERT_TRUE(start_api(a, "a"));
  ASSERT_TRUE(start_api(b, "b"));
  ASSERT_TRUE(start_worker(w, "w"));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(body_json(post(a, "/v1/generations", slow_generation("a green ring")))["id"]);
  std::atomic<int> broken{0};
  std::vector<std::thread> polls;
  for (const auto& id : ids)
    polls.emplace_back([&, id] {
      auto r = a.client().Get("/v1/generations/" + id + "?wait=60");
      if (!r) ++broken;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  a.stop(SIGKILL);
  for (auto& t : polls) t.join();
  EXPECT_EQ(broken.load(), 3) << "the long-polls were cut by the kill";
  for (const auto& id : ids) {
    json j = json::object();
    for (int i = 0; i < 5 && j.value("status", "") != "completed"; ++i) j = get_job(b, id, 30);
    EXPECT_EQ(j["status"], "completed") << j.dump();
  }
}

TEST_F(ScaleOut, CancelOnOneNodeStopsTheJobItsWorkerRuns) {
  ServerProcess a, b, w;
  ASSERT_TRUE(start_api(a, "a"));
  ASSERT_TRUE(start_api(b, "b"));
  ASSERT_TRUE(start_worker(w, "w"));
  const std::string running = body_json(post(a, "/v1/generations", slow_generation("a cyan ring")))["id"];
  const std::string queued = body_json(post(a, "/v1/generations", slow_generation("a pink star")))["id"];
  ASSERT_TRUE(wait_status(b, running, "running", 20));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = b.client().Post("/v1/generations/" + running + "/cancel");
  ASSERT_TRUE(r);
  EXPECT_EQ(body_json(r)["status"], "canceled") << r->body;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  auto q = b.client().Post("/v1/generations/" + queued + "/cancel");
  ASSERT_TRUE(q);
  const json qj = body_json(q);
  // It may have started on the worker by now; either way it ends canceled.
  EXPECT_EQ(qj["status"], "canceled") << q->body;
  EXPECT_EQ(get_job(a, queued)["status"], "canceled");
  EXPECT_TRUE(is_error(a.client().Post("/v1/generations/" + running + "/cancel"), 409, "", "job_finished"));
}

TEST_F(ScaleOut, PostgresDownTenSecondsAnswers503WithRetryAfterThenHeals) {
  ServerProcess a, w;
  ASSERT_TRUE(start_api(a, "a"));
  ASSERT_TRUE(start_worker(w, "w"));
  ASSERT_EQ(get_job(a, body_json(post(a, "/v1/generations", quick_generation("a red circle")))["id"], 30)["status"],
            "completed");
  ASSERT_EQ(std::system(("bash " PICTOR_SOURCE_DIR "/scripts/pg-cluster.sh pause " + pg_state_dir()).c_str()), 0);
  const auto down_at = std::chrono::steady_clock::now();
  int answered_503 = 0;
  while (std::chrono::steady_clock::now() - down_at < std::chrono::seconds(10)) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = post(a, "/v1/generations", quick_generation("a blue square"));
    ASSERT_TRUE(r) << "the API node must answer while the database is down";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8)) << "answered within its timeout";
    EXPECT_TRUE(is_error(r, 503, "", "unavailable"));
    EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    ++answered_503;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_GE(answered_503, 5);
  ASSERT_EQ(std::system(("bash " PICTOR_SOURCE_DIR "/scripts/pg-cluster.sh resume " + pg_state_dir()).c_str()), 0);
  // Both processes heal by themselves: a new job runs on the same worker.
  std::string id;
  const auto up_at = std::chrono::steady_clock::now();
  while (id.empty() && std::chrono::steady_clock::now() - up_at < std::chrono::seconds(20)) {
    auto r = post(a, "/v1/generations", quick_generation("a yellow triangle"));
    if (r && r->status == 202) id = body_json(r)["id"];
    else std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(id.empty()) << "the API node did not recover within 20 s";
  EXPECT_EQ(get_job(a, id, 30)["status"], "completed");
  EXPECT_EQ(a.stop(SIGTERM), 0);
  EXPECT_EQ(w.stop(SIGTERM), 0);
}

TEST_F(ScaleOut, KeysOnTheSharedStoreWorkOnEveryNodeAndBadFlagsAreRefused) {
  auto [code, key] = run_pictor("keys create --name ops --store " + url_);
  ASSERT_EQ(code, 0);
  while (!key.empty() && key.back() == '\n') key.pop_back();
  ServerProcess a, b;
  ASSERT_TRUE(a.start(dir("a"), {"--store", url_, "--workers", "0"}));
  ASSERT_TRUE(b.start(dir("b"), {"--store", url_, "--workers", "0"}));
  EXPECT_EQ(a.client(key).Get("/v1/generations")->status, 200);
  EXPECT_EQ(b.client(key).Get("/v1/generations")->status, 200);
  EXPECT_EQ(b.client("pk-wrong").Get("/v1/generations")->status, 401);
  // --workers 0 and `pictor worker` need a shared store; an unreachable one is a clear error.
  ServerProcess bad;
  EXPECT_FALSE(bad.start(dir("bad"), {"--workers", "0", "--no-auth"}));
  EXPECT_NE(bad.last_error().find("needs a shared store"), std::string::npos) << bad.last_error();
  auto [wcode, wout] = run_pictor("worker --store postgresql://pictor@127.0.0.1:1/nowhere --data-dir " + dir("w").string());
  EXPECT_NE(wcode, 0);
  auto [ncode, nout] = run_pictor("worker");
  EXPECT_EQ(ncode, 2) << "--store is required";
}

TEST_F(ScaleOut, ArenaVotesTakenOnOneNodeReachAnotherNodesLeaderboard) {
  auto [code, key] = run_pictor("keys create --name voter --store " + url_);
  ASSERT_EQ(code, 0);
  while (!key.empty() && key.back() == '\n') key.pop_back();
  ServerProcess a, b, w;
  const std::vector<std::string> arena = {"--store", url_, "--workers", "0", "--arena-pool", "0", "--arena-min-vote-ms", "300"};
  ASSERT_TRUE(a.start(dir("a"), arena)) << a.last_error();
  ASSERT_TRUE(b.start(dir("b"), arena)) << b.last_error();
  ASSERT_TRUE(start_worker(w, "w"));
  const httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  for (int i = 0; i < 4; ++i) {
    auto r = a.client().Post("/v1/arena/battles", auth, json{{"prompt", "a green heart"}, {"contestants", 2}}.dump(),
                             "application/json");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no response");
    const std::string id = body_json(r)["id"];
    // Shown on B (the battle and its images are in the database), voted on A.
    auto shown = b.client().Get("/v1/arena/battles/" + id + "?wait=60", auth);
    ASSERT_TRUE(shown && shown->status == 200) << (shown ? shown->body : "no response");
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    auto v = a.client().Post("/v1/arena/battles/" + id + "/vote", auth, json{{"winner", "a"}}.dump(), "application/json");
    ASSERT_TRUE(v && v->status == 200) << (v ? v->body : "no response");
    EXPECT_EQ(body_json(v)["vote"]["counted"], true) << v->body;
  }
  // B took no vote itself; its boards catch up from the store within a few seconds.
  int votes_on_b = 0;
  for (int i = 0; i < 50 && votes_on_b < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    json lb = body_json(b.client().Get("/v1/arena/leaderboard?arena=text-to-image"));
    votes_on_b = 0;
    for (const auto& row : lb["data"]) votes_on_b = std::max(votes_on_b, row["votes"].get<int>());
  }
  EXPECT_EQ(votes_on_b, 4);
  json la = body_json(a.client().Get("/v1/arena/leaderboard?arena=text-to-image"));
  json lb = body_json(b.client().Get("/v1/arena/leaderboard?arena=text-to-image"));
  ASSERT_EQ(la["data"].size(), lb["data"].size());
  for (size_t i = 0; i < la["data"].size(); ++i) {
    EXPECT_EQ(la["data"][i]["model"], lb["data"][i]["model"]);
    EXPECT_NEAR(la["data"][i]["mu"].get<double>(), lb["data"][i]["mu"].get<double>(), 1e-9);
  }
}

}  // namespace
}  // namespace pictor::test
