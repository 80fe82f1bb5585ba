// pictor-arena-votes: latency of POST /v1/arena/battles/{id}/vote under concurrent voters, on
// loopback, bounded in count. It fills a fresh data directory with ready battles (and optionally
// a history of votes), starts the real `pictor serve`, lets --voters threads each cast --votes
// votes on their own battles (each voter with its own signed cookie), and prints one JSON object.
// --rate paces each voter (votes per second, phases spread evenly over the voters); --rate 0 sends
// back to back, which measures saturation (latency is then mostly queueing behind the other voters).
// Usage: pictor-arena-votes --pictor build/src/app/pictor [--voters 20] [--votes 50] [--rate 10]
//                           [--history 0]
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "arena/voter_token.h"
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
  const int voters = std::stoi(arg(argc, argv, "--voters", "20"));
  const int votes_each = std::stoi(arg(argc, argv, "--votes", "50"));
  const int history = std::stoi(arg(argc, argv, "--history", "0"));
  const double rate = std::stod(arg(argc, argv, "--rate", "10"));
  const fs::path dir = fs::temp_directory_path() / ("pictor-arena-votes-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string secret = "benchmark-secret-0123456789abcdef0123";
  std::ofstream(dir / "arena.secret") << secret << "\n";

  // Battles: one per vote, two ready slots, shown 10 s ago (so every vote counts).
  std::vector<std::string> tokens;
  std::vector<std::vector<std::string>> battles{size_t(voters)};
  {
    auto st = store::open_sqlite_store((dir / "pictor.db").string());
    if (!st.is_ok()) return std::fprintf(stderr, "%s\n", st.status().message().c_str()), 1;
    auto& s = **st;
    Image img(64, 64, 3);
    auto png = codecs::encode_image(img, codecs::ImageFormat::kPng);
    const std::string bytes(png->begin(), png->end());
    const int64_t now = store::now_ms();
    const std::vector<std::string> models = {"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"};
    for (int v = 0; v < voters; ++v) {
      tokens.push_back(arena::new_voter_token(secret));
      const std::string voter = *arena::verify_voter_token(secret, tokens.back());
      for (int i = 0; i < votes_each; ++i) {
        store::ArenaPromptRecord p;
        p.id = store::new_id("prm");
        p.arena = "text-to-image";
        p.text = "prompt " + std::to_string(v) + "-" + std::to_string(i);
        p.category = "objects";
        p.language = "en";
        p.text_hash = p.id;
        (void)s.insert_arena_prompt(p);
        store::ArenaBattleRecord b;
        b.id = store::new_id("battle");
        b.arena = p.arena;
        b.prompt_id = p.id;
        b.voter_id = voter;
        b.width = b.height = 64;
        b.shown_at_ms = now - 10'000;
        b.created_at_ms = now - 20'000;
        b.expires_at_ms = now + 3'600'000;
        for (int k = 0; k < 2; ++k) {
          store::MediaRecord m;
          m.id = store::new_id("media");
          m.key_id = "arena";
          m.content_type = "image/png";
          m.width = m.height = 64;
          m.created_at_ms = now;
          (void)s.put_media(m, bytes);
          store::ArenaContestant c;
          c.slot = k ? "b" : "a";
          c.model = models[size_t((v * 7 + i * 3 + k) % 10)];
          if (k && c.model == b.contestants[0].model) c.model = models[size_t((v * 7 + i * 3 + 2) % 10)];
          c.media_id = m.id;
          c.status = "ready";
          b.contestants.push_back(c);
        }
        if (!s.insert_arena_battle(b).is_ok()) return 1;
        battles[size_t(v)].push_back(b.id);
      }
    }
    // An optional history, so the server replays a large log at start and counts against it.
    // Every vote names a stored battle (arena_votes.battle_id references arena_battles): a vote
    // without one is refused by the store, and the history would silently be empty.
    store::ArenaPromptRecord hp;
    hp.id = store::new_id("prm");
    hp.arena = "text-to-image";
    hp.text = "history prompt";
    hp.category = "objects";
    hp.language = "en";
    hp.text_hash = hp.id;
    if (history > 0 && !s.insert_arena_prompt(hp).is_ok()) return 1;
    for (int i = 0; i < history; ++i) {
      store::ArenaBattleRecord hb;
      hb.id = "battle_history_" + std::to_string(i);
      hb.arena = hp.arena;
      hb.prompt_id = hp.id;
      hb.voter_id = "history";
      hb.width = hb.height = 64;
      hb.created_at_ms = now - 86'400'000 + i;
      hb.expires_at_ms = now - 86'400'000 + i + 3'600'000;
      const std::vector<std::string> pair = {models[size_t(i % 10)], models[size_t((i % 10 + 1 + (i / 10) % 9) % 10)]};
      for (int k = 0; k < 2; ++k) {
        store::ArenaContestant c;
        c.slot = k ? "b" : "a";
        c.model = pair[size_t(k)];
        c.status = "ready";
        hb.contestants.push_back(c);
      }
      if (Status st = s.insert_arena_battle(hb); !st.is_ok()) {
        std::fprintf(stderr, "history battle %d: %s\n", i, st.message().c_str());
        return 1;
      }
      store::ArenaVoteRecord r;
      r.id = store::new_id("vote");
      r.battle_id = hb.id;
      r.arena = "text-to-image";
      r.voter_id = "history";
      r.outcome_json = "{}";
      r.models = pair;  // never the same
      r.ranks = {int(i % 3 == 0), int(i % 3 != 0)};
      r.category = "objects";
      r.language = "en";
      r.prompt_hash = "h" + std::to_string(i);
      r.created_at_ms = now - 86'400'000 + i;
      if (Status st = s.insert_arena_vote(r); !st.is_ok()) {
        std::fprintf(stderr, "history vote %d: %s\n", i, st.message().c_str());
        return 1;
      }
    }
  }

  int out_pipe[2];
  if (pipe(out_pipe) != 0) return 1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    FILE* log = std::fopen((dir.string() + ".log").c_str(), "a");
    if (log) dup2(fileno(log), 2);
    std::vector<std::string> args = {binary, "serve", "--port", "0", "--no-auth", "--data-dir", dir.string(),
                                     "--arena-pool", "0", "--arena-votes-per-minute", "0", "--arena-anonymous-per-minute", "0",
                                     "--arena-daily-votes", "0", "--threads", "1"};
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

  std::vector<std::vector<double>> lat{size_t(voters)};
  std::atomic<int> errors{0};
  // The server finishes warming up (its engines' first allocations) just after it reports ready.
  const double settle_s = std::stod(arg(argc, argv, "--settle", "1"));
  std::this_thread::sleep_for(std::chrono::duration<double>(settle_s));
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int v = 0; v < voters; ++v)
    threads.emplace_back([&, v] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      const httplib::Headers h = {{"Cookie", "pictor_voter=" + tokens[size_t(v)]}};
      const auto start = t0 + std::chrono::microseconds(rate > 0 ? int64_t(1e6 / rate * v / voters) : 0);
      int sent = 0;
      for (const auto& id : battles[size_t(v)]) {
        if (rate > 0)
          std::this_thread::sleep_until(start + std::chrono::microseconds(int64_t(1e6 / rate * sent)));
        ++sent;
        const auto s = Clock::now();
        auto r = c.Post("/v1/arena/battles/" + id + "/vote", h, R"({"winner": "a"})", "application/json");
        lat[size_t(v)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (!r || r->status != 200) ++errors;
      }
    });
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  if (std::getenv("ARENA_VOTES_TRACE"))
    for (size_t v = 0; v < lat.size(); ++v)
      for (size_t i = 0; i < lat[v].size(); ++i)
        if (lat[v][i] > 20) std::fprintf(stderr, "voter %zu vote %zu: %.1f ms\n", v, i, lat[v][i]);
  // Every vote must be stored and counted once.
  httplib::Client c("127.0.0.1", port);
  auto exported = c.Get("/v1/arena/votes?format=jsonl");
  int stored = 0;
  if (exported && exported->status == 200)
    for (size_t p = 0; (p = exported->body.find("\"voter\":", p)) != std::string::npos; ++p) ++stored;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fs::remove_all(dir);
  fs::remove(dir.string() + ".log");
  json out = {{"benchmark", "arena_votes"},
              {"voters", voters},
              {"votes", all.size()},
              {"history_votes", history},
              {"rate_per_voter", rate},
              {"settle_s", settle_s},
              {"errors", errors.load()},
              {"stored_votes", stored},
              {"wall_s", wall},
              {"votes_per_s", double(all.size()) / wall},
              {"latency_ms", {{"p50", percentile(all, 0.5)}, {"p90", percentile(all, 0.9)}, {"p99", percentile(all, 0.99)},
                              {"max", percentile(all, 1.0)}}}};
  std::printf("%s\n", out.dump(2).c_str());
  return errors.load() == 0 ? 0 : 1;
}
