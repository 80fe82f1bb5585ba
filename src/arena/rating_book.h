#pragma once
// RatingBook: the arena's ratings in memory. The counted votes (in time order) are the truth; a
// full recompute (compute_leaderboards: TrueSkill replay + Bradley–Terry bootstrap) replaces
// everything, and between recomputes each new vote updates its three boards' TrueSkill at once,
// so a vote's response and the next leaderboard read already show it. Bradley–Terry columns come
// from the last full recompute (marked stale until the next one). Thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "arena/rating/leaderboard.h"
#include "arena/rating/trueskill.h"

namespace pictor::arena {

struct VoteMeta {
  std::string battle_id;
  int64_t created_at_ms = 0;
};

struct BoardKey {
  std::string arena, judge, axis;
  auto operator<=>(const BoardKey&) const = default;
};

class RatingBook {
 public:
  explicit RatingBook(LeaderboardOptions options);

  // Replaces every vote and recomputes all boards (counted votes only, time order).
  Status reset(std::vector<RatedVote> votes, std::vector<VoteMeta> meta);
  // Adds one counted vote: TrueSkill of its boards updated now, Bradley–Terry marked stale.
  Status add(const RatedVote& vote, const VoteMeta& meta);
  // Votes other nodes stored (a shared store): the ones whose battle is not held yet are added as
  // add() does; returns how many. The next refresh replays all held votes in time order, so the
  // boards end up as if one node had taken every vote.
  Result<int> merge(const std::vector<RatedVote>& votes, const std::vector<VoteMeta>& meta);
  // Recomputes everything from the votes held (Bradley–Terry included, time order) when stale.
  Status refresh();
  bool stale() const;

  // A board as it is now (TrueSkill live, Bradley–Terry from the last recompute). Missing board →
  // an empty one with the key's names.
  Leaderboard board(const BoardKey& key) const;
  std::vector<BoardKey> board_keys() const;
  // All boards (for snapshots).
  std::vector<Leaderboard> all_boards() const;
  // Current overall rating of each model on (arena, judge): for matchmaking.
  std::map<std::string, LeaderboardRow> overall(const std::string& arena, const std::string& judge) const;

  HeadToHead head_to_head(const std::string& arena, const std::string& judge, const std::string& a,
                          const std::string& b) const;
  // Votes (with their battle) in which `model` ranked first or tied first, newest first.
  struct Win {
    RatedVote vote;
    VoteMeta meta;
  };
  std::vector<Win> wins_of(const std::string& model, const std::string& judge, size_t limit) const;
  int64_t votes_held() const;

 private:
  struct LiveRow {
    Rating rating;
    int64_t votes = 0;
  };
  void rebuild_live_locked();
  Status add_locked(const RatedVote& vote, const VoteMeta& meta);
  Leaderboard board_locked(const BoardKey& key) const;

  LeaderboardOptions options_;
  TrueSkill trueskill_;
  mutable std::mutex mutex_;
  std::vector<RatedVote> votes_;
  std::vector<VoteMeta> meta_;
  std::set<std::string> held_battles_;  // battle ids of votes_, for merge
  std::map<BoardKey, Leaderboard> computed_;               // last full recompute
  std::map<BoardKey, std::map<std::string, LiveRow>> live_;  // TrueSkill now
  bool stale_ = false;
};

// The three boards a vote counts on.
std::vector<BoardKey> boards_of(const RatedVote& v);

}  // namespace pictor::arena
