// Webhooks against the real `pictor serve` and a receiver on loopback: a job's end is POSTed,
// signed in the Standard Webhooks scheme, retried with backoff until a 2xx (the tries are shown on
// the job), filtered by event, kept across a kill -9, given up after the configured time; bad
// webhook requests get a 400 naming the param and create no job.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <deque>
#include <mutex>

#include "gateway/webhook_signature.h"
#include "server_harness.h"

namespace pictor::test {
namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// An HTTP receiver on a loopback port that records every POST and answers from a script
// (then with `otherwise`).
class Receiver {
 public:
  struct Hit {
    std::string id, timestamp, signature, body;
  };
  explicit Receiver(int port = 0) {
    svr_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      hits_.push_back({req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
                       req.get_header_value("webhook-signature"), req.body});
      int status = otherwise_;
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      res.status = status;
      cv_.notify_all();
    });
    port_ = port ? (svr_.bind_to_port("127.0.0.1", port) ? port : -1) : svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    svr_.stop();
    thread_.join();
  }
  void answer(std::deque<int> script, int otherwise) {
    std::lock_guard lock(mu_);
    script_ = std::move(script);
    otherwise_ = otherwise;
  }
  // Waits until `n` hits arrived (or the timeout); returns them.
  std::vector<Hit> wait_for(size_t n, std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return hits_.size() >= n; });
    return hits_;
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Hit> hits_;
  std::deque<int> script_;
  int otherwise_ = 204;
};

// A loopback port nothing listens on (bound, then released).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

class Webhooks : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("PICTOR_WEBHOOK_SECRET", kSecret, 1);
    data_ = scratch_dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(data_);
  }
  bool start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--no-auth", "--webhook-allow", "127.0.0.1", "--webhook-retry-s", "0.2"};
    args.insert(args.end(), extra.begin(), extra.end());
    const bool ok = server_.start(data_, args);
    if (!ok) ADD_FAILURE() << server_.last_error();
    return ok;
  }
  json submit(const json& webhook, const std::string& wait = "auto") {
    json body = {{"model", "pictor-mini"},
                 {"input", {{"prompt", "a red circle"}, {"quality", "low"}, {"size", "64x64"}, {"seed", 3}}},
                 {"webhook", webhook}};
    if (!wait.empty()) body["wait"] = wait;
    auto c = server_.client();
    auto r = c.Post("/v1/generations", body.dump(), "application/json");
    EXPECT_TRUE(r && (r->status == 200 || r->status == 202)) << (r ? r->body : httplib::to_string(r.error()));
    return body_json(r);
  }
  // Polls the job until its webhook delivery reaches `status` (or the timeout).
  json job_when_delivery(const std::string& id, const std::string& status, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json job;
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = server_.client();
      job = body_json(c.Get("/v1/generations/" + id + "?wait=30"));
      if (job.contains("webhook") && !job["webhook"]["deliveries"].empty() &&
          job["webhook"]["deliveries"][0]["status"] == status)
        return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return job;
  }

  fs::path data_;
  ServerProcess server_;
};

TEST_F(Webhooks, DeliversASignedEventAndRetriesUntilTheReceiverAnswers) {
  Receiver rx;
  rx.answer({500, 503}, 204);
  ASSERT_TRUE(start());
  const json job = submit({{"url", rx.url()}});
  ASSERT_EQ(job["status"], "completed") << job.dump();
  const std::string id = job["id"];

  const auto hits = rx.wait_for(3, std::chrono::seconds(30));
  ASSERT_EQ(hits.size(), 3u) << "two failures, then the 2xx";
  for (const auto& h : hits) {
    EXPECT_EQ(h.id, hits[0].id) << "one delivery id on every try (receivers dedupe on it)";
    EXPECT_EQ(h.body, hits[0].body) << "the same body on every try";
    auto expected = gateway::webhook_signature(kSecret, h.id, std::stoll(h.timestamp), h.body);
    ASSERT_TRUE(expected.is_ok());
    EXPECT_EQ(h.signature, *expected) << "signed over id.timestamp.body with the server's secret";
    EXPECT_NEAR(double(std::stoll(h.timestamp)), double(std::time(nullptr)), 60);
  }
  const json event = json::parse(hits[0].body);
  EXPECT_EQ(event["type"], "generation.completed");
  EXPECT_EQ(event["id"], hits[0].id);
  EXPECT_EQ(event["data"]["id"], id);
  EXPECT_EQ(event["data"]["status"], "completed");
  ASSERT_EQ(event["data"]["output"]["media"].size(), 1u);
  const std::string media_url = event["data"]["output"]["media"][0]["url"];
  EXPECT_EQ(media_url.rfind("http://127.0.0.1:" + std::to_string(server_.port()) + "/v1/media/", 0), 0u) << media_url;

  const json shown = job_when_delivery(id, "delivered", std::chrono::seconds(10));
  ASSERT_TRUE(shown.contains("webhook")) << shown.dump();
  EXPECT_EQ(shown["webhook"]["url"], rx.url());
  const json& d = shown["webhook"]["deliveries"][0];
  EXPECT_EQ(d["status"], "delivered");
  EXPECT_EQ(d["event"], "generation.completed");
  EXPECT_EQ(d["id"], hits[0].id);
  ASSERT_EQ(d["attempts"].size(), 3u);
  EXPECT_EQ(d["attempts"][0]["status_code"], 500);
  EXPECT_EQ(d["attempts"][1]["status_code"], 503);
  EXPECT_EQ(d["attempts"][2]["status_code"], 204);
  EXPECT_TRUE(d["next_attempt_at"].is_null());
  // The backoff grows: the second retry waited longer than the first (0.2 s, then 0.4 s, ±20 %).
  const double gap1 = d["attempts"][1]["at"].get<double>() - d["attempts"][0]["at"].get<double>();
  const double gap2 = d["attempts"][2]["at"].get<double>() - d["attempts"][1]["at"].get<double>();
  EXPECT_GE(gap1, 0.15);
  EXPECT_GE(gap2, 0.3);

  auto c = server_.client();
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("pictor_webhook_deliveries_total{outcome=\"delivered\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("pictor_webhook_attempts_total 3"), std::string::npos);
}

TEST_F(Webhooks, OnlyTheAskedEventsAreSentAndCancelsToo) {
  Receiver rx;
  ASSERT_TRUE(start());
  // Asked for failures only: a completed job sends nothing.
  const json done = submit({{"url", rx.url()}, {"events", {"generation.failed"}}});
  ASSERT_EQ(done["status"], "completed");
  // A job cancelled while queued (behind a slow one) sends generation.canceled.
  json slow = {{"model", "pictor-mini"}, {"input", {{"prompt", "a blue square"}, {"n", 4}, {"quality", "high"}}}};
  auto c = server_.client();
  ASSERT_EQ(c.Post("/v1/generations", slow.dump(), "application/json")->status, 202);
  const json queued = submit({{"url", rx.url()}, {"events", {"generation.canceled", "generation.completed"}}}, "");
  const std::string id = queued["id"];
  auto cancel = c.Post("/v1/generations/" + id + "/cancel", "", "application/json");
  ASSERT_TRUE(cancel);
  const auto hits = rx.wait_for(1, std::chrono::seconds(30));
  ASSERT_EQ(hits.size(), 1u);
  const json event = json::parse(hits[0].body);
  EXPECT_EQ(event["type"], "generation.canceled");
  EXPECT_EQ(event["data"]["id"], id);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(rx.wait_for(2, std::chrono::seconds(0)).size(), 1u) << "the completed job sent nothing";
  const json not_asked = body_json(c.Get("/v1/generations/" + done["id"].get<std::string>()));
  EXPECT_TRUE(not_asked["webhook"]["deliveries"].empty()) << not_asked.dump();
}

TEST_F(Webhooks, APendingDeliverySurvivesAKillAndIsSentAfterTheRestart) {
  const int port = free_port();
  ASSERT_GT(port, 0);
  ASSERT_TRUE(start());
  const json job = submit({{"url", "http://127.0.0.1:" + std::to_string(port) + "/hook"}});
  ASSERT_EQ(job["status"], "completed");
  const std::string id = job["id"];
  // Nobody listens: the first try fails with no answer and the delivery stays pending.
  json shown;
  for (int i = 0; i < 100; ++i) {
    shown = body_json(server_.client().Get("/v1/generations/" + id));
    if (!shown["webhook"]["deliveries"].empty() && !shown["webhook"]["deliveries"][0]["attempts"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const json& d = shown["webhook"]["deliveries"][0];
  ASSERT_FALSE(d["attempts"].empty()) << shown.dump();
  EXPECT_EQ(d["status"], "pending");
  EXPECT_TRUE(d["attempts"][0]["status_code"].is_null());
  EXPECT_FALSE(d["attempts"][0]["error"].get<std::string>().empty());
  EXPECT_TRUE(d["next_attempt_at"].is_number());

  server_.kill_now(SIGKILL);
  Receiver rx(port);
  ASSERT_EQ(rx.port(), port);
  ASSERT_TRUE(start());
  const auto hits = rx.wait_for(1, std::chrono::seconds(60));
  ASSERT_EQ(hits.size(), 1u) << "sent by the restarted server";
  EXPECT_EQ(json::parse(hits[0].body)["data"]["id"], id);
  const json after = job_when_delivery(id, "delivered", std::chrono::seconds(10));
  EXPECT_EQ(after["webhook"]["deliveries"][0]["status"], "delivered") << after.dump();
}

TEST_F(Webhooks, GivesUpAfterTheConfiguredTime) {
  Receiver rx;
  rx.answer({}, 500);
  ASSERT_TRUE(start({"--webhook-give-up-h", "0.0005"}));  // 1.8 s
  const json job = submit({{"url", rx.url()}});
  const json shown = job_when_delivery(job["id"], "failed", std::chrono::seconds(30));
  const json& d = shown["webhook"]["deliveries"][0];
  ASSERT_EQ(d["status"], "failed") << shown.dump();
  EXPECT_GE(d["attempts"].size(), 2u);
  EXPECT_FALSE(d["finished_at"].is_null());
  const size_t tries = rx.wait_for(100, std::chrono::seconds(0)).size();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(rx.wait_for(100, std::chrono::seconds(0)).size(), tries) << "no try after giving up";
}

TEST_F(Webhooks, BadWebhooksAreRefusedAndCreateNoJob) {
  ASSERT_TRUE(start());
  auto c = server_.client();
  auto post = [&](const json& webhook) {
    json body = {{"model", "pictor-mini"}, {"input", {{"prompt", "a red circle"}, {"quality", "low"}}}, {"webhook", webhook}};
    return c.Post("/v1/generations", body.dump(), "application/json");
  };
  EXPECT_TRUE(is_error(post("http://127.0.0.1/hook"), 400, "webhook", "invalid_type"));
  EXPECT_TRUE(is_error(post(json::object()), 400, "webhook.url"));
  EXPECT_TRUE(is_error(post({{"url", 5}}), 400, "webhook.url", "invalid_type"));
  EXPECT_TRUE(is_error(post({{"url", "http://example.com/hook"}}), 400, "webhook.url"));   // not on the allow-list
  EXPECT_TRUE(is_error(post({{"url", "file:///etc/passwd"}}), 400, "webhook.url"));
  EXPECT_TRUE(is_error(post({{"url", "http://127.0.0.1/hook"}, {"events", {"generation.done"}}}), 400, "webhook.events"));
  EXPECT_TRUE(is_error(post({{"url", "http://127.0.0.1/hook"}, {"events", json::array()}}), 400, "webhook.events"));
  EXPECT_TRUE(is_error(post({{"url", "http://127.0.0.1/hook"}, {"secret", "x"}}), 400, "webhook.secret", "invalid_input"));
  const json list = body_json(c.Get("/v1/generations"));
  EXPECT_TRUE(list["data"].empty()) << list.dump();

  // A server without --webhook-allow says how to turn webhooks on.
  server_.stop();
  ServerProcess plain;
  ASSERT_TRUE(plain.start(data_, {"--no-auth"})) << plain.last_error();
  auto pc = plain.client();
  json body = {{"model", "pictor-mini"}, {"input", {{"prompt", "a red circle"}}}, {"webhook", {{"url", "http://127.0.0.1/h"}}}};
  auto r = pc.Post("/v1/generations", body.dump(), "application/json");
  ASSERT_TRUE(is_error(r, 400, "webhook.url"));
  EXPECT_NE(r->body.find("--webhook-allow"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace pictor::test
