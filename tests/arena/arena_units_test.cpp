// The arena's pure parts: vote outcomes and log lines, matchmaking, voter tokens, the live
// rating book (equal to a full replay), and the auto-judge's ranks.
#include <gtest/gtest.h>

#include <map>

#include "arena/auto_judge.h"
#include "arena/matchmaking.h"
#include "arena/rating_book.h"
#include "arena/vote_outcome.h"
#include "arena/voter_token.h"
#include "world/renderer.h"
#include "world/scene.h"

namespace pictor::arena {
namespace {

using nlohmann::json;

std::vector<int> ranks_of(const json& body, int slots) {
  VoteOutcome out;
  OutcomeError err;
  EXPECT_TRUE(parse_vote_outcome(body, slots, out, err)) << err.message;
  return out.ranks;
}

std::string param_of(const json& body, int slots) {
  VoteOutcome out;
  OutcomeError err;
  EXPECT_FALSE(parse_vote_outcome(body, slots, out, err)) << body.dump();
  EXPECT_FALSE(err.message.empty());
  return err.param;
}

TEST(VoteOutcome, WinnersTiesAndRankings) {
  EXPECT_EQ(ranks_of({{"winner", "b"}}, 2), (std::vector<int>{1, 0}));
  EXPECT_EQ(ranks_of({{"winner", "tie"}}, 2), (std::vector<int>{0, 0}));
  EXPECT_EQ(ranks_of({{"winner", "both_bad"}}, 2), (std::vector<int>{0, 0}));
  // Pick the best of 4: the winner first, the rest tied.
  EXPECT_EQ(ranks_of({{"winner", "c"}}, 4), (std::vector<int>{1, 1, 0, 1}));
  EXPECT_EQ(ranks_of({{"ranking", {{"c"}, {"a", "d"}, {"b"}}}}, 4), (std::vector<int>{1, 2, 0, 1}));
  EXPECT_EQ(ranks_of({{"ranking", {{"b"}, {"a"}}}}, 2), (std::vector<int>{1, 0}));
  VoteOutcome out;
  OutcomeError err;
  ASSERT_TRUE(parse_vote_outcome({{"ranking", {{"b"}, {"c", "a"}}}}, 3, out, err));
  EXPECT_EQ(out.canonical.dump(), R"({"ranking":[["b"],["c","a"]]})");
}

TEST(VoteOutcome, MalformedOutcomesNameTheirParam) {
  EXPECT_EQ(param_of({{"winner", "c"}}, 2), "winner");
  EXPECT_EQ(param_of({{"winner", "A"}}, 2), "winner");
  EXPECT_EQ(param_of({{"winner", nullptr}}, 2), "winner");
  EXPECT_EQ(param_of(json::array(), 2), "winner");
  EXPECT_EQ(param_of(json::object(), 2), "winner");
  EXPECT_EQ(param_of({{"winner", "a"}, {"ranking", json::array()}}, 2), "ranking");
  EXPECT_EQ(param_of({{"ranking", {{"a"}, {"a"}}}}, 2), "ranking");
  EXPECT_EQ(param_of({{"ranking", {{"a"}}}}, 2), "ranking");
  EXPECT_EQ(param_of({{"ranking", {{"a"}, json::array(), {"b"}}}}, 3), "ranking");
  EXPECT_EQ(param_of({{"ranking", {{"a", "b", "c", "d", "e"}}}}, 4), "ranking");
  EXPECT_EQ(param_of({{"ranking", "a>b"}}, 2), "ranking");
  EXPECT_EQ(param_of({{"ranking", {{1}, {"b"}}}}, 2), "ranking");
  EXPECT_EQ(param_of({{"winner", "a"}, {"note", "x"}}, 2), "note");
  EXPECT_EQ(param_of({{"winner", "a"}}, 5), "winner");
}

TEST(VoteLog, BothLineShapes) {
  auto a = parse_vote_log_line(R"({"left": "x", "right": "y", "outcome": "right", "ts": 1700000000})");
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->models, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(a->ranks, (std::vector<int>{1, 0}));
  EXPECT_EQ(a->ts_ms, 1700000000000);
  auto b = parse_vote_log_line(R"({"models": ["p", "q", "r"], "ranks": [2, 0, 2], "ts": 1700000000123, "arena": "image-edit",
                                  "judge": "auto", "weight": 0.5, "category": "food", "language": "fr", "counted": false})");
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  EXPECT_EQ(b->ranks, (std::vector<int>{2, 0, 2}));
  EXPECT_EQ(b->ts_ms, 1700000000123);
  EXPECT_EQ(b->arena, "image-edit");
  EXPECT_EQ(b->judge, "auto");
  EXPECT_DOUBLE_EQ(b->weight, 0.5);
  EXPECT_FALSE(b->counted);
  for (const char* bad : {"", "[]", "{}", "not json", R"({"left": "x", "right": "x", "outcome": "left"})",
                          R"({"left": "x", "right": "y", "outcome": "draw"})", R"({"models": ["a"], "ranks": [0]})",
                          R"({"models": ["a", "b"], "ranks": [0]})", R"({"models": ["a", "a"], "ranks": [0, 1]})",
                          R"({"models": ["a", "b"], "ranks": [0, -1]})", R"({"models": ["a", "b"], "ranks": [0, 1], "ts": "x"})",
                          R"({"models": ["a", "b"], "ranks": [0, 1], "weight": 0})", R"({"models": ["a", "b"], "ranks": [0, 1], "arena": "x"})"})
    EXPECT_FALSE(parse_vote_log_line(bad).is_ok()) << bad;
}

TEST(Matchmaking, FavoursFewVotesAndClosePairsButAllowsEveryPair) {
  std::vector<MatchCandidate> c = {{"veteran", 20, 10000}, {"new", 0, 0}, {"near", 1, 0}, {"far", -30, 0}};
  std::mt19937_64 rng(7);
  std::map<std::string, int> appear;
  std::map<std::string, int> pairs;
  for (int i = 0; i < 4000; ++i) {
    auto p = pick_contestants(c, 2, rng);
    ASSERT_EQ(p.size(), 2u);
    ASSERT_NE(p[0], p[1]);
    for (auto& m : p) ++appear[m];
    auto key = std::min(p[0], p[1]) + "|" + std::max(p[0], p[1]);
    ++pairs[key];
  }
  EXPECT_LT(appear["veteran"], appear["new"] / 10);
  EXPECT_GT(pairs["near|new"], 3 * pairs["far|new"]);
  EXPECT_EQ(pairs.size(), 6u) << "every pair can meet";
  // Slot order is random: each model lands in slot a sometimes.
  std::map<std::string, int> first;
  for (int i = 0; i < 400; ++i) ++first[pick_contestants({{"x", 0, 0}, {"y", 0, 0}}, 2, rng)[0]];
  EXPECT_GT(first["x"], 120);
  EXPECT_GT(first["y"], 120);
  EXPECT_EQ(pick_contestants(c, 9, rng).size(), 4u);
}

TEST(VoterToken, SignedAndVerified) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const std::string t = new_voter_token(secret);
  auto id = verify_voter_token(secret, t);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->rfind("anon_", 0), 0u);
  EXPECT_FALSE(verify_voter_token("another-secret-another-secret-xx", t).has_value());
  std::string forged = t;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(verify_voter_token(secret, forged).has_value());
  EXPECT_FALSE(verify_voter_token(secret, "v1.key_admin." + t.substr(t.rfind('.') + 1)).has_value());
  EXPECT_FALSE(verify_voter_token(secret, "").has_value());
  EXPECT_EQ(voter_pseudonym(secret, "key:abc"), voter_pseudonym(secret, "key:abc"));
  EXPECT_NE(voter_pseudonym(secret, "key:abc"), voter_pseudonym(secret, "key:abd"));
  EXPECT_EQ(voter_pseudonym(secret, "key:abc").find("abc"), std::string::npos);
  // HMAC-SHA256 test vector (RFC 4231, case 2).
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(RatingBook, LiveUpdatesEqualAFullReplay) {
  std::mt19937_64 rng(3);
  std::vector<RatedVote> votes;
  const std::vector<std::string> models = {"m1", "m2", "m3", "m4"};
  for (int i = 0; i < 60; ++i) {
    RatedVote v;
    v.arena = i % 3 ? "text-to-image" : "image-edit";
    v.judge = "human";
    const int k = 2 + int(rng() % 3);
    std::vector<std::string> pool = models;
    std::shuffle(pool.begin(), pool.end(), rng);
    v.models.assign(pool.begin(), pool.begin() + k);
    for (int j = 0; j < k; ++j) v.ranks.push_back(int(rng() % 3));
    v.weight = i % 7 ? 1.0 : 0.5;
    v.ts_ms = 1000 + i;
    v.category = i % 2 ? "counting" : "colour";
    v.language = "en";
    votes.push_back(v);
  }
  LeaderboardOptions opts;
  opts.bootstrap_rounds = 0;
  RatingBook live(opts);
  ASSERT_TRUE(live.reset({votes.begin(), votes.begin() + 20}, std::vector<VoteMeta>(20)).is_ok());
  for (size_t i = 20; i < votes.size(); ++i) ASSERT_TRUE(live.add(votes[i], {"b" + std::to_string(i), votes[i].ts_ms}).is_ok());
  EXPECT_TRUE(live.stale());
  RatingBook full(opts);
  ASSERT_TRUE(full.reset(votes, std::vector<VoteMeta>(votes.size())).is_ok());
  ASSERT_EQ(live.board_keys(), full.board_keys());
  for (const auto& key : full.board_keys()) {
    const auto a = live.board(key), b = full.board(key);
    ASSERT_EQ(a.rows.size(), b.rows.size());
    for (size_t i = 0; i < a.rows.size(); ++i) {
      EXPECT_EQ(a.rows[i].model, b.rows[i].model);
      EXPECT_NEAR(a.rows[i].mu, b.rows[i].mu, 1e-9);
      EXPECT_NEAR(a.rows[i].sigma, b.rows[i].sigma, 1e-9);
      EXPECT_EQ(a.rows[i].votes, b.rows[i].votes);
      EXPECT_EQ(a.rows[i].rank, b.rows[i].rank);
    }
  }
  ASSERT_TRUE(live.refresh().is_ok());
  EXPECT_FALSE(live.stale());
  // wins_of: newest first, only first places.
  auto wins = live.wins_of("m1", "human", 100);
  for (const auto& w : wins) {
    const auto it = std::find(w.vote.models.begin(), w.vote.models.end(), "m1");
    EXPECT_EQ(w.vote.ranks[size_t(it - w.vote.models.begin())], *std::min_element(w.vote.ranks.begin(), w.vote.ranks.end()));
  }
  for (size_t i = 1; i < wins.size(); ++i) EXPECT_GE(wins[i - 1].vote.ts_ms, wins[i].vote.ts_ms);
}

TEST(RatingBook, VotesMergedFromOtherNodesEndAsOneNodesReplay) {
  std::mt19937_64 rng(5);
  std::vector<RatedVote> votes;
  std::vector<VoteMeta> meta;
  const std::vector<std::string> models = {"m1", "m2", "m3"};
  for (int i = 0; i < 40; ++i) {
    RatedVote v;
    v.arena = "text-to-image";
    v.judge = "human";
    std::vector<std::string> pool = models;
    std::shuffle(pool.begin(), pool.end(), rng);
    v.models.assign(pool.begin(), pool.begin() + 2);
    v.ranks = {int(rng() % 2), int(rng() % 2)};
    v.ts_ms = 1000 + i;
    votes.push_back(v);
    meta.push_back({"battle_" + std::to_string(i), v.ts_ms});
  }
  LeaderboardOptions opts;
  opts.bootstrap_rounds = 0;
  // This node took the even votes; the odd ones were taken elsewhere and arrive late, in two
  // overlapping batches (a sync window looks back), one of them twice.
  RatingBook node(opts);
  std::vector<RatedVote> mine;
  std::vector<VoteMeta> mine_meta, late_meta;
  std::vector<RatedVote> late;
  for (size_t i = 0; i < votes.size(); ++i) {
    (i % 2 ? late : mine).push_back(votes[i]);
    (i % 2 ? late_meta : mine_meta).push_back(meta[i]);
  }
  ASSERT_TRUE(node.reset(mine, mine_meta).is_ok());
  auto first = node.merge({late.begin(), late.begin() + 12}, {late_meta.begin(), late_meta.begin() + 12});
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(*first, 12);
  auto second = node.merge(late, late_meta);
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(*second, int(late.size()) - 12) << "votes already held are not added twice";
  EXPECT_EQ(*node.merge(late, late_meta), 0);
  EXPECT_EQ(node.votes_held(), int64_t(votes.size()));
  ASSERT_TRUE(node.refresh().is_ok());
  RatingBook one(opts);
  ASSERT_TRUE(one.reset(votes, meta).is_ok());
  const BoardKey key{"text-to-image", "human", "overall"};
  const auto a = node.board(key), b = one.board(key);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    EXPECT_EQ(a.rows[i].model, b.rows[i].model);
    EXPECT_NEAR(a.rows[i].mu, b.rows[i].mu, 1e-9);
    EXPECT_NEAR(a.rows[i].sigma, b.rows[i].sigma, 1e-9);
    EXPECT_EQ(a.rows[i].votes, b.rows[i].votes);
  }
  auto wins = node.wins_of("m1", "human", 100);
  for (size_t i = 1; i < wins.size(); ++i) EXPECT_GE(wins[i - 1].vote.ts_ms, wins[i].vote.ts_ms);
}

TEST(AutoJudge, RanksByPromptFactsAndAbstainsOutsideTheWorld) {
  world::Scene right, wrong;
  world::Object star;
  star.shape = world::Shape::kStar;
  star.colour = world::Colour::kRed;
  star.size = world::Size::kLarge;
  star.cx = star.cy = 0.5f;
  right.objects = {star};
  world::Object sq = star;
  sq.shape = world::Shape::kSquare;
  sq.colour = world::Colour::kBlue;
  wrong.objects = {sq};
  const Image a = world::render(wrong, 128, 128), b = world::render(right, 128, 128);
  auto ranks = judge_ranks("a red star", {a, b, b});
  ASSERT_TRUE(ranks.is_ok()) << ranks.status().message();
  ASSERT_TRUE(ranks->has_value());
  EXPECT_EQ(**ranks, (std::vector<int>{1, 0, 0}));
  EXPECT_EQ(ranking_body(**ranks).dump(), R"({"ranking":[["b","c"],["a"]]})");
  auto abstain = judge_ranks("a photo of a cat on a sofa", {a, b});
  ASSERT_TRUE(abstain.is_ok());
  EXPECT_FALSE(abstain->has_value());
}

}  // namespace
}  // namespace pictor::arena
