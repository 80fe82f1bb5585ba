#include "arena/rating/leaderboard.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "arena/rating/bradley_terry.h"

namespace pictor::arena {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A vote as one board sees it: the board's own model indices.
struct BoardVote {
  int n = 0;
  std::array<int, TrueSkill::kMaxPlayers> model{}, rank{};
  double weight = 1.0;
};

struct BoardWork {
  std::string arena, judge, axis;
  std::vector<std::string> models;       // local index → name
  std::vector<int> local;                // global model id → local index, −1 if absent
  std::vector<BoardVote> votes;          // in time order
  std::vector<Rating> ratings;
  std::vector<int64_t> model_votes;
  std::vector<BradleyTerryRating> bt;
  int64_t skipped = 0;
  Status status;
};

// Strings to dense ids, in first-seen order.
class Interner {
 public:
  int id(const std::string& s) {
    return ids_.try_emplace(s, int(ids_.size())).first->second;
  }

 private:
  std::unordered_map<std::string, int> ids_;
};

// FNV-1a: a board's bootstrap seed must not depend on std::hash or on the thread that runs it.
uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Runs fn(task) for task in order[...] on `threads` threads, each taking the next task.
template <typename Fn>
void run_parallel(const std::vector<int>& order, int threads, Fn fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t t = next++; t < order.size(); t = next++) fn(order[t]);
  };
  const int extra = std::max(0, std::min<int>(threads, int(order.size())) - 1);
  std::vector<std::thread> pool;
  pool.reserve(extra);
  for (int i = 0; i < extra; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

Status check_vote(const RatedVote& v, size_t index) {
  const std::string where = "vote " + std::to_string(index) + ": ";
  const size_t n = v.models.size();
  if (n < size_t(TrueSkill::kMinPlayers) || n > size_t(TrueSkill::kMaxPlayers))
    return invalid_argument(where + "needs 2 to 4 models");
  if (v.ranks.size() != n) return invalid_argument(where + "ranks and models differ in size");
  if (!(v.weight > 0.0 && v.weight <= 1.0)) return invalid_argument(where + "weight must be in (0, 1]");
  for (size_t a = 0; a < n; ++a) {
    if (v.models[a].empty()) return invalid_argument(where + "empty model name");
    for (size_t b = a + 1; b < n; ++b) {
      if (v.models[a] == v.models[b]) return invalid_argument(where + "model " + v.models[a] + " twice");
    }
  }
  return Status::ok();
}

void replay_trueskill(const TrueSkill& ts, BoardWork& board) {
  board.ratings.assign(board.models.size(), ts.create_rating());
  board.model_votes.assign(board.models.size(), 0);
  std::array<Rating, TrueSkill::kMaxPlayers> in, out;
  for (const BoardVote& v : board.votes) {
    for (int k = 0; k < v.n; ++k) {
      in[k] = board.ratings[v.model[k]];
      ++board.model_votes[v.model[k]];
    }
    Status st = ts.rate_into(std::span(in.data(), v.n), std::span(v.rank.data(), v.n), v.weight,
                             std::span(out.data(), v.n));
    if (!st.is_ok()) {
      ++board.skipped;  // keep the ratings as they were
      continue;
    }
    for (int k = 0; k < v.n; ++k) board.ratings[v.model[k]] = out[k];
  }
}

void fit_board_bt(const LeaderboardOptions& o, BoardWork& board) {
  PairCounts counts(int(board.models.size()));
  for (const BoardVote& v : board.votes) {
    Status st = counts.add_ranking(std::span(v.model.data(), v.n), std::span(v.rank.data(), v.n),
                                   v.weight);
    if (!st.is_ok()) {
      board.status = st;
      return;
    }
  }
  BradleyTerryOptions bo;
  bo.l2 = o.bt_l2;
  bo.bootstrap_rounds = o.bootstrap_rounds;
  bo.seed = fnv1a(board.arena + '\n' + board.judge + '\n' + board.axis, fnv1a(std::to_string(o.seed)));
  auto fit = fit_bradley_terry(counts, bo);
  if (!fit.is_ok()) {
    board.status = fit.status();
    return;
  }
  board.bt = std::move(fit.value());
}

Leaderboard finish_board(const BoardWork& w, int min_votes) {
  Leaderboard b;
  b.arena = w.arena;
  b.judge = w.judge;
  b.axis = w.axis;
  b.votes = int64_t(w.votes.size());
  b.skipped = w.skipped;
  const size_t k = w.models.size();
  b.rows.resize(k);
  for (size_t m = 0; m < k; ++m) {
    LeaderboardRow& r = b.rows[m];
    r.model = w.models[m];
    r.mu = w.ratings[m].mu;
    r.sigma = w.ratings[m].sigma;
    r.score = w.ratings[m].score();
    r.votes = w.model_votes[m];
    r.bt = w.bt[m].rating;
    r.bt_lo = w.bt[m].lo;
    r.bt_hi = w.bt[m].hi;
    r.shown = r.votes >= min_votes;
  }
  for (LeaderboardRow& r : b.rows) {
    int higher = 0, above = 0;
    for (const LeaderboardRow& o : b.rows) {
      if (!o.shown) continue;
      higher += o.score > r.score ? 1 : 0;
      above += o.bt_lo > r.bt_hi ? 1 : 0;
    }
    r.rank = 1 + higher;
    r.rank_ub = 1 + above;
  }
  std::sort(b.rows.begin(), b.rows.end(), [](const LeaderboardRow& x, const LeaderboardRow& y) {
    return x.score != y.score ? x.score > y.score : x.model < y.model;
  });
  return b;
}

}  // namespace

Result<std::vector<Leaderboard>> compute_leaderboards(const std::vector<RatedVote>& votes,
                                                      const LeaderboardOptions& options,
                                                      LeaderboardTimings* timings) {
  const auto t0 = Clock::now();
  auto ts = TrueSkill::create(options.trueskill);
  if (!ts.is_ok()) return ts.status();
  if (options.bootstrap_rounds < 0) return invalid_argument("leaderboard: bootstrap_rounds must be >= 0");
  if (options.threads < 0) return invalid_argument("leaderboard: threads must be >= 0");
  for (size_t i = 0; i < votes.size(); ++i) PICTOR_RETURN_IF_ERROR(check_vote(votes[i], i));
  int threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  std::vector<size_t> order(votes.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return votes[a].ts_ms < votes[b].ts_ms; });

  // Group votes into boards. Strings are interned once per vote; a board is found by
  // (arena·judge id, axis kind, value id) and a model by a per-board table of global ids.
  Interner models, arena_judges, categories, languages;
  std::unordered_map<uint64_t, int> board_ids;
  std::vector<BoardWork> boards;
  auto board_for = [&](const RatedVote& v, int aj, int kind, int value) -> BoardWork& {
    const uint64_t key = (uint64_t(aj) << 34) | (uint64_t(kind) << 32) | uint32_t(value);
    auto [it, added] = board_ids.try_emplace(key, int(boards.size()));
    if (added) {
      boards.emplace_back();
      boards.back().arena = v.arena;
      boards.back().judge = v.judge;
      boards.back().axis = kind == 0 ? "overall"
                           : kind == 1 ? "category:" + v.category
                                       : "language:" + v.language;
    }
    return boards[it->second];
  };
  std::array<int, TrueSkill::kMaxPlayers> global{};
  std::string aj_key;
  for (size_t idx : order) {
    const RatedVote& v = votes[idx];
    const int n = int(v.models.size());
    for (int k = 0; k < n; ++k) global[k] = models.id(v.models[k]);
    aj_key.assign(v.arena).append(1, '\n').append(v.judge);
    const int aj = arena_judges.id(aj_key);
    auto add = [&](BoardWork& b) {
      BoardVote bv;
      bv.n = n;
      bv.weight = v.weight;
      for (int k = 0; k < n; ++k) {
        if (size_t(global[k]) >= b.local.size()) b.local.resize(global[k] + 1, -1);
        int& local = b.local[global[k]];
        if (local < 0) {
          local = int(b.models.size());
          b.models.push_back(v.models[k]);
        }
        bv.model[k] = local;
        bv.rank[k] = v.ranks[k];
      }
      b.votes.push_back(bv);
    };
    add(board_for(v, aj, 0, 0));
    if (!v.category.empty()) add(board_for(v, aj, 1, categories.id(v.category)));
    if (!v.language.empty()) add(board_for(v, aj, 2, languages.id(v.language)));
  }
  // Biggest boards first so that the threads finish together.
  std::vector<int> work(boards.size());
  std::iota(work.begin(), work.end(), 0);
  std::stable_sort(work.begin(), work.end(),
                   [&](int a, int b) { return boards[a].votes.size() > boards[b].votes.size(); });
  LeaderboardTimings local_t;
  local_t.prepare_s = seconds_since(t0);

  const auto t1 = Clock::now();
  run_parallel(work, threads, [&](int b) { replay_trueskill(ts.value(), boards[b]); });
  local_t.trueskill_s = seconds_since(t1);

  const auto t2 = Clock::now();
  run_parallel(work, threads, [&](int b) { fit_board_bt(options, boards[b]); });
  local_t.bt_s = seconds_since(t2);
  if (timings) *timings = local_t;

  std::vector<int> by_key(boards.size());
  std::iota(by_key.begin(), by_key.end(), 0);
  std::sort(by_key.begin(), by_key.end(), [&](int a, int b) {
    return std::tie(boards[a].arena, boards[a].judge, boards[a].axis) <
           std::tie(boards[b].arena, boards[b].judge, boards[b].axis);
  });
  std::vector<Leaderboard> out;
  out.reserve(boards.size());
  for (int b : by_key) {
    if (!boards[b].status.is_ok()) return boards[b].status;
    out.push_back(finish_board(boards[b], options.min_votes));
  }
  return out;
}

HeadToHead head_to_head(const std::vector<RatedVote>& votes, const std::string& arena,
                        const std::string& judge, const std::string& a, const std::string& b) {
  HeadToHead h;
  for (const RatedVote& v : votes) {
    if (v.arena != arena || v.judge != judge || v.ranks.size() != v.models.size()) continue;
    int ia = -1, ib = -1;
    for (size_t k = 0; k < v.models.size(); ++k) {
      if (v.models[k] == a) ia = int(k);
      if (v.models[k] == b) ib = int(k);
    }
    if (ia < 0 || ib < 0 || ia == ib) continue;
    if (v.ranks[ia] < v.ranks[ib]) {
      ++h.wins;
    } else if (v.ranks[ia] > v.ranks[ib]) {
      ++h.losses;
    } else {
      ++h.ties;
    }
  }
  return h;
}

}  // namespace pictor::arena
