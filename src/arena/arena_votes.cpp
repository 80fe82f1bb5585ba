// ArenaService: votes (integrity rules, storing, rating) and the ratings built from them.
#include <algorithm>

#include "arena/arena_service.h"
#include "core/log.h"

namespace pictor::arena {

namespace {

RatedVote rated_vote(const store::ArenaVoteRecord& v) {
  RatedVote r;
  r.arena = v.arena;
  r.judge = v.judge;
  r.models = v.models;
  r.ranks = v.ranks;
  r.weight = v.weight;
  r.ts_ms = v.created_at_ms;
  r.category = v.category;
  r.language = v.language;
  return r;
}

}  // namespace

Status ArenaService::load_votes() {
  store::ArenaVoteQuery q;
  q.counted = true;
  auto votes = store_.list_arena_votes(q);
  if (!votes.is_ok()) return votes.status();
  std::vector<RatedVote> rated;
  std::vector<VoteMeta> meta;
  rated.reserve(votes->size());
  for (const auto& v : *votes) {
    rated.push_back(rated_vote(v));
    meta.push_back({v.battle_id, v.created_at_ms});
  }
  return book_->reset(std::move(rated), std::move(meta));
}

Status ArenaService::merge_votes_since(int64_t since_ms) {
  store::ArenaVoteQuery q;
  q.counted = true;
  q.since_ms = std::max<int64_t>(0, since_ms);
  auto votes = store_.list_arena_votes(q);
  if (!votes.is_ok()) return votes.status();
  std::vector<RatedVote> rated;
  std::vector<VoteMeta> meta;
  for (const auto& v : *votes) {
    rated.push_back(rated_vote(v));
    meta.push_back({v.battle_id, v.created_at_ms});
  }
  auto added = book_->merge(rated, meta);
  if (!added.is_ok()) return added.status();
  if (*added > 0) log_event(LogLevel::kDebug, "arena.votes_merged", {{"votes", *added}});
  return Status::ok();
}

Result<VoteResult> ArenaService::vote(const VoteRequest& req, ArenaError& error) {
  auto fail = [&](Status s, std::string param) -> Result<VoteResult> {
    error = {s, std::move(param)};
    return s;
  };
  auto rec = store_.get_arena_battle(req.battle_id);
  if (!rec.is_ok()) return fail(rec.status(), "");
  if (!req.admin && (rec->pooled || rec->voter_id != req.voter_id))
    return fail(not_found("No arena battle with id " + req.battle_id), "");
  VoteOutcome outcome;
  OutcomeError bad;
  if (!parse_vote_outcome(req.outcome, int(rec->contestants.size()), outcome, bad))
    return fail(invalid_argument(bad.message), bad.param);
  auto existing = store_.get_arena_vote_for_battle(rec->id);
  if (!existing.is_ok()) return fail(existing.status(), "");
  if (existing->has_value()) return fail(conflict("arena battle " + rec->id + " has already been voted on"), "");
  const int64_t now = store::now_ms();
  if (rec->expires_at_ms <= now) return fail(gone("arena battle " + rec->id + " has expired; start a new one"), "");
  store::ArenaBattleRecord b = *rec;
  finish_slots(b);
  for (const auto& c : b.contestants) {
    if (c.status == "failed")
      return fail(conflict("slot " + c.slot + " of this battle could not be drawn; start a new battle"), "");
    if (c.status != "ready") return fail(conflict("the images of this battle are not ready yet; vote once they are"), "");
  }
  auto prompt = store_.get_arena_prompt(b.prompt_id);
  if (!prompt.is_ok()) return fail(prompt.status(), "");
  if (req.judge != b.judge) return fail(invalid_argument("this battle is for the " + b.judge + " judge"), "judge");

  store::ArenaVoteRecord v;
  v.id = store::new_id("vote");
  v.battle_id = b.id;
  v.arena = b.arena;
  v.judge = b.judge;
  v.voter_id = req.voter_id;
  v.key_id = req.key_id;
  v.outcome_json = outcome.canonical.dump();
  for (const auto& c : b.contestants) v.models.push_back(c.model);
  v.ranks = outcome.ranks;
  v.category = prompt->category;
  v.language = prompt->language;
  v.prompt_hash = prompt->text_hash;
  v.created_at_ms = now;
  v.vote_ms = b.shown_at_ms > 0 ? now - b.shown_at_ms : 0;
  // Integrity (docs/arena.md): stored always, counted only when every rule passes.
  auto excluded = store_.is_voter_excluded(req.voter_id);
  if (!excluded.is_ok()) return fail(excluded.status(), "");
  if (*excluded) {
    v.counted = false;
    v.exclusion_reason = "excluded_voter";
  } else if (b.judge == "human" && b.shown_at_ms == 0) {
    v.counted = false;
    v.exclusion_reason = "not_shown";
  } else if (b.judge == "human" && v.vote_ms < options_.min_vote_ms) {
    v.counted = false;
    v.exclusion_reason = "too_fast";
  } else if (b.judge == "human" && options_.daily_counted_votes > 0) {
    store::ArenaVoteQuery q;
    q.voter_id = req.voter_id;
    q.counted = true;
    q.since_ms = now - now % 86'400'000;
    auto today = store_.count_arena_votes(q);
    if (!today.is_ok()) return fail(today.status(), "");
    if (*today >= options_.daily_counted_votes) {
      v.counted = false;
      v.exclusion_reason = "daily_cap";
    }
  }
  if (v.counted && options_.prompt_repeat_cap > 0) {
    store::ArenaVoteQuery q;
    q.arena = b.arena;
    q.prompt_hash = v.prompt_hash;
    q.counted = true;
    auto seen = store_.count_arena_votes(q);
    if (!seen.is_ok()) return fail(seen.status(), "");
    const int64_t n = *seen + 1;
    if (n > options_.prompt_repeat_cap) v.weight = double(options_.prompt_repeat_cap) / double(n);
  }

  VoteResult result;
  const auto before = book_->overall(b.arena, b.judge);
  for (const auto& m : v.models) {
    auto it = before.find(m);
    LeaderboardRow row;
    row.model = m;
    if (it != before.end()) row = it->second;
    else {
      const Rating prior = TrueSkill().create_rating();
      row.mu = prior.mu;
      row.sigma = prior.sigma;
      row.score = prior.score();
    }
    result.before.push_back(row);
  }
  if (Status s = store_.insert_arena_vote(v); !s.is_ok()) return fail(s, "");
  if (v.counted) {
    if (Status s = book_->add(rated_vote(v), {v.battle_id, v.created_at_ms}); !s.is_ok())
      log_event(LogLevel::kWarn, "arena.rating_failed", {{"vote", v.id}, {"error", s.message()}});
    std::lock_guard lock(bg_mutex_);
    last_vote_ms_ = now;
  }
  const auto after = book_->overall(b.arena, b.judge);
  for (const auto& row : result.before) {
    auto it = after.find(row.model);
    result.after.push_back(it != after.end() ? it->second : row);
  }
  auto view = view_of(std::move(b));
  if (!view.is_ok()) return fail(view.status(), "");
  result.view = std::move(*view);
  result.outcome = outcome;
  log_event(LogLevel::kInfo, "arena.vote",
            {{"battle", v.battle_id}, {"counted", v.counted}, {"reason", v.exclusion_reason}, {"judge", v.judge}});
  return result;
}

Leaderboard ArenaService::leaderboard(const std::string& arena, const std::string& judge, const std::string& axis) {
  return book_->board({arena, judge, axis});
}

std::vector<Leaderboard> ArenaService::boards() { return book_->all_boards(); }

Status ArenaService::snapshot(const std::string& reason) {
  const int64_t now = store::now_ms();
  std::vector<store::RatingSnapshotRecord> rows;
  for (const auto& board : book_->all_boards())
    for (const auto& r : board.rows) {
      store::RatingSnapshotRecord s;
      s.arena = board.arena;
      s.judge = board.judge;
      s.axis = board.axis;
      s.model = r.model;
      s.mu = r.mu;
      s.sigma = r.sigma;
      s.score = r.score;
      s.votes = r.votes;
      s.rank = r.shown ? r.rank : 0;
      s.taken_at_ms = now;
      s.reason = reason;
      rows.push_back(s);
    }
  if (rows.empty()) return Status::ok();
  return store_.insert_rating_snapshots(rows);
}

Status ArenaService::replay() {
  PICTOR_RETURN_IF_ERROR(load_votes());
  return snapshot("replay");
}

Result<int> ArenaService::set_voter_excluded(const std::string& voter_id, bool excluded, const std::string& reason) {
  auto n = excluded ? store_.exclude_voter(voter_id, reason, store::now_ms()) : store_.include_voter(voter_id);
  if (!n.is_ok()) return n.status();
  PICTOR_RETURN_IF_ERROR(replay());
  return *n;
}

}  // namespace pictor::arena
