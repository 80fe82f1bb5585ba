// pictor-gateway-load: measures issue 19's targets against real servers on loopback and prints
// one JSON object.
//   overhead:  POST /v1/images/generations (quality=low) straight to an upstream `pictor serve`
//              vs the same request through a gateway `pictor serve --providers` in front of it,
//              interleaved; p50s compared. The gateway's own measured latency for the provider
//              (GET /v1/providers) is compared with this program's client-side p50 of the direct
//              calls (target: within 10 %).
//   instant:   the same comparison against a stand-in upstream that answers at once (the
//              gateway's own cost: routing, the upstream call, storing the image, the job).
//   failover:  N requests (several clients at once) through a gateway whose first provider is
//              down, answers 500, or answers 429 + Retry-After; the second provider is healthy.
//              Counts lost requests (target: 0).
//   none_left: every provider failing: each request must get one 502/503 envelope, never hang.
// Usage: pictor-gateway-load --pictor build/src/app/pictor [--model pictor-mini] [--iterations 60]
//        [--requests 200] [--clients 8] [--threads 1] [--sections overhead,instant,failover,none_left]
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pictor::bench::Clock;
using pictor::bench::percentile;
using pictor::bench::secs_since;
using Server = pictor::bench::BenchServer;

int g_threads = 1;
// A stand-in provider that always fails: 500, or 429 with Retry-After: 1.
struct FailingUpstream {
  httplib::Server svr;
  std::thread thread;
  int port = 0;
  std::atomic<int> hits{0};
  explicit FailingUpstream(int status) {
    svr.Post(".*", [this, status](const httplib::Request&, httplib::Response& res) {
      ++hits;
      res.status = status;
      if (status == 429) res.set_header("Retry-After", "1");
      res.set_content(R"({"error":{"message":"injected","type":"server_error","param":null,"code":null}})", "application/json");
    });
    port = svr.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~FailingUpstream() {
    svr.stop();
    thread.join();
  }
};

// A loopback port that refuses connections for as long as this lives: bound, never listening.
// (A port merely closed again may be handed to the next `--port 0` server, even the gateway.)
struct DeadPort {
  int fd = -1;
  int port = 0;
  DeadPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ~DeadPort() {
    if (fd >= 0) ::close(fd);
  }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;
};

json provider(const std::string& name, int port, double price, int priority) {
  return {{"name", name},
          {"kind", "openai-compatible"},
          {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
          {"models", {{"bench-model", "pictor-mini"}}},
          {"prices", {{"low", price}, {"medium", price}, {"high", price}}},
          {"priority", priority},
          {"timeout_s", 60},
          {"max_concurrency", 64}};
}

fs::path write_providers(const fs::path& dir, const std::string& name, const json& providers, const json& extra = json::object()) {
  json f = {{"providers", providers}};
  f.update(extra);
  const fs::path p = dir / (name + "-providers.json");
  std::ofstream(p) << f.dump(2);
  return p;
}

const std::string kPrompt = "two red circles above a blue square";

std::string body_for(const std::string& model) {
  return json{{"model", model}, {"prompt", kPrompt}, {"quality", "low"}, {"seed", 1}}.dump();
}

json run_overhead(const std::string& binary, const fs::path& dir, const std::string& model, int iterations) {
  Server up, gw;
  if (!up.start(binary, dir / "ov-upstream", model, g_threads, {"--workers", "1"})) return {{"error", "upstream did not start"}};
  const fs::path pf = write_providers(dir, "ov", json::array({provider("upstream", up.port, 0.005, 1)}));
  if (!gw.start(binary, dir / "ov-gateway", model, g_threads, {"--providers", pf.string()})) return {{"error", "gateway did not start"}};
  auto direct = up.client();
  const std::string direct_body = body_for("pictor-mini"), via_body = body_for("bench-model");
  {
    auto warm = gw.client();
    for (int i = 0; i < 3; ++i) {  // warm-up both paths
      (void)direct.Post("/v1/images/generations", direct_body, "application/json");
      (void)warm.Post("/v1/images/generations", via_body, "application/json");
    }
  }
  // The gateway's figures from here on: restart it so the warm-up is not in its window.
  gw.stop();
  if (!gw.start(binary, dir / "ov-gateway", model, g_threads, {"--providers", pf.string()})) return {{"error", "gateway did not restart"}};
  auto via = gw.client();
  (void)via.Get("/healthz");
  std::vector<double> t_direct, t_via;
  int errors = 0;
  for (int i = 0; i < iterations; ++i) {
    for (int k = 0; k < 2; ++k) {
      const bool through = (i + k) % 2 == 1;  // alternate which goes first
      auto& cli = through ? via : direct;
      const auto t0 = Clock::now();
      auto r = cli.Post("/v1/images/generations", through ? via_body : direct_body, "application/json");
      const double s = secs_since(t0);
      if (!r || r->status != 200) {
        ++errors;
        continue;
      }
      (through ? t_via : t_direct).push_back(s);
    }
  }
  json providers = json::parse(via.Get("/v1/providers")->body, nullptr, false);
  double measured_p50 = -1;
  for (const auto& row : providers["data"])
    if (row["provider"] == "upstream" && row["latency_s"]["p50"].is_number()) measured_p50 = row["latency_s"]["p50"];
  const double p50_direct = percentile(t_direct, 0.5), p50_via = percentile(t_via, 0.5);
  return {{"iterations", iterations},
          {"errors", errors},
          {"direct_p50_ms", p50_direct * 1000},
          {"gateway_p50_ms", p50_via * 1000},
          {"overhead_p50_ms", (p50_via - p50_direct) * 1000},
          {"direct_p95_ms", percentile(t_direct, 0.95) * 1000},
          {"gateway_p95_ms", percentile(t_via, 0.95) * 1000},
          {"gateway_measured_provider_p50_ms", measured_p50 * 1000},
          {"measured_vs_client_direct_p50", measured_p50 / p50_direct - 1},
          {"measured_vs_client_via_gateway_p50", measured_p50 / p50_via - 1}};
}

// A stand-in upstream that answers at once with one fixed 1×1 PNG (b64_json): through it the
// gateway's own cost shows without the engine's run-to-run noise.
struct InstantUpstream {
  httplib::Server svr;
  std::thread thread;
  int port = 0;
  InstantUpstream() {
    static const char* kPng1x1 =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
    const std::string body = json{{"created", 1}, {"data", {{{"b64_json", kPng1x1}}}},
                                  {"usage", {{"input_tokens", 5}, {"output_tokens", 1}, {"total_tokens", 6}}}}.dump();
    svr.set_tcp_nodelay(true);
    svr.Post(".*", [body](const httplib::Request&, httplib::Response& res) { res.set_content(body, "application/json"); });
    port = svr.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~InstantUpstream() {
    svr.stop();
    thread.join();
  }
};

json run_overhead_instant(const std::string& binary, const fs::path& dir, const std::string& model, int iterations) {
  InstantUpstream up;
  const fs::path pf = write_providers(dir, "ovi", json::array({provider("instant", up.port, 0.005, 1)}));
  Server gw;
  if (!gw.start(binary, dir / "ovi-gateway", model, g_threads, {"--providers", pf.string()})) return {{"error", "gateway did not start"}};
  httplib::Client direct("127.0.0.1", up.port);
  direct.set_tcp_nodelay(true);
  auto via = gw.client();
  const std::string body = body_for("bench-model");
  std::vector<double> t_direct, t_via;
  int errors = 0;
  for (int i = 0; i < iterations + 10; ++i) {
    for (int k = 0; k < 2; ++k) {
      const bool through = (i + k) % 2 == 1;
      const auto t0 = Clock::now();
      auto r = through ? via.Post("/v1/images/generations", body, "application/json")
                       : direct.Post("/v1/images/generations", body, "application/json");
      const double s = secs_since(t0);
      if (!r || r->status != 200) {
        ++errors;
        continue;
      }
      if (i >= 10) (through ? t_via : t_direct).push_back(s);  // the first 10 warm up
    }
  }
  const double p50_direct = percentile(t_direct, 0.5), p50_via = percentile(t_via, 0.5);
  return {{"iterations", iterations},
          {"errors", errors},
          {"direct_p50_ms", p50_direct * 1000},
          {"gateway_p50_ms", p50_via * 1000},
          {"overhead_p50_ms", (p50_via - p50_direct) * 1000},
          {"gateway_p95_ms", percentile(t_via, 0.95) * 1000}};
}

// Sends `requests` requests from `clients` threads; returns {ok, lost, statuses, p50, max}.
json blast(const Server& gw, int requests, int clients) {
  std::atomic<int> next{0}, ok{0};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::vector<double> times;
  std::vector<std::thread> threads;
  const std::string body = body_for("bench-model");
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      auto cli = gw.client();
      cli.set_read_timeout(120, 0);
      while (next.fetch_add(1) < requests) {
        const auto t0 = Clock::now();
        auto r = cli.Post("/v1/images/generations", body, "application/json");
        const double s = secs_since(t0);
        std::lock_guard<std::mutex> lock(mutex);
        const int st = r ? r->status : 0;
        ++statuses[st];
        times.push_back(s);
        bool envelope = false;
        if (r && st != 200) {
          json j = json::parse(r->body, nullptr, false);
          envelope = !j.is_discarded() && j.contains("error") && j["error"].contains("code");
        }
        if (st == 200) ++ok;
        else if (!envelope) ++statuses[-1];  // an error without the envelope
      }
    });
  for (auto& t : threads) t.join();
  json st = json::object();
  for (const auto& [k, v] : statuses) st[std::to_string(k)] = v;
  return {{"requests", requests}, {"ok", ok.load()}, {"lost", requests - ok.load()}, {"statuses", st},
          {"p50_s", percentile(times, 0.5)}, {"max_s", percentile(times, 1.0)}};
}

json run_failover(const std::string& binary, const fs::path& dir, const std::string& model, int requests, int clients) {
  Server up;
  if (!up.start(binary, dir / "fo-upstream", model, g_threads, {"--workers", "1"})) return {{"error", "upstream did not start"}};
  json out = json::object();
  for (const std::string mode : {"down", "500", "429"}) {
    std::unique_ptr<FailingUpstream> failing;
    DeadPort dead;
    int first_port = 0;
    if (mode == "down") first_port = dead.port;
    else {
      failing = std::make_unique<FailingUpstream>(std::stoi(mode));
      first_port = failing->port;
    }
    const fs::path pf = write_providers(dir, "fo-" + mode,
                                        json::array({provider("first", first_port, 0.001, 1), provider("second", up.port, 0.005, 2)}),
                                        {{"retry", {{"max_attempts", 2}, {"base_delay_ms", 50}, {"max_delay_ms", 500}}},
                                         {"circuit_breaker", {{"failure_threshold", 5}, {"cooldown_s", 2}}}});
    Server gw;
    if (!gw.start(binary, dir / ("fo-gateway-" + mode), model, g_threads, {"--providers", pf.string()})) {
      out[mode] = {{"error", "gateway did not start"}};
      continue;
    }
    const auto t0 = Clock::now();
    json r = blast(gw, requests, clients);
    r["seconds"] = secs_since(t0);
    if (failing) r["first_provider_hits"] = failing->hits.load();
    out[mode] = r;
  }
  return out;
}

json run_none_left(const std::string& binary, const fs::path& dir, const std::string& model, int requests, int clients) {
  FailingUpstream a(500), b(429);
  DeadPort dead;
  const fs::path pf = write_providers(dir, "none",
                                      json::array({provider("a", a.port, 0.001, 1), provider("b", b.port, 0.002, 2),
                                                   provider("c", dead.port, 0.003, 3)}),
                                      {{"retry", {{"max_attempts", 2}, {"base_delay_ms", 50}, {"max_delay_ms", 500}}},
                                       {"circuit_breaker", {{"failure_threshold", 5}, {"cooldown_s", 30}}}});
  Server gw;
  if (!gw.start(binary, dir / "none-gateway", model, g_threads, {"--providers", pf.string()})) return {{"error", "gateway did not start"}};
  return blast(gw, requests, clients);
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary = "build/src/app/pictor", model = "pictor-mini", sections = "overhead,instant,failover,none_left";
  int iterations = 60, requests = 200, clients = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--pictor") binary = v;
    else if (k == "--model") model = v;
    else if (k == "--sections") sections = v;
    else if (k == "--iterations") iterations = std::stoi(v);
    else if (k == "--requests") requests = std::stoi(v);
    else if (k == "--clients") clients = std::stoi(v);
    else if (k == "--threads") g_threads = std::stoi(v);
    else {
      std::fprintf(stderr, "pictor-gateway-load: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  const fs::path dir = fs::temp_directory_path() / ("pictor-gateway-load-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  json out = {{"pictor", binary}, {"model", model}, {"engine_threads", g_threads},
              {"hardware_threads", std::thread::hardware_concurrency()}};
  auto want = [&](const char* s) { return sections.find(s) != std::string::npos; };
  if (want("overhead")) out["overhead"] = run_overhead(binary, dir, model, iterations);
  if (want("instant")) out["overhead_instant_upstream"] = run_overhead_instant(binary, dir, model, iterations * 5);
  if (want("failover")) out["failover"] = run_failover(binary, dir, model, requests, clients);
  if (want("none_left")) out["none_left"] = run_none_left(binary, dir, model, 40, clients);
  std::printf("%s\n", out.dump(2).c_str());
  fs::remove_all(dir);
  return 0;
}
