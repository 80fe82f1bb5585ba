#pragma once
// Runs the real `pictor serve` on an ephemeral loopback port for integration tests: a tiny
// pictor-mini trained once per test binary (with edits, so every endpoint works), API keys made
// with the real `pictor keys`, and an httplib client.
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "codecs/codecs.h"

namespace pictor::test {

namespace fs = std::filesystem;
using nlohmann::json;

inline fs::path scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("pictor-server-test-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Runs the pictor binary; returns {exit code, stdout}.
inline std::pair<int, std::string> run_pictor(const std::string& args, const std::string& env = "") {
  const std::string cmd = env + " " + std::string(PICTOR_BINARY) + " " + args + " 2>>" + (scratch_dir() / "cli.log").string();
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A models directory holding a tiny pictor-mini (trained on text-to-image and edits).
inline fs::path tiny_models_dir() {
  static const fs::path dir = [] {
    fs::path models = scratch_dir() / "models";
    fs::path out = models / "pictor-mini";
    auto [code, _] = run_pictor("train --preset tiny --steps 3 --batch 4 --eval-every 0 --quiet --edit-fraction 0.5 --out " +
                                out.string());
    if (code != 0) std::fprintf(stderr, "training the tiny model failed (see %s)\n", (scratch_dir() / "cli.log").c_str());
    return models;
  }();
  return dir;
}

inline std::string create_key(const fs::path& data_dir, const std::string& name, int rate_limit = 0) {
  auto [code, out] = run_pictor("keys create --name " + name + " --data-dir " + data_dir.string() +
                                (rate_limit > 0 ? " --rate-limit " + std::to_string(rate_limit) : ""));
  if (code != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

class ServerProcess {
 public:
  ~ServerProcess() { kill_now(SIGKILL); }

  // Starts `pictor serve --port 0 ARGS` and waits for the "serving http://host:port" line.
  bool start(const fs::path& data_dir, const std::vector<std::string>& extra = {}) { return launch("serve", data_dir, extra); }
  // Starts `pictor worker ARGS` (no HTTP) and waits for its "worker running jobs" line.
  bool start_worker(const fs::path& data_dir, const std::vector<std::string>& extra) {
    return launch("worker", data_dir, extra);
  }

  bool launch(const std::string& command, const fs::path& data_dir, const std::vector<std::string>& extra) {
    data_dir_ = data_dir;
    int out_pipe[2];
    if (pipe(out_pipe) != 0) return false;
    const std::string log = (data_dir.parent_path() / (data_dir.filename().string() + "-server.log")).string();
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out_pipe[1], 1);
      FILE* err = std::fopen(log.c_str(), "a");
      if (err) dup2(fileno(err), 2);
      close(out_pipe[0]);
      setenv("PICTOR_MODELS", tiny_models_dir().c_str(), 1);
      // One engine thread: the tiny model gains nothing from two, and CTest may run other tests
      // beside this one (oversubscribed OpenMP threads slow down by orders of magnitude).
      std::vector<std::string> args = {PICTOR_BINARY, command, "--threads", "1", "--data-dir", data_dir.string()};
      if (command == "serve") args.insert(args.end(), {"--port", "0"});
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(PICTOR_BINARY, argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    // Read the first line (the bound port).
    std::string line;
    char c;
    while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
    close(out_pipe[0]);
    if (command == "worker" && line.find("worker running jobs") != std::string::npos) return true;
    const auto pos = command == "serve" ? line.find("http://127.0.0.1:") : std::string::npos;
    if (pos == std::string::npos) {
      kill_now(SIGKILL);
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      last_error_ = "server did not start: '" + line + "'\n" + text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
      return false;
    }
    port_ = std::stoi(line.substr(pos + 17));
    return true;
  }

  // Sends `sig` and waits; returns the exit status (or -1).
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }
  void kill_now(int sig) {
    if (pid_ > 0) stop(sig);
  }

  httplib::Client client(const std::string& key = "") const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    c.set_connection_timeout(5, 0);
    if (!key.empty()) c.set_bearer_token_auth(key);
    return c;
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& last_error() const { return last_error_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  fs::path data_dir_;
  std::string last_error_;
};

inline json body_json(const httplib::Result& r) {
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

// Checks the OpenAI error envelope: status, error.type/param/code present, message non-empty.
inline ::testing::AssertionResult is_error(const httplib::Result& r, int status, const std::string& param = "",
                                           const std::string& code = "") {
  if (!r) return ::testing::AssertionFailure() << "no response: " << httplib::to_string(r.error());
  if (r->status != status) return ::testing::AssertionFailure() << "status " << r->status << " != " << status << ": " << r->body;
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return ::testing::AssertionFailure() << "no error envelope: " << r->body;
  const json& e = j["error"];
  if (!e.contains("message") || !e["message"].is_string() || e["message"].get<std::string>().empty() || !e.contains("type") ||
      !e.contains("param") || !e.contains("code"))
    return ::testing::AssertionFailure() << "incomplete envelope: " << r->body;
  if (!param.empty() && e["param"] != param) return ::testing::AssertionFailure() << "param " << e["param"] << " != " << param;
  if (!code.empty() && e["code"] != code) return ::testing::AssertionFailure() << "code " << e["code"] << " != " << code;
  if (!r->has_header("x-request-id")) return ::testing::AssertionFailure() << "no x-request-id";
  return ::testing::AssertionSuccess();
}

inline std::string png_bytes(int w, int h, int channels, uint8_t alpha = 255) {
  Image img(w, h, channels);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = uint8_t(i * 7);
  if (channels == 4)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) img.at(x, y)[3] = x < w / 2 ? 0 : alpha;
  auto bytes = codecs::encode_image(img, codecs::ImageFormat::kPng);
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace pictor::test
