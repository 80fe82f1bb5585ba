// pictor-web-pages: server time of the web pages (model page, leaderboard, home) with 10 models and
// 100,000 votes stored, and each page's weight without images (HTML + the CSS and scripts it loads),
// against the real `pictor serve` on loopback, bounded in count. It fills a fresh data directory:
// 10 upstream-only models m0–m9 from a providers file (never called: pages only read the catalog),
// --votes votes between them over both arenas, categories and languages (the newest --battles with
// real battles and images, so the pages have examples), and 30 days of rating snapshots; then it
// requests each page --requests times and prints one JSON object. Times are client-side on
// loopback, so they bound the server's time from above.
// Usage: pictor-web-pages [--pictor build/src/app/pictor] [--votes 100000] [--requests 50]
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <cmath>
#include <string>
#include <vector>

#include "codecs/codecs.h"
#include "core/image.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pictor;
  const std::string binary = arg(argc, argv, "--pictor", PICTOR_BINARY_DEFAULT);
  const int votes = std::stoi(arg(argc, argv, "--votes", "100000"));
  const int battles = std::stoi(arg(argc, argv, "--battles", "200"));
  const int requests = std::stoi(arg(argc, argv, "--requests", "50"));
  const fs::path dir = fs::temp_directory_path() / ("pictor-web-pages-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "arena.secret") << "benchmark-secret-0123456789abcdef0123\n";

  const int kModels = 10;
  std::vector<std::string> models;
  json provider_models = json::object(), catalog = json::object();
  for (int i = 0; i < kModels; ++i) {
    const std::string id = "m" + std::to_string(i);
    models.push_back(id);
    provider_models[id] = id;
    catalog[id] = {{"name", "Model " + std::to_string(i)},
                   {"organization", i % 3 == 0 ? "Lab A" : i % 3 == 1 ? "Lab B" : "Lab C"},
                   {"description", "A synthetic benchmark entry"},
                   {"release_date", "2025-0" + std::to_string(1 + i % 9) + "-01"},
                   {"license", {{"name", i % 2 ? "Apache-2.0" : "Proprietary"}, {"commercial_use", true}}},
                   {"modalities", {{"input", {"text", "image"}}, {"output", {"image"}}}},
                   {"capabilities", {{"edits", true}, {"mask", true}, {"sizes", {"1024x1024"}}}}};
  }
  const json providers = {{"providers", {{{"name", "bench-upstream"},
                                          {"kind", "openai-compatible"},
                                          {"base_url", "http://127.0.0.1:9/v1"},
                                          {"models", provider_models},
                                          {"prices", {{"low", 0.01}, {"medium", 0.02}, {"high", 0.04}}}}}},
                          {"catalog", catalog}};
  std::ofstream(dir / "providers.json") << providers.dump(2);

  {
    auto st = store::open_sqlite_store((dir / "pictor.db").string());
    if (!st.is_ok()) return std::fprintf(stderr, "%s\n", st.status().message().c_str()), 1;
    auto& s = **st;
    Image img(256, 256, 3);
    auto png = codecs::encode_image(img, codecs::ImageFormat::kPng);
    const std::string bytes(png->begin(), png->end());
    const int64_t now = store::now_ms();
    const std::vector<std::string> categories = {"objects", "counting", "spatial", "colour", "animals", "text"};
    const std::vector<std::string> languages = {"en", "fr", "de", "ja"};
    std::mt19937_64 rng(7);
    std::map<std::string, std::string> prompts;  // arena + category + language → a prompt id
    // Hidden strengths, so the boards have a real order.
    auto strength = [](const std::string& m) { return double(m[1] - '0'); };
    for (int i = 0; i < votes; ++i) {
      store::ArenaVoteRecord r;
      r.id = store::new_id("vote");
      r.arena = i % 10 == 0 ? "image-edit" : "text-to-image";
      r.voter_id = "voter" + std::to_string(i % 500);
      r.outcome_json = "{}";
      const size_t a = size_t(rng() % kModels);
      size_t b = size_t(rng() % (kModels - 1));
      if (b >= a) ++b;
      r.models = {models[a], models[b]};
      const double p = 1.0 / (1.0 + std::exp((strength(models[b]) - strength(models[a])) / 3.0));
      const bool left = std::uniform_real_distribution<double>(0, 1)(rng) < p;
      r.ranks = {left ? 0 : 1, left ? 1 : 0};
      r.category = categories[size_t(i) % categories.size()];
      r.language = languages[size_t(i / 7) % languages.size()];
      r.prompt_hash = "h" + std::to_string(i);
      r.created_at_ms = now - int64_t(votes - i) * 20'000;  // spread over the last ~23 days
      // Every vote has its battle (the store keeps them joined); the newest --battles get images:
      // the model pages' examples.
      const bool with_images = i >= votes - battles;
      const std::string prompt_key = r.arena + r.category + r.language;
      auto pit = prompts.find(prompt_key);
      if (with_images || pit == prompts.end()) {
        store::ArenaPromptRecord pr;
        pr.id = store::new_id("prm");
        pr.arena = r.arena;
        pr.text = "benchmark prompt " + std::to_string(i);
        pr.category = r.category;
        pr.language = r.language;
        pr.text_hash = pr.id;
        if (!s.insert_arena_prompt(pr).is_ok()) return 1;
        pit = prompts.insert_or_assign(prompt_key, pr.id).first;
      }
      store::ArenaBattleRecord bt;
      bt.id = store::new_id("battle");
      bt.arena = r.arena;
      bt.prompt_id = pit->second;
      bt.voter_id = r.voter_id;
      bt.width = bt.height = 256;
      bt.shown_at_ms = r.created_at_ms - 5000;
      bt.created_at_ms = r.created_at_ms - 10000;
      bt.expires_at_ms = now + 3'600'000;
      for (int k = 0; k < 2; ++k) {
        store::ArenaContestant c;
        c.slot = k ? "b" : "a";
        c.model = r.models[size_t(k)];
        c.status = "ready";
        if (with_images) {
          store::MediaRecord m;
          m.id = store::new_id("media");
          m.key_id = "arena";
          m.content_type = "image/png";
          m.width = m.height = 256;
          m.created_at_ms = now;
          (void)s.put_media(m, bytes);
          c.media_id = m.id;
        }
        bt.contestants.push_back(c);
      }
      if (Status sb = s.insert_arena_battle(bt); !sb.is_ok()) return std::fprintf(stderr, "%s\n", sb.message().c_str()), 1;
      r.battle_id = bt.id;
      if (Status st2 = s.insert_arena_vote(r); !st2.is_ok()) return std::fprintf(stderr, "%s\n", st2.message().c_str()), 1;
    }
    // 30 days of daily snapshots on every overall board (the quality tracker's history).
    std::vector<store::RatingSnapshotRecord> snaps;
    for (int d = 30; d >= 1; --d)
      for (const char* a : {"text-to-image", "image-edit"})
        for (int i = 0; i < kModels; ++i) {
          store::RatingSnapshotRecord r;
          r.arena = a;
          r.judge = "human";
          r.axis = "overall";
          r.model = models[size_t(i)];
          r.mu = 25 + i * 0.8 - d * 0.02;
          r.sigma = 1 + d * 0.05;
          r.score = r.mu - 3 * r.sigma;
          r.votes = int64_t(votes) * (31 - d) / 30 / 5;
          r.rank = kModels - i;
          r.taken_at_ms = now - int64_t(d) * 86'400'000;
          r.reason = "daily";
          snaps.push_back(r);
        }
    if (!s.insert_rating_snapshots(snaps).is_ok()) return 1;
  }

  int out_pipe[2];
  if (pipe(out_pipe) != 0) return 1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    FILE* log = std::fopen((dir.string() + ".log").c_str(), "a");
    if (log) dup2(fileno(log), 2);
    std::vector<std::string> args = {binary, "serve", "--port", "0", "--no-auth", "--data-dir", dir.string(),
                                     "--providers", (dir / "providers.json").string(), "--arena-pool", "0", "--threads", "1"};
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    execv(binary.c_str(), av.data());
    _exit(127);
  }
  close(out_pipe[1]);
  std::string line;
  char ch;
  while (read(out_pipe[0], &ch, 1) == 1 && ch != '\n') line += ch;
  const auto at = line.find("http://127.0.0.1:");
  if (at == std::string::npos) {
    std::fprintf(stderr, "server did not start: %s (log: %s.log)\n", line.c_str(), dir.c_str());
    kill(pid, SIGKILL);
    return 1;
  }
  const int port = std::stoi(line.substr(at + 17));
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  c.set_read_timeout(60, 0);
  // The start-up replay and the first Bradley–Terry recompute finish before the pages are timed.
  for (int i = 0; i < 100; ++i) {
    auto r = c.Get("/v1/arena/leaderboard");
    if (r && r->status == 200 && !json::parse(r->body).value("bt_stale", true)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  auto weigh = [&](const std::string& html) {
    // HTML plus every same-origin stylesheet and script it loads (images excluded).
    size_t bytes = html.size();
    std::set<std::string> assets;
    static const std::regex ref(R"re((?:href|src)="(/static/[^"]+\.(?:css|js)[^"]*)")re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it) assets.insert((*it)[1]);
    for (const auto& a : assets)
      if (auto r = c.Get(a); r && r->status == 200) bytes += r->body.size();
    return bytes;
  };
  json pages = json::object();
  int errors = 0;
  auto measure = [&](const std::string& name, const std::vector<std::string>& paths) {
    std::vector<double> ms;
    size_t weight = 0;
    for (const auto& p : paths) (void)c.Get(p);  // warm-up
    for (int i = 0; i < requests; ++i)
      for (const auto& p : paths) {
        const auto s = Clock::now();
        auto r = c.Get(p);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (!r || r->status != 200) {
          ++errors;
          continue;
        }
        if (i == 0) weight = std::max(weight, weigh(r->body));
      }
    pages[name] = {{"paths", paths},
                   {"requests", ms.size()},
                   {"ms", {{"p50", percentile(ms, 0.5)}, {"p90", percentile(ms, 0.9)}, {"p99", percentile(ms, 0.99)}}},
                   {"weight_bytes_max", weight}};
  };
  std::vector<std::string> model_pages;
  for (const auto& m : models) model_pages.push_back("/models/" + m);
  measure("model_page", model_pages);
  measure("leaderboard", {"/leaderboard", "/leaderboard?arena=image-edit", "/leaderboard?axis=category:counting",
                          "/leaderboard?axis=language:fr"});
  measure("home", {"/"});
  measure("organizations", {"/organizations", "/organizations/lab-a"});
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fs::remove_all(dir);
  fs::remove(dir.string() + ".log");
  json out = {{"benchmark", "web_pages"},
              {"models", kModels},
              {"votes", votes},
              {"battles_with_images", battles},
              {"requests_per_path", requests},
              {"errors", errors},
              {"targets", {{"server_ms_p50", 20}, {"weight_bytes", 150 * 1024}}},
              {"pages", pages}};
  std::printf("%s\n", out.dump(2).c_str());
  return errors == 0 ? 0 : 1;
}
