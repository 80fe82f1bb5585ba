// pictor arena: replay a vote log into leaderboards, and the auto-judge (judge, seed) that lets
// the detector vote on battles of the scenes world. See docs/arena.md.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "arena/auto_judge.h"
#include "core/log.h"
#include "arena/rating/leaderboard.h"
#include "arena/vote_outcome.h"
#include "arena/voter_token.h"
#include "core/progress.h"
#include "jobs/engine_pool.h"
#include "jobs/job_manager.h"
#include "store/data_dir.h"
#include "store/store.h"

namespace pictor::app {

using nlohmann::json;

namespace {

struct ArenaFlags {
  std::string file;
  std::string axis = "overall";
  bool all_boards = false;
  int bootstrap = 100;
  std::string data_dir;
  std::vector<std::string> models;
  int battles = 20;
  int contestants = 2;
  int threads = 0;
  bool quiet = false;
  bool verbose = false;
  bool skip_bad = false;
};

json row_json(const arena::LeaderboardRow& r) {
  return {{"model", r.model}, {"rank", r.rank},     {"rank_ub", r.rank_ub}, {"mu", r.mu},       {"sigma", r.sigma},
          {"score", r.score}, {"votes", r.votes},   {"shown", r.shown},     {"bt", r.bt},       {"bt_lo", r.bt_lo},
          {"bt_hi", r.bt_hi}};
}

json board_json(const arena::Leaderboard& b) {
  json rows = json::array();
  for (const auto& r : b.rows) rows.push_back(row_json(r));
  return {{"arena", b.arena}, {"judge", b.judge}, {"axis", b.axis}, {"votes", b.votes}, {"models", rows}};
}

int run_replay(const ArenaFlags& f) {
  std::ifstream in(f.file);
  if (!in) return fail(invalid_argument("cannot read " + f.file));
  std::vector<arena::RatedVote> votes;
  std::string line;
  int n = 0, bad = 0, skipped = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto v = arena::parse_vote_log_line(line);
    if (!v.is_ok()) {
      std::fprintf(stderr, "pictor: %s:%d: %s\n", f.file.c_str(), n, v.status().message().c_str());
      ++bad;
      continue;
    }
    if (!v->counted) {
      ++skipped;
      continue;
    }
    votes.push_back({v->arena, v->judge, v->models, v->ranks, v->weight, v->ts_ms, v->category, v->language});
  }
  if (bad > 0 && !f.skip_bad)
    return fail(invalid_argument(std::to_string(bad) + " bad line" + (bad > 1 ? "s" : "") + " in " + f.file +
                                 " (--skip-bad rates the rest)"));
  // Time order, stable for equal times (a log without ts keeps its line order).
  std::stable_sort(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.ts_ms < b.ts_ms; });
  arena::LeaderboardOptions opts;
  opts.bootstrap_rounds = f.bootstrap;
  opts.threads = 0;
  auto boards = arena::compute_leaderboards(votes, opts);
  if (!boards.is_ok()) return fail(boards.status());
  json out = {{"votes", votes.size()}, {"skipped_uncounted", skipped}, {"skipped_bad", bad}};
  if (f.all_boards) {
    json all = json::array();
    for (const auto& b : *boards) all.push_back(board_json(b));
    out["boards"] = all;
  } else {
    // One board per arena and judge on the asked axis: {"mu", "sigma", "score"} per model.
    json boards_out = json::array();
    for (const auto& b : *boards)
      if (b.axis == f.axis) boards_out.push_back(board_json(b));
    out["axis"] = f.axis;
    out["boards"] = boards_out;
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

// The store, engines, job queue and arena of a data directory, without HTTP.
struct LocalArena {
  store::DataDirLock lock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<jobs::EnginePool> engines;
  std::unique_ptr<jobs::JobManager> jobs;
  std::unique_ptr<arena::ArenaService> arena;
  ~LocalArena() {
    if (arena) arena->stop();
    if (jobs) jobs->shutdown(std::chrono::seconds(5));
  }
};

Status open_local(const ArenaFlags& f, LocalArena& l) {
  // The service's per-job and per-vote events are for a server's log; here the progress bar and
  // the JSON summary say what happened. Warnings and errors still show.
  if (!f.verbose) set_log_level(LogLevel::kWarn);
  const std::string dir = f.data_dir.empty() ? store::default_data_dir() : f.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create data directory " + dir + ": " + ec.message());
  PICTOR_RETURN_IF_ERROR(l.lock.acquire(dir));
  auto st = store::open_sqlite_store(store::sqlite_path(dir));
  if (!st.is_ok()) return st.status();
  l.store = std::move(*st);
  engine::LoadOptions lo;
  lo.threads = f.threads;
  l.engines = std::make_unique<jobs::EnginePool>(f.models.empty() ? std::vector<std::string>{"pictor-mini"} : f.models, lo);
  jobs::JobManagerOptions jo;
  jo.max_queue_depth = 100000;
  l.jobs = std::make_unique<jobs::JobManager>(*l.store, *l.engines, jo);
  PICTOR_RETURN_IF_ERROR(l.jobs->start());
  arena::ArenaOptions ao;
  ao.pool_size = 0;
  auto secret = arena::load_or_create_secret(dir + "/arena.secret");
  if (!secret.is_ok()) return secret.status();
  ao.secret = *secret;
  l.arena = std::make_unique<arena::ArenaService>(*l.store, *l.jobs, ao);
  return l.arena->start();
}

int finish_judging(const ArenaFlags& f, LocalArena& l, const Result<arena::JudgeSummary>& s) {
  if (!s.is_ok()) return fail(s.status());
  (void)l.arena->ratings().refresh();
  if (Status st = l.arena->snapshot("replay"); !st.is_ok()) return fail(st);
  const auto board = l.arena->leaderboard("text-to-image", "auto", "overall");
  json out = {{"judged", s->judged}, {"abstained", s->abstained}, {"failed", s->failed}, {"leaderboard", board_json(board)}};
  std::printf("%s\n", out.dump(2).c_str());
  return s->failed > 0 ? 1 : 0;
}

int run_judge(const ArenaFlags& f) {
  LocalArena l;
  if (Status s = open_local(f, l); !s.is_ok()) return fail(s);
  ProgressBar bar("judging", 1, !f.quiet && stderr_is_terminal());
  auto s = arena::judge_pending(*l.arena, [&](int done, int total) { bar.update(done, std::to_string(done) + "/" + std::to_string(total)); });
  bar.finish();
  return finish_judging(f, l, s);
}

int run_seed(const ArenaFlags& f) {
  LocalArena l;
  if (Status s = open_local(f, l); !s.is_ok()) return fail(s);
  ProgressBar bar("seeding the auto-judge board", f.battles, !f.quiet && stderr_is_terminal());
  auto s = arena::seed_auto_battles(*l.arena, f.battles, f.contestants, [&](int done, int) { bar.update(done); });
  bar.finish();
  return finish_judging(f, l, s);
}

}  // namespace

Command add_arena_command(CLI::App& root) {
  auto f = std::make_shared<ArenaFlags>();
  auto* cmd = root.add_subcommand("arena", "the image arena: replay a vote log, and the detector's auto-judge board");
  cmd->require_subcommand(1);
  const std::string dir_help = "data directory (default: $PICTOR_DATA_DIR, else $XDG_DATA_HOME/pictor, else ~/.local/share/pictor); "
                               "the server must not be running on it";

  auto* replay = cmd->add_subcommand("replay", "recompute TrueSkill and Bradley–Terry leaderboards from a JSON-lines vote log "
                                               "(GET /v1/arena/votes?format=jsonl) and print them as JSON");
  replay->add_option("file", f->file, "the vote log: one JSON object per line, {\"left\",\"right\",\"outcome\",\"ts\"} or "
                                      "{\"models\",\"ranks\",\"ts\"}")->required();
  replay->add_option("--axis", f->axis, "overall | category:ID | language:CODE")->capture_default_str();
  replay->add_flag("--all-boards", f->all_boards, "print every board (arena × judge × axis)");
  replay->add_flag("--skip-bad", f->skip_bad, "report bad lines but rate the good ones (default: any bad line fails)");
  replay->add_option("--bootstrap", f->bootstrap, "Bradley–Terry bootstrap rounds")->check(CLI::Range(0, 10000))->capture_default_str();

  auto* judge = cmd->add_subcommand("judge", "let the detector vote on every unvoted auto-judge battle (prompts of the scenes world)");
  auto* seed = cmd->add_subcommand("seed", "create auto-judge battles on built-in prompts, draw and judge them, so a fresh "
                                           "install's auto board is not empty");
  seed->add_option("--battles", f->battles, "battles to create")->check(CLI::Range(1, 100000))->capture_default_str();
  seed->add_option("--contestants", f->contestants, "models per battle")->check(CLI::Range(2, 4))->capture_default_str();
  for (auto* sub : {judge, seed}) {
    sub->add_option("--data-dir", f->data_dir, dir_help);
    sub->add_option("--model", f->models, "models that compete (repeatable; default pictor-mini and its fast setting)");
    sub->add_option("--threads", f->threads, "CPU threads per generation (0 = all cores)")->check(CLI::Range(0, 1024));
    sub->add_flag("--quiet", f->quiet, "no progress bar");
    sub->add_flag("--verbose", f->verbose, "log every job and vote (JSON lines on stderr)");
  }
  return {cmd, [f, replay, judge, seed] {
            if (replay->parsed()) return run_replay(*f);
            if (judge->parsed()) return run_judge(*f);
            if (seed->parsed()) return run_seed(*f);
            return 2;
          }};
}

}  // namespace pictor::app
