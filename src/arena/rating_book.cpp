#include "arena/rating_book.h"

#include <algorithm>

namespace pictor::arena {

std::vector<BoardKey> boards_of(const RatedVote& v) {
  std::vector<BoardKey> keys = {{v.arena, v.judge, "overall"}};
  if (!v.category.empty()) keys.push_back({v.arena, v.judge, "category:" + v.category});
  if (!v.language.empty()) keys.push_back({v.arena, v.judge, "language:" + v.language});
  return keys;
}

RatingBook::RatingBook(LeaderboardOptions options) : options_(options) {
  auto ts = TrueSkill::create(options.trueskill);
  if (ts.is_ok()) trueskill_ = *ts;  // the defaults are valid; callers pass checked params
}

Status RatingBook::reset(std::vector<RatedVote> votes, std::vector<VoteMeta> meta) {
  auto boards = compute_leaderboards(votes, options_);
  if (!boards.is_ok()) return boards.status();
  std::lock_guard lock(mutex_);
  votes_ = std::move(votes);
  meta_ = std::move(meta);
  held_battles_.clear();
  for (const auto& m : meta_) held_battles_.insert(m.battle_id);
  computed_.clear();
  for (auto& b : *boards) computed_[{b.arena, b.judge, b.axis}] = std::move(b);
  rebuild_live_locked();
  stale_ = false;
  return Status::ok();
}

void RatingBook::rebuild_live_locked() {
  live_.clear();
  for (const auto& [key, board] : computed_)
    for (const auto& row : board.rows) live_[key][row.model] = {{row.mu, row.sigma}, row.votes};
}

Status RatingBook::add(const RatedVote& vote, const VoteMeta& meta) {
  std::lock_guard lock(mutex_);
  return add_locked(vote, meta);
}

Status RatingBook::add_locked(const RatedVote& vote, const VoteMeta& meta) {
  for (const BoardKey& key : boards_of(vote)) {
    auto& rows = live_[key];
    std::vector<Rating> before;
    for (const auto& m : vote.models) {
      auto it = rows.find(m);
      before.push_back(it == rows.end() ? trueskill_.create_rating() : it->second.rating);
    }
    auto after = trueskill_.rate(before, vote.ranks, vote.weight);
    if (!after.is_ok()) return after.status();
    for (size_t i = 0; i < vote.models.size(); ++i) {
      auto& row = rows[vote.models[i]];
      row.rating = (*after)[i];
      row.votes += 1;
    }
  }
  votes_.push_back(vote);
  meta_.push_back(meta);
  held_battles_.insert(meta.battle_id);
  stale_ = true;
  return Status::ok();
}

Result<int> RatingBook::merge(const std::vector<RatedVote>& votes, const std::vector<VoteMeta>& meta) {
  std::lock_guard lock(mutex_);
  int added = 0;
  for (size_t i = 0; i < votes.size() && i < meta.size(); ++i) {
    if (held_battles_.count(meta[i].battle_id)) continue;
    PICTOR_RETURN_IF_ERROR(add_locked(votes[i], meta[i]));
    ++added;
  }
  return added;
}

Status RatingBook::refresh() {
  std::vector<RatedVote> votes;
  std::vector<VoteMeta> meta;
  {
    std::lock_guard lock(mutex_);
    if (!stale_) return Status::ok();
    votes = votes_;
    meta = meta_;
  }
  // A vote added while this recomputes stays in the live boards and keeps the book stale.
  const size_t n = votes.size();
  // Time order is the truth; merged votes from other nodes may have arrived late.
  if (!std::is_sorted(votes.begin(), votes.end(), [](const RatedVote& a, const RatedVote& b) { return a.ts_ms < b.ts_ms; }))
    std::stable_sort(votes.begin(), votes.end(), [](const RatedVote& a, const RatedVote& b) { return a.ts_ms < b.ts_ms; });
  auto boards = compute_leaderboards(votes, options_);
  if (!boards.is_ok()) return boards.status();
  std::lock_guard lock(mutex_);
  computed_.clear();
  for (auto& b : *boards) computed_[{b.arena, b.judge, b.axis}] = std::move(b);
  if (votes_.size() == n) {
    rebuild_live_locked();
    stale_ = false;
  } else {
    // Re-apply the newer votes on top of the recomputed TrueSkill.
    std::vector<RatedVote> newer(votes_.begin() + long(n), votes_.end());
    std::vector<VoteMeta> newer_meta(meta_.begin() + long(n), meta_.end());
    votes_.resize(n);
    meta_.resize(n);
    rebuild_live_locked();
    for (size_t i = 0; i < newer.size(); ++i) PICTOR_RETURN_IF_ERROR(add_locked(newer[i], newer_meta[i]));
  }
  return Status::ok();
}

bool RatingBook::stale() const {
  std::lock_guard lock(mutex_);
  return stale_;
}

Leaderboard RatingBook::board_locked(const BoardKey& key) const {
  Leaderboard out;
  out.arena = key.arena;
  out.judge = key.judge;
  out.axis = key.axis;
  auto live = live_.find(key);
  if (live == live_.end()) return out;
  std::map<std::string, const LeaderboardRow*> bt;
  if (auto c = computed_.find(key); c != computed_.end())
    for (const auto& row : c->second.rows) bt[row.model] = &row;
  for (const auto& [model, lr] : live->second) {
    LeaderboardRow row;
    row.model = model;
    row.mu = lr.rating.mu;
    row.sigma = lr.rating.sigma;
    row.score = lr.rating.score();
    row.votes = lr.votes;
    row.shown = lr.votes >= options_.min_votes;
    if (auto it = bt.find(model); it != bt.end()) {
      row.bt = it->second->bt;
      row.bt_lo = it->second->bt_lo;
      row.bt_hi = it->second->bt_hi;
    }
    out.rows.push_back(row);
  }
  for (const auto& row : out.rows) out.votes = std::max(out.votes, row.votes);
  std::sort(out.rows.begin(), out.rows.end(), [](const LeaderboardRow& a, const LeaderboardRow& b) {
    return a.score != b.score ? a.score > b.score : a.model < b.model;
  });
  for (auto& row : out.rows) {
    row.rank = 1;
    row.rank_ub = 1;
    for (const auto& other : out.rows) {
      if (!other.shown || &other == &row) continue;
      if (other.score > row.score) ++row.rank;
      if (other.bt_lo > row.bt_hi) ++row.rank_ub;
    }
  }
  if (auto c = computed_.find(key); c != computed_.end()) out.votes = std::max(out.votes, c->second.votes);
  return out;
}

Leaderboard RatingBook::board(const BoardKey& key) const {
  std::lock_guard lock(mutex_);
  return board_locked(key);
}

std::vector<BoardKey> RatingBook::board_keys() const {
  std::lock_guard lock(mutex_);
  std::vector<BoardKey> keys;
  for (const auto& [k, _] : live_) keys.push_back(k);
  return keys;
}

std::vector<Leaderboard> RatingBook::all_boards() const {
  std::lock_guard lock(mutex_);
  std::vector<Leaderboard> out;
  for (const auto& [k, _] : live_) out.push_back(board_locked(k));
  return out;
}

std::map<std::string, LeaderboardRow> RatingBook::overall(const std::string& arena, const std::string& judge) const {
  std::map<std::string, LeaderboardRow> out;
  for (auto& row : board({arena, judge, "overall"}).rows) out[row.model] = row;
  return out;
}

HeadToHead RatingBook::head_to_head(const std::string& arena, const std::string& judge, const std::string& a,
                                    const std::string& b) const {
  std::lock_guard lock(mutex_);
  return arena::head_to_head(votes_, arena, judge, a, b);
}

std::vector<RatingBook::Win> RatingBook::wins_of(const std::string& model, const std::string& judge, size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<Win> out;
  for (size_t i = votes_.size(); i-- > 0 && out.size() < limit;) {
    const RatedVote& v = votes_[i];
    if (v.judge != judge) continue;
    const auto it = std::find(v.models.begin(), v.models.end(), model);
    if (it == v.models.end()) continue;
    const int mine = v.ranks[size_t(it - v.models.begin())];
    if (mine == *std::min_element(v.ranks.begin(), v.ranks.end())) out.push_back({v, meta_[i]});
  }
  // Votes merged from other nodes may sit a little out of time order.
  std::stable_sort(out.begin(), out.end(), [](const Win& a, const Win& b) { return a.vote.ts_ms > b.vote.ts_ms; });
  return out;
}

int64_t RatingBook::votes_held() const {
  std::lock_guard lock(mutex_);
  return int64_t(votes_.size());
}

}  // namespace pictor::arena
