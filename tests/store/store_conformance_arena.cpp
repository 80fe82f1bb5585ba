// The store conformance suite, arena part: prompts, battles and contestants, the battle pool,
// one vote per battle, vote queries, voter exclusion, rating snapshots — and durability.
#include "store_conformance.h"

namespace pictor::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

ArenaPromptRecord make_prompt(const std::string& text) {
  ArenaPromptRecord p;
  p.id = new_id("prm");
  p.arena = "text-to-image";
  p.text = text;
  p.category = "counting";
  p.language = "en";
  p.source = "user";
  p.text_hash = "h-" + text;
  p.created_at_ms = kT0;
  return p;
}

ArenaBattleRecord make_battle(const ArenaPromptRecord& p, int contestants, bool pooled, int64_t created) {
  ArenaBattleRecord b;
  b.id = new_id("battle");
  b.arena = p.arena;
  b.prompt_id = p.id;
  b.seed = 0xFFFF'FFFF'0000'0001ULL;  // above INT64_MAX: stored as its bit pattern
  b.width = b.height = 128;
  b.pooled = pooled;
  b.created_at_ms = created;
  b.expires_at_ms = created + 3'600'000;
  for (int i = 0; i < contestants; ++i) {
    ArenaContestant c;
    c.slot = std::string(1, char('a' + i));
    c.model = "model-" + std::to_string(i);
    c.job_id = new_id("gen");
    b.contestants.push_back(c);
  }
  return b;
}

ArenaVoteRecord make_vote(const ArenaBattleRecord& b, const std::string& voter, int64_t at) {
  ArenaVoteRecord v;
  v.id = new_id("vote");
  v.battle_id = b.id;
  v.arena = b.arena;
  v.voter_id = voter;
  v.outcome_json = R"({"winner":"a"})";
  for (size_t i = 0; i < b.contestants.size(); ++i) {
    v.models.push_back(b.contestants[i].model);
    v.ranks.push_back(i == 0 ? 0 : 1);
  }
  v.category = "counting";
  v.language = "en";
  v.prompt_hash = "h";
  v.weight = 0.5;
  v.vote_ms = 4200;
  v.created_at_ms = at;
  return v;
}

}  // namespace

TEST_P(StoreConformance, ArenaPromptsAndBattlesRoundTrip) {
  auto p = make_prompt("two red circles");
  ASSERT_TRUE(store().insert_arena_prompt(p).is_ok());
  auto b = make_battle(p, 3, false, kT0);
  ASSERT_TRUE(store().insert_arena_battle(b).is_ok());
  reopen();
  auto gp = store().get_arena_prompt(p.id);
  ASSERT_TRUE(gp.is_ok());
  EXPECT_EQ(gp->text, p.text);
  EXPECT_EQ(gp->category, "counting");
  EXPECT_EQ(gp->text_hash, p.text_hash);
  auto gb = store().get_arena_battle(b.id);
  ASSERT_TRUE(gb.is_ok()) << gb.status().message();
  EXPECT_EQ(gb->seed, b.seed);
  EXPECT_EQ(gb->width, 128);
  ASSERT_EQ(gb->contestants.size(), 3u);
  EXPECT_EQ(gb->contestants[2].slot, "c");
  EXPECT_EQ(gb->contestants[2].model, "model-2");
  EXPECT_EQ(gb->contestants[2].status, "pending");
  EXPECT_EQ(store().get_arena_battle("battle_nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().get_arena_prompt("prm_nope").status().code(), StatusCode::kNotFound);

  ArenaContestant c = gb->contestants[1];
  c.status = "ready";
  c.media_id = "media_x";
  ASSERT_TRUE(store().update_arena_contestant(b.id, c).is_ok());
  c.slot = "d";
  EXPECT_EQ(store().update_arena_contestant(b.id, c).code(), StatusCode::kNotFound);
  gb = store().get_arena_battle(b.id);
  EXPECT_EQ(gb->contestants[1].media_id, "media_x");
  EXPECT_EQ(gb->contestants[1].status, "ready");

  // shown_at is set once.
  EXPECT_EQ(*store().mark_arena_battle_shown(b.id, kT0 + 5), kT0 + 5);
  EXPECT_EQ(*store().mark_arena_battle_shown(b.id, kT0 + 9), kT0 + 5);

  // A battle needs 2–4 contestants.
  auto bad = make_battle(p, 1, false, kT0);
  EXPECT_EQ(store().insert_arena_battle(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().get_arena_battle(bad.id).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, ArenaPoolHandsOutReadyBattlesOnce) {
  auto p = make_prompt("a star");
  ASSERT_TRUE(store().insert_arena_prompt(p).is_ok());
  auto pending = make_battle(p, 2, true, kT0);
  auto ready = make_battle(p, 2, true, kT0 + 1);
  for (auto& c : ready.contestants) c.status = "ready";
  auto expired = make_battle(p, 2, true, kT0 - 10'000'000);
  for (auto& c : expired.contestants) c.status = "ready";
  for (auto* b : {&pending, &ready, &expired}) ASSERT_TRUE(store().insert_arena_battle(*b).is_ok());

  ArenaBattleQuery q;
  q.pooled = true;
  q.with_pending_slots = true;
  auto with_pending = store().list_arena_battles(q);
  ASSERT_TRUE(with_pending.is_ok());
  ASSERT_EQ(with_pending->size(), 1u);
  EXPECT_EQ((*with_pending)[0].id, pending.id);

  auto got = store().claim_pooled_battle("text-to-image", "human", "voter-1", kT0 + 2);
  ASSERT_TRUE(got.is_ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((**got).id, ready.id);
  EXPECT_EQ((**got).voter_id, "voter-1");
  EXPECT_FALSE((**got).pooled);
  auto again = store().claim_pooled_battle("text-to-image", "human", "voter-2", kT0 + 2);
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(again->has_value());  // the pending one is not ready, the old one expired
  EXPECT_FALSE(store().claim_pooled_battle("image-edit", "human", "voter-2", kT0 + 2)->has_value());

  ArenaBattleQuery live;
  live.pooled = true;
  live.not_expired_at_ms = kT0 + 2;
  EXPECT_EQ(store().list_arena_battles(live)->size(), 1u);
}

TEST_P(StoreConformance, ArenaOneVotePerBattleAndQueries) {
  auto p = make_prompt("three blue squares");
  ASSERT_TRUE(store().insert_arena_prompt(p).is_ok());
  auto b1 = make_battle(p, 2, false, kT0);
  auto b2 = make_battle(p, 4, false, kT0);
  ASSERT_TRUE(store().insert_arena_battle(b1).is_ok());
  ASSERT_TRUE(store().insert_arena_battle(b2).is_ok());
  auto v1 = make_vote(b1, "alice", kT0 + 100);
  ASSERT_TRUE(store().insert_arena_vote(v1).is_ok());
  auto dup = make_vote(b1, "bob", kT0 + 150);
  EXPECT_EQ(store().insert_arena_vote(dup).code(), StatusCode::kConflict);
  auto v2 = make_vote(b2, "bob", kT0 + 200);
  v2.judge = "auto";
  v2.counted = false;
  v2.exclusion_reason = "too_fast";
  ASSERT_TRUE(store().insert_arena_vote(v2).is_ok());
  auto mismatched = make_vote(b2, "carol", kT0);
  mismatched.ranks.pop_back();
  EXPECT_EQ(store().insert_arena_vote(mismatched).code(), StatusCode::kInvalidArgument);
  reopen();

  auto all = store().list_arena_votes({});
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, v1.id);  // time order
  EXPECT_EQ((*all)[0].models, v1.models);
  EXPECT_EQ((*all)[0].ranks, v1.ranks);
  EXPECT_DOUBLE_EQ((*all)[0].weight, 0.5);
  EXPECT_EQ((*all)[0].vote_ms, 4200);
  EXPECT_EQ((*all)[1].models.size(), 4u);
  EXPECT_EQ((*all)[1].judge, "auto");
  EXPECT_FALSE((*all)[1].counted);
  EXPECT_EQ((*all)[1].exclusion_reason, "too_fast");

  ArenaVoteQuery q;
  q.voter_id = "alice";
  EXPECT_EQ(*store().count_arena_votes(q), 1);
  q = {};
  q.counted = true;
  EXPECT_EQ(*store().count_arena_votes(q), 1);
  q = {};
  q.since_ms = kT0 + 150;
  EXPECT_EQ(*store().count_arena_votes(q), 1);
  q = {};
  q.judge = "auto";
  q.prompt_hash = "h";
  EXPECT_EQ(store().list_arena_votes(q)->size(), 1u);
  auto found = store().get_arena_vote_for_battle(b1.id);
  ASSERT_TRUE(found.is_ok() && found->has_value());
  EXPECT_EQ((**found).voter_id, "alice");
  EXPECT_FALSE(store().get_arena_vote_for_battle("battle_none")->has_value());

  // Excluding a voter keeps the votes, uncounted, with the reason; including counts them again,
  // but not votes left out for another reason.
  EXPECT_FALSE(*store().is_voter_excluded("bob"));
  EXPECT_EQ(*store().exclude_voter("bob", "spam", kT0), 0);  // bob's only vote was not counted
  EXPECT_TRUE(*store().is_voter_excluded("bob"));
  EXPECT_EQ(*store().exclude_voter("alice", "spam", kT0), 1);
  auto after = store().get_arena_vote_for_battle(b1.id);
  EXPECT_FALSE((**after).counted);
  EXPECT_EQ((**after).exclusion_reason, "excluded_voter");
  EXPECT_EQ(*store().include_voter("alice"), 1);
  EXPECT_FALSE(*store().is_voter_excluded("alice"));
  EXPECT_TRUE((**store().get_arena_vote_for_battle(b1.id)).counted);
  EXPECT_EQ(*store().include_voter("bob"), 0);
  EXPECT_EQ((**store().get_arena_vote_for_battle(b2.id)).exclusion_reason, "too_fast");
}

TEST_P(StoreConformance, ArenaRatingSnapshots) {
  EXPECT_EQ(*store().latest_rating_snapshot_ms(), 0);
  std::vector<RatingSnapshotRecord> rows;
  for (int day = 0; day < 3; ++day)
    for (const char* arena : {"text-to-image", "image-edit"}) {
      RatingSnapshotRecord r;
      r.arena = arena;
      r.judge = "human";
      r.axis = "overall";
      r.model = "pictor-mini";
      r.mu = 25 + day;
      r.sigma = 8 - day;
      r.score = r.mu - 3 * r.sigma;
      r.votes = 10 * day;
      r.rank = 1;
      r.taken_at_ms = kT0 + day * 86'400'000LL;
      r.reason = "daily";
      rows.push_back(r);
    }
  ASSERT_TRUE(store().insert_rating_snapshots(rows).is_ok());
  ASSERT_TRUE(store().insert_rating_snapshots({rows[0]}).is_ok());  // same key: replaced, not doubled
  reopen();
  RatingHistoryQuery q;
  q.model = "pictor-mini";
  auto h = store().rating_history(q);
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(h->size(), 6u);
  q.arena = "image-edit";
  h = store().rating_history(q);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_DOUBLE_EQ((*h)[2].mu, 27);
  EXPECT_EQ((*h)[2].votes, 20);
  q.axis = "category:counting";
  EXPECT_TRUE(store().rating_history(q)->empty());
  EXPECT_EQ(*store().latest_rating_snapshot_ms(), kT0 + 2 * 86'400'000LL);
}

TEST_P(StoreConformance, ApiKeyAdminScopeRoundTrips) {
  ApiKeyRecord k;
  k.id = new_id("key");
  k.name = "operator";
  k.prefix = "pk-abcde";
  k.hash = "hash-admin";
  k.admin = true;
  ASSERT_TRUE(store().insert_api_key(k).is_ok());
  reopen();
  auto got = store().find_api_key_by_hash("hash-admin");
  ASSERT_TRUE(got.is_ok());
  EXPECT_TRUE(got->admin);
}

}  // namespace pictor::store::testing
