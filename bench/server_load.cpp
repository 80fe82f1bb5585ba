// pictor-server-load: measures the server against issue 4's targets and prints one JSON object.
//   overhead:   POST /v1/images/generations vs the same request as an in-process engine call,
//               interleaved, medians compared (quality=low).
//   long_poll:  throughput of a batch of gateway jobs alone vs with 200 clients long-polling
//               GET /v1/generations/{id}?wait=60; errors counted.
//   status_get: latency of GET /v1/generations/{id} from 50 concurrent clients while generating,
//               each polling every --think-ms; status_get_closed_loop: the same with no pause.
//   kill9:      N cycles of submit → kill -9 → restart; every accepted job must end completed or
//               failed with a reason.
// Usage: pictor-server-load --pictor build/src/app/pictor [--model pictor-mini] [--sections a,b]
//        [--cycles 20] [--pollers 200] [--clients 50] [--jobs 16] [--threads N] [--think-ms 20]
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.h"
#include "engine/engine.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int g_threads = 0;  // engine threads, in-process and in the server (0 = all cores)
using pictor::bench::Clock;
using pictor::bench::percentile;
using pictor::bench::secs_since;
using Server = pictor::bench::BenchServer;

json gen_body(int steps = 0, const std::string& quality = "low") {
  json in = {{"prompt", "two red circles above a blue square"}, {"quality", quality}, {"seed", 1}};
  if (steps) in["steps"] = steps;
  return {{"input", in}};
}

json run_overhead(const std::string& binary, const fs::path& dir, const std::string& model, int iterations) {
  pictor::engine::LoadOptions load;
  load.threads = g_threads;
  auto engine = pictor::engine::Engine::load(model, load);
  if (!engine.is_ok()) return {{"error", engine.status().message()}};
  pictor::engine::GenerateRequest req;
  req.prompt = "two red circles above a blue square";
  req.quality = pictor::engine::Quality::kLow;
  req.seed = 1;
  Server srv;
  if (!srv.start(binary, dir / "overhead", model, g_threads)) return {{"error", "server did not start"}};
  auto cli = srv.client();
  const std::string body = json{{"prompt", req.prompt}, {"quality", "low"}, {"seed", 1}}.dump();
  (void)(*engine)->generate(req);  // warm-up both
  (void)cli.Post("/v1/images/generations", body, "application/json");
  // Interleaved pairs (order alternating) so that drift on a shared machine hits both sides; a
  // pause before every call lets the other process's OpenMP threads stop spinning first.
  std::vector<double> direct, http, pair_ratio;
  int errors = 0;
  const auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); };
  auto time_direct = [&] {
    pause();
    const auto t0 = Clock::now();
    (void)(*engine)->generate(req);
    direct.push_back(secs_since(t0));
  };
  auto time_http = [&] {
    pause();
    const auto t0 = Clock::now();
    auto r = cli.Post("/v1/images/generations", body, "application/json");
    http.push_back(secs_since(t0));
    if (!r || r->status != 200) ++errors;
  };
  for (int i = 0; i < iterations; ++i) {
    if (i % 2 == 0) time_direct(), time_http();
    else time_http(), time_direct();
    pair_ratio.push_back(http.back() / direct.back() - 1.0);
  }
  srv.stop(SIGTERM);
  const double d = percentile(direct, 0.5), h = percentile(http, 0.5);
  return {{"iterations", iterations}, {"engine_median_s", d}, {"http_median_s", h}, {"overhead_ratio", h / d - 1.0},
          {"pair_overhead_median", percentile(pair_ratio, 0.5)}, {"errors", errors}, {"target", "<= 0.05"}};
}

// Submits `jobs` gateway jobs and waits for all; returns images/s and errors. With `pollers` > 0,
// that many threads long-poll the jobs meanwhile.
json run_batch(Server& srv, int jobs, int pollers) {
  auto cli = srv.client();
  std::vector<std::string> ids;
  const auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    auto r = cli.Post("/v1/generations", gen_body().dump(), "application/json");
    if (r && (r->status == 202 || r->status == 200)) ids.push_back(json::parse(r->body)["id"]);
  }
  std::atomic<int> poll_errors{0}, polls{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  // Each poller long-polls one of the batch's last jobs until it finishes, then stops: what a
  // real client does. They are spread over the last 8 jobs so that most stay parked throughout.
  for (int p = 0; p < pollers && !ids.empty(); ++p) {
    threads.emplace_back([&, p] {
      auto c = srv.client();
      const size_t spread = std::min<size_t>(8, ids.size());
      const std::string& id = ids[ids.size() - 1 - size_t(p) % spread];
      while (!done) {
        auto r = c.Get("/v1/generations/" + id + "?wait=60");
        ++polls;
        if (!r || (r->status != 200 && r->status != 202)) {
          ++poll_errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        if (r->status == 200) break;  // finished
      }
    });
  }
  int failed = 0;
  for (const auto& id : ids) {
    for (;;) {
      auto r = cli.Get("/v1/generations/" + id + "?wait=60");
      if (r && r->status == 200) {
        if (json::parse(r->body)["status"] != "completed") ++failed;
        break;
      }
      if (!r) {
        ++failed;
        break;
      }
    }
  }
  const double elapsed = secs_since(t0);
  done = true;
  for (auto& t : threads) t.join();
  return {{"jobs", jobs}, {"accepted", ids.size()}, {"failed", failed}, {"seconds", elapsed},
          {"images_per_second", double(ids.size()) / elapsed}, {"pollers", pollers}, {"poll_requests", polls.load()},
          {"poll_errors", poll_errors.load()}};
}

json run_long_poll(const std::string& binary, const fs::path& dir, const std::string& model, int jobs, int pollers) {
  Server srv;
  if (!srv.start(binary, dir / "longpoll", model, g_threads)) return {{"error", "server did not start"}};
  (void)run_batch(srv, 2, 0);  // warm-up
  json alone = run_batch(srv, jobs, 0);
  json with = run_batch(srv, jobs, pollers);
  json alone2 = run_batch(srv, jobs, 0);  // bracket the loaded run: the machine is shared and noisy
  srv.stop(SIGTERM);
  const double base = (alone["images_per_second"].get<double>() + alone2["images_per_second"].get<double>()) / 2;
  return {{"alone", alone}, {"with_pollers", with}, {"alone_again", alone2},
          {"throughput_cost", 1.0 - with["images_per_second"].get<double>() / base}, {"target", "<= 0.10, 0 errors"}};
}

// Each client polls one job status, waits `think_ms`, repeats (think 0 = a closed loop that
// saturates the CPU, which the load generator shares with the server on this machine).
json run_status_get(const std::string& binary, const fs::path& dir, const std::string& model, int clients, double seconds,
                    int think_ms) {
  Server srv;
  if (!srv.start(binary, dir / "statusget", model, g_threads)) return {{"error", "server did not start"}};
  auto cli = srv.client();
  std::vector<std::string> ids;
  for (int i = 0; i < 400; ++i) {
    auto r = cli.Post("/v1/generations", gen_body().dump(), "application/json");
    if (r && r->status < 300) ids.push_back(json::parse(r->body)["id"]);
  }
  std::mutex m;
  std::vector<double> lat;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  const auto t_end = Clock::now() + std::chrono::duration<double>(seconds);
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto cl = srv.client();
      std::vector<double> mine;
      size_t k = size_t(c);
      while (Clock::now() < t_end) {
        const auto t0 = Clock::now();
        auto r = cl.Get("/v1/generations/" + ids[k++ % ids.size()]);
        mine.push_back(secs_since(t0));
        if (!r || (r->status != 200 && r->status != 202)) ++errors;
        if (think_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(think_ms));
      }
      std::lock_guard<std::mutex> lock(m);
      lat.insert(lat.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  auto metrics = cli.Get("/metrics");
  const bool generating = metrics && metrics->body.find("pictor_images_generated_total 0\n") == std::string::npos;
  srv.stop(SIGKILL);
  return {{"clients", clients}, {"think_ms", think_ms}, {"requests_per_second", double(lat.size()) / seconds}, {"requests", lat.size()}, {"errors", errors.load()}, {"p50_ms", percentile(lat, 0.5) * 1000},
          {"p99_ms", percentile(lat, 0.99) * 1000}, {"max_ms", percentile(lat, 1.0) * 1000},
          {"generating_meanwhile", generating}, {"target", "p99 <= 5 ms"}};
}

json run_kill9(const std::string& binary, const fs::path& dir, const std::string& model, int cycles) {
  const fs::path data = dir / "kill9";
  std::vector<std::string> ids;
  int start_failures = 0;
  for (int c = 0; c < cycles; ++c) {
    Server srv;
    if (!srv.start(binary, data, model, g_threads)) {
      ++start_failures;
      continue;
    }
    auto cli = srv.client();
    for (int i = 0; i < 3; ++i) {
      auto r = cli.Post("/v1/generations", gen_body(0, c % 2 ? "low" : "medium").dump(), "application/json");
      if (r && r->status < 300) ids.push_back(json::parse(r->body)["id"]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 97 * (c % 7)));  // kill at varied points
    srv.stop(SIGKILL);
  }
  Server srv;
  if (!srv.start(binary, data, model, g_threads)) return {{"error", "server did not restart"}};
  auto cli = srv.client();
  int completed = 0, failed_with_reason = 0, lost = 0;
  for (const auto& id : ids) {
    json j;
    for (int i = 0; i < 20; ++i) {
      auto r = cli.Get("/v1/generations/" + id + "?wait=60");
      if (!r) break;
      if (r->status == 404) break;
      j = json::parse(r->body);
      if (j["status"] == "completed" || j["status"] == "failed") break;
    }
    if (j.is_object() && j["status"] == "completed") {
      auto media = cli.Get(j["output"]["media"][0]["url"].get<std::string>().substr(
          j["output"]["media"][0]["url"].get<std::string>().find("/v1/")));
      if (media && media->status == 200) ++completed;
      else ++lost;
    } else if (j.is_object() && j["status"] == "failed" && !j["error"]["message"].get<std::string>().empty()) {
      ++failed_with_reason;
    } else {
      ++lost;
    }
  }
  srv.stop(SIGTERM);
  return {{"cycles", cycles}, {"accepted", ids.size()}, {"completed", completed}, {"failed_with_reason", failed_with_reason},
          {"lost", lost}, {"start_failures", start_failures}, {"target", "0 lost"}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary = "build/src/app/pictor", model = "pictor-mini", sections = "overhead,long_poll,status_get,kill9";
  int cycles = 20, pollers = 200, clients = 50, jobs = 16, iterations = 30, think_ms = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--pictor") binary = v;
    else if (k == "--model") model = v;
    else if (k == "--sections") sections = v;
    else if (k == "--cycles") cycles = std::stoi(v);
    else if (k == "--pollers") pollers = std::stoi(v);
    else if (k == "--clients") clients = std::stoi(v);
    else if (k == "--jobs") jobs = std::stoi(v);
    else if (k == "--iterations") iterations = std::stoi(v);
    else if (k == "--threads") g_threads = std::stoi(v);
    else if (k == "--think-ms") think_ms = std::stoi(v);
    else {
      std::fprintf(stderr, "pictor-server-load: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  const fs::path dir = fs::temp_directory_path() / ("pictor-load-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  json out = {{"pictor", binary}, {"model", model}, {"engine_threads", g_threads},
              {"hardware_threads", std::thread::hardware_concurrency()}};
  auto want = [&](const char* s) { return sections.find(s) != std::string::npos; };
  if (want("overhead")) out["overhead"] = run_overhead(binary, dir, model, iterations);
  if (want("long_poll")) out["long_poll"] = run_long_poll(binary, dir, model, jobs, pollers);
  if (want("status_get")) {
    out["status_get"] = run_status_get(binary, dir, model, clients, 10.0, think_ms);
    out["status_get_closed_loop"] = run_status_get(binary, dir, model, clients, 10.0, 0);
  }
  if (want("kill9")) out["kill9"] = run_kill9(binary, dir, model, cycles);
  std::printf("%s\n", out.dump(2).c_str());
  fs::remove_all(dir);
  return 0;
}
