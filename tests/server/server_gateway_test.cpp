// The async gateway against the real server: long-poll, Idempotency-Key, cancel, list, SSE
// events, media expiry, a full queue, and recovery after kill -9.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "server_harness.h"

namespace pictor::test {
namespace {

json generation(const std::string& prompt, int steps, int n = 1) {
  return {{"model", "pictor-mini"}, {"input", {{"prompt", prompt}, {"steps", steps}, {"n", n}, {"seed", 1}}}};
}

class Gateway : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = scratch_dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(data_);
  }
  bool start(std::vector<std::string> extra = {}) {
    extra.push_back("--no-auth");
    return server_.start(data_, extra);
  }
  httplib::Result post(const std::string& path, const json& body, httplib::Headers headers = {}) {
    return server_.client().Post(path, headers, body.dump(), "application/json");
  }
  json get_job(const std::string& id, int wait = 0) {
    return body_json(server_.client().Get("/v1/generations/" + id + (wait ? "?wait=" + std::to_string(wait) : "")));
  }
  fs::path data_;
  ServerProcess server_;
};

TEST_F(Gateway, WaitLongPollAndMedia) {
  ASSERT_TRUE(start()) << server_.last_error();
  auto r = post("/v1/generations", generation("a red circle", 2));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->status == 202 || r->status == 200) << r->body;
  json job = body_json(r);
  EXPECT_TRUE(job["id"].get<std::string>().rfind("gen_", 0) == 0);
  job = get_job(job["id"], 60);
  ASSERT_EQ(job["status"], "completed") << job.dump();
  EXPECT_EQ(job["progress"], 1.0);
  EXPECT_GE(job["metrics"]["run_s"].get<double>(), 0.0);
  EXPECT_GT(job["cost"]["usd"].get<double>(), 0.0);
  ASSERT_EQ(job["output"]["media"].size(), 1u);
  const json media = job["output"]["media"][0];
  EXPECT_EQ(media["content_type"], "image/png");
  const std::string path = media["url"].get<std::string>().substr(media["url"].get<std::string>().find("/v1/"));
  auto c = server_.client();
  auto g = c.Get(path);
  ASSERT_EQ(g->status, 200);
  auto img = codecs::decode_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(g->body.data()), g->body.size()));
  ASSERT_TRUE(img.is_ok());
  EXPECT_EQ(img->width, media["width"].get<int>());
  auto h = c.Head(path);
  EXPECT_EQ(h->status, 200);
  // wait in the body returns the finished job at once.
  auto w = post("/v1/generations", {{"input", {{"prompt", "a blue square"}, {"steps", 1}}}, {"wait", 30}});
  EXPECT_EQ(w->status, 200) << w->body;
  EXPECT_EQ(body_json(w)["status"], "completed");
  auto pw = post("/v1/generations", {{"input", {{"prompt", "a blue square"}, {"steps", 1}}}}, {{"Prefer", "wait=30"}});
  EXPECT_EQ(body_json(pw)["status"], "completed");
  // Delete → 410; unknown → 404.
  auto d = c.Delete(path);
  EXPECT_EQ(d->status, 200);
  EXPECT_TRUE(is_error(c.Get(path), 410, "id", "gone"));
  EXPECT_TRUE(is_error(c.Get("/v1/media/media_nope"), 404));
  EXPECT_TRUE(is_error(c.Get("/v1/generations/gen_nope"), 404));
  EXPECT_TRUE(is_error(post("/v1/generations", {{"input", {{"prompt", "x"}}}, {"wait", 61}}), 400, "wait"));
  EXPECT_TRUE(is_error(post("/v1/generations", {{"input", {{"prompt", "x"}, {"n", "3"}}}}), 400, "input.n", "invalid_type"));
  EXPECT_TRUE(is_error(post("/v1/generations", {{"prompt", "x"}}), 400, "prompt"));
  EXPECT_TRUE(is_error(c.Get("/v1/generations?limit=0"), 400, "limit"));
  EXPECT_EQ(server_.stop(SIGTERM), 0);
}

TEST_F(Gateway, IdempotencyKey) {
  ASSERT_TRUE(start()) << server_.last_error();
  const json body = generation("a green star", 1);
  auto a = post("/v1/generations", body, {{"Idempotency-Key", "k1"}});
  auto b = post("/v1/generations", body, {{"Idempotency-Key", "k1"}});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(body_json(a)["id"], body_json(b)["id"]);
  auto c = post("/v1/generations", generation("a pink heart", 1), {{"Idempotency-Key", "k1"}});
  EXPECT_TRUE(is_error(c, 422, "", "idempotency_key_reused"));
  auto d = post("/v1/generations", body, {{"Idempotency-Key", "k2"}});
  EXPECT_NE(body_json(d)["id"], body_json(a)["id"]);
}

TEST_F(Gateway, CancelQueuedAndRunningJobsAndListPages) {
  ASSERT_TRUE(start()) << server_.last_error();
  // One slow job occupies the worker; the others queue behind it.
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(body_json(post("/v1/generations", generation("a cyan ring", 200, 4)))["id"]);
  json queued = get_job(ids[3]);
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_GE(queued["queue_position"].get<int>(), 1);
  auto c = server_.client();
  auto cq = c.Post("/v1/generations/" + ids[3] + "/cancel");
  ASSERT_EQ(cq->status, 200) << cq->body;
  EXPECT_EQ(body_json(cq)["status"], "canceled");
  // The running one stops within a sampler step.
  for (int i = 0; i < 100 && get_job(ids[0])["status"] != "running"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto t0 = std::chrono::steady_clock::now();
  auto cr = c.Post("/v1/generations/" + ids[0] + "/cancel");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(body_json(cr)["status"], "canceled") << cr->body;
  EXPECT_LT(secs, 5.0);
  EXPECT_TRUE(is_error(c.Post("/v1/generations/" + ids[0] + "/cancel"), 409, "", "job_finished"));
  c.Post("/v1/generations/" + ids[1] + "/cancel");
  c.Post("/v1/generations/" + ids[2] + "/cancel");
  // Pages of 2, newest first, no overlaps.
  std::set<std::string> seen;
  std::string after;
  for (int page = 0; page < 3; ++page) {
    auto l = body_json(c.Get("/v1/generations?limit=2" + (after.empty() ? "" : "&after=" + after)));
    for (const auto& j : l["data"]) EXPECT_TRUE(seen.insert(j["id"]).second);
    if (!l["has_more"].get<bool>()) break;
    after = l["last_id"];
  }
  EXPECT_EQ(seen.size(), 4u);
  auto canceled = body_json(c.Get("/v1/generations?status=canceled"));
  EXPECT_EQ(canceled["data"].size(), 4u);
}

TEST_F(Gateway, EventsStreamProgressThenTheFinishedJob) {
  ASSERT_TRUE(start()) << server_.last_error();
  const std::string id = body_json(post("/v1/generations", generation("a red square", 8)))["id"];
  std::string stream;
  auto c = server_.client();
  auto r = c.Get("/v1/generations/" + id + "/events", [&](const char* data, size_t n) {
    stream.append(data, n);
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_NE(stream.find("event: completed"), std::string::npos) << stream;
  const auto last = stream.rfind("data: ");
  json done = json::parse(stream.substr(last + 6, stream.find('\n', last) - last - 6));
  EXPECT_EQ(done["status"], "completed");
}

TEST_F(Gateway, FullQueueAnswers429WithRetryAfter) {
  ASSERT_TRUE(start({"--max-queue", "1"})) << server_.last_error();
  int refused = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = post("/v1/generations", generation("a red circle", 200, 4));
    if (r->status == 429) {
      EXPECT_TRUE(is_error(r, 429, "", "queue_full"));
      EXPECT_TRUE(r->has_header("Retry-After"));
      ++refused;
    }
  }
  EXPECT_GE(refused, 2);
  server_.stop(SIGKILL);
}

TEST_F(Gateway, MediaExpires) {
  ASSERT_TRUE(start({"--media-ttl-hours", "0.0003"})) << server_.last_error();  // about one second
  json job = body_json(post("/v1/generations", {{"input", {{"prompt", "a red circle"}, {"steps", 1}}}, {"wait", 30}}));
  ASSERT_EQ(job["status"], "completed");
  const std::string url = job["output"]["media"][0]["url"];
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(is_error(server_.client().Get(url.substr(url.find("/v1/"))), 410, "id", "gone"));
}

TEST_F(Gateway, NoJobIsLostAcrossKill9) {
  std::vector<std::string> ids;
  for (int cycle = 0; cycle < 3; ++cycle) {
    ASSERT_TRUE(start()) << server_.last_error();
    for (int i = 0; i < 3; ++i) ids.push_back(body_json(post("/v1/generations", generation("a red circle", 40)))["id"]);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server_.stop(SIGKILL);
  }
  ASSERT_TRUE(start()) << server_.last_error();
  for (const auto& id : ids) {
    json j;
    for (int i = 0; i < 10; ++i) {
      j = get_job(id, 60);
      if (j["status"] == "completed" || j["status"] == "failed") break;
    }
    ASSERT_TRUE(j["status"] == "completed" || (j["status"] == "failed" && !j["error"]["message"].get<std::string>().empty()))
        << j.dump();
    if (j["status"] == "completed") {
      const std::string url = j["output"]["media"][0]["url"];
      EXPECT_EQ(server_.client().Get(url.substr(url.find("/v1/")))->status, 200);
    }
  }
  // --no-auth is refused off loopback.
  ServerProcess open_to_all;
  EXPECT_FALSE(open_to_all.start(scratch_dir() / "no-auth-public", {"--no-auth", "--host", "0.0.0.0"}));
  EXPECT_NE(open_to_all.last_error().find("--no-auth is only allowed"), std::string::npos) << open_to_all.last_error();
  // A second server on the same data directory is refused.
  ServerProcess second;
  EXPECT_FALSE(second.start(data_, {"--no-auth"}));
  EXPECT_NE(second.last_error().find("another pictor process"), std::string::npos) << second.last_error();
  EXPECT_EQ(server_.stop(SIGTERM), 0);
}

TEST_F(Gateway, AModelThatCannotLoadStopsStartupWithItsError) {
  // Models load on the first worker thread; its failure must still reach startup, not a job.
  const fs::path broken = scratch_dir() / "broken.safetensors";
  { std::ofstream(broken) << "not a safetensors file"; }
  ServerProcess bad;
  EXPECT_FALSE(bad.start(scratch_dir() / "bad-model", {"--no-auth", "--model", broken.string()}));
  EXPECT_NE(bad.last_error().find("broken.safetensors"), std::string::npos) << bad.last_error();
  // The data directory is not left locked: a good server starts on it.
  ServerProcess good;
  EXPECT_TRUE(good.start(scratch_dir() / "bad-model", {"--no-auth"})) << good.last_error();
  EXPECT_EQ(good.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace pictor::test
