#pragma once
// What the load programs share: percentiles, a clock, and a real `pictor serve --no-auth` on a
// free loopback port (its stderr in <data>.log), stopped with SIGKILL when it goes out of scope.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace pictor::bench {

using Clock = std::chrono::steady_clock;

inline double secs_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The value at fraction p (0..1) of the sorted values, nearest rank; 0 for none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

struct BenchServer {
  pid_t pid = -1;
  int port = 0;
  BenchServer() = default;
  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;
  ~BenchServer() { stop(SIGKILL); }

  // `pictor serve --port 0 --no-auth --data-dir DATA --model MODEL --threads THREADS` with a deep
  // queue, no grace and no rate limit, plus `extra`; waits for the "serving http://…" line.
  bool start(const std::string& binary, const std::filesystem::path& data, const std::string& model, int threads,
             const std::vector<std::string>& extra = {}) {
    int p[2];
    if (pipe(p) != 0) return false;
    std::filesystem::create_directories(data);
    pid = fork();
    if (pid == 0) {
      dup2(p[1], 1);
      FILE* log = std::fopen((data.string() + ".log").c_str(), "a");
      if (log) dup2(fileno(log), 2);
      std::vector<std::string> args = {binary, "serve", "--port", "0", "--no-auth", "--data-dir", data.string(), "--model", model,
                                       "--max-queue", "10000", "--shutdown-grace", "0", "--threads", std::to_string(threads),
                                       "--rate-limit", "0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(p[1]);
    std::string line;
    char c;
    while (read(p[0], &c, 1) == 1 && c != '\n') line += c;
    close(p[0]);
    const auto pos = line.find("http://127.0.0.1:");
    if (pos == std::string::npos) return false;
    port = std::stoi(line.substr(pos + 17));
    return true;
  }
  // `pictor worker --store STORE --data-dir DATA --model MODEL --threads THREADS --workers 1`;
  // waits for its "worker running jobs" line.
  bool start_worker(const std::string& binary, const std::filesystem::path& data, const std::string& store,
                    const std::string& model, int threads, const std::vector<std::string>& extra = {}) {
    int p[2];
    if (pipe(p) != 0) return false;
    std::filesystem::create_directories(data);
    pid = fork();
    if (pid == 0) {
      dup2(p[1], 1);
      FILE* log = std::fopen((data.string() + ".log").c_str(), "a");
      if (log) dup2(fileno(log), 2);
      std::vector<std::string> args = {binary, "worker", "--store", store, "--data-dir", data.string(), "--model", model,
                                       "--threads", std::to_string(threads), "--workers", "1", "--shutdown-grace", "0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(p[1]);
    std::string line;
    char c;
    while (read(p[0], &c, 1) == 1 && c != '\n') line += c;
    close(p[0]);
    return line.find("worker running jobs") != std::string::npos;
  }
  void stop(int sig = SIGKILL) {
    if (pid <= 0) return;
    ::kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    pid = -1;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(300, 0);
    c.set_tcp_nodelay(true);
    return c;
  }
};

}  // namespace pictor::bench
