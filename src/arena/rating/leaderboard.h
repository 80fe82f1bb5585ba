#pragma once
// The pure "recompute everything" step: from all votes (in time order) to every leaderboard, one
// per (arena, judge, axis), with TrueSkill replayed from the prior and Bradley–Terry alongside.
#include <cstdint>
#include <string>
#include <vector>

#include "arena/rating/trueskill.h"
#include "core/status.h"

namespace pictor::arena {

struct RatedVote {
  std::string arena;
  std::string judge;                // "human" | "auto"
  std::vector<std::string> models;  // 2–4 distinct models
  std::vector<int> ranks;           // lower = better, equal = tie
  double weight = 1.0;              // (0, 1]
  int64_t ts_ms = 0;
  std::string category;  // empty: the vote has no category axis
  std::string language;  // empty: the vote has no language axis
};

struct LeaderboardOptions {
  TrueSkillParams trueskill;
  int bootstrap_rounds = 100;
  uint64_t seed = 0;    // each board draws from seed and its own key, whatever the thread count
  int min_votes = 3;    // a model is shown on a board from this many votes there
  int threads = 1;      // 0 = hardware concurrency; results do not depend on it
  double bt_l2 = 0.1;   // BradleyTerryOptions::l2
};

struct LeaderboardRow {
  std::string model;
  double mu = 0.0, sigma = 0.0, score = 0.0;  // TrueSkill after the replay; score = mu − 3 sigma
  int64_t votes = 0;                          // votes on this board the model took part in
  double bt = 0.0, bt_lo = 0.0, bt_hi = 0.0;  // Bradley–Terry rating and 95 % bootstrap interval
  int rank = 0;     // 1 + shown models with a strictly higher score
  int rank_ub = 0;  // 1 + shown models whose bt_lo > this model's bt_hi
  bool shown = false;  // votes >= min_votes
};

struct Leaderboard {
  std::string arena, judge;
  std::string axis;   // "overall", "category:<c>" or "language:<l>"
  int64_t votes = 0;  // votes counted on this board
  int64_t skipped = 0;  // votes whose TrueSkill update was numerically unstable (kept for BT)
  std::vector<LeaderboardRow> rows;  // by score descending, then model name
};

struct LeaderboardTimings {
  double prepare_s = 0.0, trueskill_s = 0.0, bt_s = 0.0;
};

// Every vote counts on its arena and judge's "overall" board and on its category and language
// boards. Ties in ts_ms keep the input order. Boards come sorted by (arena, judge, axis).
// A malformed vote (2–4 distinct models, ranks to match, weight in (0, 1]) fails the whole call.
Result<std::vector<Leaderboard>> compute_leaderboards(const std::vector<RatedVote>& votes,
                                                      const LeaderboardOptions& options = {},
                                                      LeaderboardTimings* timings = nullptr);

struct HeadToHead {
  int64_t wins = 0, losses = 0, ties = 0;  // from a's side, over votes where both took part
};
HeadToHead head_to_head(const std::vector<RatedVote>& votes, const std::string& arena,
                        const std::string& judge, const std::string& a, const std::string& b);

}  // namespace pictor::arena
