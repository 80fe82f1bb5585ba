// pictor-scaleout-load: many API nodes and workers on one PostgreSQL database, on loopback,
// bounded in count and time; prints one JSON object (docs/scale-out.md, issue 22's targets).
//   scaling: N clients submit --jobs jobs (quality=low) round-robin across K API nodes
//            (`pictor serve --store … --workers 0`) and long-poll each on a random node, with 1
//            and then 2 single-thread `pictor worker`s; images/s, latency p50/p99, errors, lost
//            and duplicated jobs, and the ratio of the two rates (target ≥ 1.8).
//   claim:   4 idle workers; jobs submitted one at a time; enqueue → a worker starts it
//            (started_at − created_at in the store), p50/p99 (target p99 ≤ 50 ms).
//   faults:  2 API nodes and 2 workers; per cycle a batch of jobs, then kill -9 of a random
//            worker or API node mid-run and its restart; at the end every job must have
//            completed once: lost (not completed) and duplicated (outputs or usage stored twice).
// With --check it exits 1 when a fault cycle lost or duplicated a job (the in-suite version).
// It starts a throwaway cluster (scripts/pg-cluster.sh) unless --pg-url names one.
// Usage: pictor-scaleout-load --pictor build/src/app/pictor [--sections scaling,claim,faults]
//        [--api-nodes 2] [--clients 8] [--jobs 60] [--claims 40] [--kill-cycles 5] [--check]
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
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
using Node = pictor::bench::BenchServer;

struct Options {
  std::string pictor = PICTOR_BINARY_DEFAULT;
  std::string model = "pictor-mini";
  std::string pg_url;  // "" = start a throwaway cluster
  std::vector<std::string> sections = {"scaling", "claim", "faults"};
  int api_nodes = 2;
  int clients = 8;
  int jobs = 60;
  int claims = 40;
  int kill_cycles = 5;
  bool check = false;
  fs::path work;
};

Options g;
std::string g_admin_url;

std::string fresh_database(const std::string& tag) {
  static int n = 0;
  const std::string name = "pictor_load_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  pqxx::connection c(g_admin_url);
  pqxx::nontransaction t(c);
  t.exec("CREATE DATABASE " + name);
  return g_admin_url.substr(0, g_admin_url.rfind('/') + 1) + name;
}

json low_job(int i) {
  return {{"model", g.model},
          {"input", {{"prompt", i % 2 ? "a red circle above a blue square" : "two green triangles"}, {"quality", "low"}, {"seed", i}}}};
}

// The nodes of one deployment: K API nodes and W workers, on the database `url`.
struct Deployment {
  std::string url;
  std::vector<std::unique_ptr<Node>> api, workers;
  std::string tag;

  // A restarted node reuses its Node (clients in other threads hold a reference to it).
  bool start_api(size_t i) {
    auto& n = api[i];
    if (!n) n = std::make_unique<Node>();
    return n->start(g.pictor, g.work / (tag + "-api" + std::to_string(i)), g.model, 1,
                    {"--store", url, "--workers", "0", "--arena-pool", "0", "--lease-s", "2"});
  }
  bool start_worker(size_t i) {
    auto& n = workers[i];
    if (!n) n = std::make_unique<Node>();
    return n->start_worker(g.pictor, g.work / (tag + "-w" + std::to_string(i)), url, g.model, 1, {"--lease-s", "2"});
  }
  bool start(const std::string& t, int api_nodes, int worker_count) {
    tag = t;
    url = fresh_database(t);
    api.resize(size_t(api_nodes));
    workers.resize(size_t(worker_count));
    for (size_t i = 0; i < api.size(); ++i)
      if (!start_api(i)) return false;
    for (size_t i = 0; i < workers.size(); ++i)
      if (!start_worker(i)) return false;
    return true;
  }
};

struct RunResult {
  std::vector<double> latency_s;
  std::vector<std::string> ids;
  int errors = 0;
  double wall_s = 0;
};

// `jobs` jobs from `clients` clients: submit on node (i mod K), long-poll on a random node;
// a request that fails (a killed node) is retried on another node.
RunResult run_jobs(Deployment& d, int jobs, int clients, int first_seed) {
  RunResult out;
  std::mutex mu;
  std::atomic<int> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      std::mt19937 rng(unsigned(c * 7919 + first_seed));
      for (int i = next++; i < jobs; i = next++) {
        const auto s0 = Clock::now();
        std::string id;
        for (int attempt = 0; attempt < 20 && id.empty(); ++attempt) {
          auto& n = d.api[size_t(i + attempt) % d.api.size()];
          if (!n || n->pid <= 0) continue;
          auto r = n->client().Post("/v1/generations", low_job(first_seed + i).dump(), "application/json");
          if (r && r->status == 202) id = json::parse(r->body)["id"];
          else {
            std::lock_guard lock(mu);
            ++out.errors;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }
        if (id.empty()) continue;
        bool done = false;
        for (int attempt = 0; attempt < 60 && !done; ++attempt) {
          auto& n = d.api[rng() % d.api.size()];
          if (!n || n->pid <= 0) continue;
          auto r = n->client().Get("/v1/generations/" + id + "?wait=30");
          if (!r || r->status != 200) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
          }
          const json j = json::parse(r->body, nullptr, false);
          done = j.value("status", "") == "completed" || j.value("status", "") == "failed";
        }
        std::lock_guard lock(mu);
        out.ids.push_back(id);
        if (done) out.latency_s.push_back(secs_since(s0));
      }
    });
  for (auto& t : threads) t.join();
  out.wall_s = secs_since(t0);
  return out;
}

// Lost: not completed; duplicated: more media or usage rows than one run makes.
json audit(const std::string& url, const std::vector<std::string>& ids) {
  pqxx::connection c(url);
  pqxx::nontransaction t(c);
  int lost = 0, failed = 0, duplicated = 0, retried = 0;
  std::vector<std::string> lost_ids;
  for (const auto& id : ids) {
    const pqxx::row r = t.exec_params1(
        "SELECT status, attempts, (SELECT count(*) FROM media WHERE job_id = $1),"
        " (SELECT count(*) FROM usage WHERE job_id = $1) FROM jobs WHERE id = $1",
        id);
    const std::string status = r[0].as<std::string>();
    if (status == "failed") ++failed;
    else if (status != "completed") {
      ++lost;
      if (lost_ids.size() < 5) lost_ids.push_back(id + ":" + status);
    }
    if (r[1].as<int>() > 1) ++retried;
    if (r[2].as<int64_t>() > 1 || r[3].as<int64_t>() > 1) ++duplicated;
  }
  // Which worker finished how many (the last holder of each job).
  json by_worker = json::object();
  std::set<std::string> wanted(ids.begin(), ids.end());
  for (const auto& r : t.exec("SELECT id, worker_id FROM jobs"))
    if (wanted.count(r[0].as<std::string>())) {
      auto& n = by_worker[r[1].as<std::string>()];
      n = n.is_null() ? 1 : n.get<int>() + 1;
    }
  return {{"jobs", ids.size()}, {"lost", lost}, {"failed", failed}, {"duplicated", duplicated},
          {"ran_more_than_once", retried}, {"lost_examples", lost_ids}, {"jobs_by_worker", by_worker}};
}

json scaling() {
  json out = json::object();
  double rate[3] = {0, 0, 0};
  for (int workers : {1, 2}) {
    Deployment d;
    if (!d.start("scaling" + std::to_string(workers), g.api_nodes, workers)) return {{"error", "a node did not start"}};
    run_jobs(d, 4, 2, 100000);  // warm: first generations, connection pools
    RunResult r = run_jobs(d, g.jobs, g.clients, 0);
    rate[workers] = double(r.latency_s.size()) / r.wall_s;
    out[std::to_string(workers) + "_workers"] = {
        {"images_per_s", rate[workers]}, {"wall_s", r.wall_s}, {"latency_p50_s", percentile(r.latency_s, 0.5)},
        {"latency_p99_s", percentile(r.latency_s, 0.99)}, {"errors", r.errors}, {"audit", audit(d.url, r.ids)}};
  }
  out["ratio_2_to_1"] = rate[1] > 0 ? rate[2] / rate[1] : 0;
  out["target_ratio"] = 1.8;
  return out;
}

json claim_latency() {
  Deployment d;
  if (!d.start("claim", 1, 4)) return {{"error", "a node did not start"}};
  run_jobs(d, 4, 1, 100000);
  std::vector<std::string> ids;
  auto c = d.api[0]->client();
  for (int i = 0; i < g.claims; ++i) {
    // Let every worker go idle (blocked on LISTEN) before the next job.
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto r = c.Post("/v1/generations", low_job(i).dump(), "application/json");
    if (!r || r->status != 202) continue;
    const std::string id = json::parse(r->body)["id"];
    c.Get("/v1/generations/" + id + "?wait=30");
    ids.push_back(id);
  }
  pqxx::connection conn(d.url);
  pqxx::nontransaction t(conn);
  std::vector<double> ms;
  for (const auto& id : ids) {
    const pqxx::row r = t.exec_params1("SELECT started_at_ms - created_at_ms, attempts FROM jobs WHERE id = $1", id);
    if (r[1].as<int>() == 1) ms.push_back(r[0].as<double>());
  }
  return {{"jobs", ms.size()}, {"idle_workers", 4}, {"p50_ms", percentile(ms, 0.5)}, {"p99_ms", percentile(ms, 0.99)},
          {"max_ms", percentile(ms, 1.0)}, {"target_p99_ms", 50}};
}

json faults() {
  Deployment d;
  if (!d.start("faults", 2, 2)) return {{"error", "a node did not start"}};
  std::mt19937 rng(12345);
  std::vector<std::string> ids;
  int kills_worker = 0, kills_api = 0;
  std::vector<double> latency;
  int errors = 0;
  for (int cycle = 0; cycle < g.kill_cycles; ++cycle) {
    std::thread load([&] {
      RunResult r = run_jobs(d, 6, 3, cycle * 1000);
      ids.insert(ids.end(), r.ids.begin(), r.ids.end());
      latency.insert(latency.end(), r.latency_s.begin(), r.latency_s.end());
      errors += r.errors;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 500));
    const bool worker = rng() % 3 != 0;  // workers twice as often: they hold the running jobs
    const size_t which = rng() % 2;
    if (worker) {
      d.workers[which]->stop(SIGKILL);
      ++kills_worker;
      if (!d.start_worker(which)) return {{"error", "a worker did not restart"}};
    } else {
      d.api[which]->stop(SIGKILL);
      ++kills_api;
      if (!d.start_api(which)) return {{"error", "an API node did not restart"}};
    }
    load.join();
  }
  json a = audit(d.url, ids);
  return {{"cycles", g.kill_cycles}, {"killed_workers", kills_worker}, {"killed_api_nodes", kills_api},
          {"request_errors_retried", errors}, {"latency_p50_s", percentile(latency, 0.5)},
          {"latency_p99_s", percentile(latency, 0.99)}, {"audit", a}};
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ',') {
      if (i > start) out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "pictor-scaleout-load: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--pictor") g.pictor = value();
    else if (a == "--model") g.model = value();
    else if (a == "--pg-url") g.pg_url = value();
    else if (a == "--sections") g.sections = split(value());
    else if (a == "--api-nodes") g.api_nodes = std::max(1, std::atoi(value().c_str()));
    else if (a == "--clients") g.clients = std::max(1, std::atoi(value().c_str()));
    else if (a == "--jobs") g.jobs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--claims") g.claims = std::max(1, std::atoi(value().c_str()));
    else if (a == "--kill-cycles") g.kill_cycles = std::max(1, std::atoi(value().c_str()));
    else if (a == "--check") g.check = true;
    else {
      std::fprintf(stderr, "pictor-scaleout-load: unknown option %s (see the comment at the top of bench/scaleout_load.cpp)\n", a.c_str());
      return 2;
    }
  }
  g.work = fs::temp_directory_path() / ("pictor-scaleout-" + std::to_string(::getpid()));
  fs::create_directories(g.work);
  const std::string state = (g.work / "pg").string();
  const std::string cluster = std::string("bash ") + PICTOR_SOURCE_DIR + "/scripts/pg-cluster.sh ";
  if (g.pg_url.empty()) {
    if (std::system((cluster + "start " + state + " >&2").c_str()) != 0) {
      std::fprintf(stderr, "pictor-scaleout-load: cannot start a PostgreSQL cluster\n");
      return 1;
    }
    std::ifstream in(state + "/url");
    std::getline(in, g_admin_url);
  } else {
    g_admin_url = g.pg_url;
  }
  json out = {{"machine", {{"cores", std::thread::hardware_concurrency()}}}, {"model", g.model}, {"api_nodes", g.api_nodes}};
  int rc = 0;
  try {
    for (const auto& s : g.sections) {
      if (s == "scaling") out["scaling"] = scaling();
      else if (s == "claim") out["claim_latency"] = claim_latency();
      else if (s == "faults") {
        out["faults"] = faults();
        const json& a = out["faults"].contains("audit") ? out["faults"]["audit"] : json();
        if (g.check && (a.is_null() || a["lost"] != 0 || a["duplicated"] != 0)) rc = 1;
      } else {
        std::fprintf(stderr, "pictor-scaleout-load: unknown section %s\n", s.c_str());
        rc = 2;
      }
    }
  } catch (const std::exception& e) {
    out["error"] = e.what();
    rc = 1;
  }
  if (g.pg_url.empty()) (void)std::system((cluster + "stop " + state + " >&2").c_str());
  fs::remove_all(g.work);
  std::printf("%s\n", out.dump(2).c_str());
  return rc;
}
