// compute_leaderboards: axes, the TrueSkill replay, min_votes, ranks, thread-count determinism.
#include "arena/rating/leaderboard.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

namespace pictor::arena {
namespace {

RatedVote vote(std::vector<std::string> models, std::vector<int> ranks, int64_t ts,
               std::string category = "animals", std::string language = "en",
               std::string judge = "human", double weight = 1.0) {
  RatedVote v;
  v.arena = "text-to-image";
  v.judge = std::move(judge);
  v.models = std::move(models);
  v.ranks = std::move(ranks);
  v.weight = weight;
  v.ts_ms = ts;
  v.category = std::move(category);
  v.language = std::move(language);
  return v;
}

const Leaderboard* find(const std::vector<Leaderboard>& boards, const std::string& judge,
                        const std::string& axis) {
  for (const auto& b : boards) {
    if (b.arena == "text-to-image" && b.judge == judge && b.axis == axis) return &b;
  }
  return nullptr;
}
const LeaderboardRow* row(const Leaderboard& b, const std::string& model) {
  for (const auto& r : b.rows) {
    if (r.model == model) return &r;
  }
  return nullptr;
}

std::vector<RatedVote> random_votes(int n, uint64_t seed) {
  const std::vector<std::string> models = {"a", "b", "c", "d", "e", "f"};
  const std::vector<double> strength = {3, 2, 1, 0, -1, -2};
  std::mt19937_64 rng(seed);
  std::vector<RatedVote> out;
  for (int i = 0; i < n; ++i) {
    std::vector<int> idx = {0, 1, 2, 3, 4, 5};
    std::shuffle(idx.begin(), idx.end(), rng);
    const int k = 2 + int(rng() % 3);
    std::vector<std::string> ms;
    std::vector<int> ranks;
    for (int j = 0; j < k; ++j) {
      ms.push_back(models[idx[j]]);
      const double perf = strength[idx[j]] + std::normal_distribution<double>(0, 2)(rng);
      ranks.push_back(-int(std::floor(perf)));  // coarse: ties happen
    }
    out.push_back(vote(ms, ranks, 1000 + i, i % 3 ? "animals" : "food", i % 2 ? "en" : "fr",
                       i % 4 ? "human" : "auto", i % 5 ? 1.0 : 0.5));
  }
  return out;
}

nlohmann::json load_ffa(const std::string& name) {
  std::ifstream in(std::string(PICTOR_TEST_FIXTURES) + "/arena/trueskill/" + name);
  return nlohmann::json::parse(in);
}

TEST(Leaderboard, ReplayMatchesTheFreeForAllFixture) {
  const auto f = load_ffa("ffa-vectors-exact.json");
  std::vector<RatedVote> votes;
  for (const auto& s : f["sequence"]) {
    votes.push_back(vote(s["models"], s["ranks"], s["ts"].get<int64_t>() * 1000));
  }
  // Out of order input: the replay sorts by time.
  std::swap(votes[3], votes[9]);
  auto boards = compute_leaderboards(votes);
  ASSERT_TRUE(boards.is_ok()) << boards.status().message();
  ASSERT_EQ(boards->size(), 3u);  // overall, category:animals, language:en
  for (const auto& b : *boards) {
    EXPECT_EQ(b.votes, 16);
    for (const auto& [m, want] : f["final"].items()) {
      const LeaderboardRow* r = row(b, m);
      ASSERT_NE(r, nullptr);
      EXPECT_NEAR(r->mu, want["mu"].get<double>(), 1e-9) << b.axis << " " << m;
      EXPECT_NEAR(r->sigma, want["sigma"].get<double>(), 1e-9) << b.axis << " " << m;
      EXPECT_NEAR(r->score, want["score"].get<double>(), 1e-9) << b.axis << " " << m;
    }
    // Sorted by score, rank 1 first: m4, m1, m2, m3 in the fixture's final scores.
    EXPECT_EQ(b.rows[0].model, "m4");
    EXPECT_EQ(b.rows[3].model, "m3");
    for (size_t k = 0; k < b.rows.size(); ++k) EXPECT_EQ(b.rows[k].rank, int(k) + 1);
  }
}

TEST(Leaderboard, ReplayWithTheReferenceBackendMatchesTheShippedFixture) {
  const auto f = load_ffa("ffa-vectors.json");
  std::vector<RatedVote> votes;
  for (const auto& s : f["sequence"]) votes.push_back(vote(s["models"], s["ranks"], s["ts"]));
  LeaderboardOptions o;
  o.trueskill.normal = NormalBackend::kReferencePurePython;
  o.bootstrap_rounds = 0;
  auto boards = compute_leaderboards(votes, o);
  ASSERT_TRUE(boards.is_ok());
  for (const auto& [m, want] : f["final"].items()) {
    EXPECT_NEAR(row((*boards)[0], m)->mu, want["mu"].get<double>(), 1e-9) << m;
    EXPECT_NEAR(row((*boards)[0], m)->sigma, want["sigma"].get<double>(), 1e-9) << m;
  }
}

TEST(Leaderboard, BoardsPerArenaJudgeAndAxis) {
  std::vector<RatedVote> votes = random_votes(200, 1);
  votes.push_back(vote({"a", "b"}, {0, 1}, 5000, "", ""));  // no category or language axis
  votes.back().arena = "image-edit";
  auto boards = compute_leaderboards(votes);
  ASSERT_TRUE(boards.is_ok());
  std::vector<std::string> keys;
  for (const auto& b : *boards) keys.push_back(b.arena + "|" + b.judge + "|" + b.axis);
  const std::vector<std::string> want = {
      "image-edit|human|overall",
      "text-to-image|auto|category:animals", "text-to-image|auto|category:food",
      "text-to-image|auto|language:fr",  // auto votes (i % 4 == 0) are all fr
      "text-to-image|auto|overall",          "text-to-image|human|category:animals",
      "text-to-image|human|category:food",   "text-to-image|human|language:en",
      "text-to-image|human|language:fr",     "text-to-image|human|overall"};
  EXPECT_EQ(keys, want);
  const Leaderboard* overall = find(*boards, "human", "overall");
  const Leaderboard* food = find(*boards, "human", "category:food");
  ASSERT_TRUE(overall && food);
  EXPECT_EQ(overall->votes, 150);
  EXPECT_EQ(food->votes, 50);
  int64_t seats = 0;
  for (const auto& r : overall->rows) seats += r.votes;
  int64_t want_seats = 0;
  for (const auto& v : votes) want_seats += v.judge == "human" && v.arena == "text-to-image" ? v.models.size() : 0;
  EXPECT_EQ(seats, want_seats);
  // Strengths a > ... > f come back in order on the big board (TrueSkill and BT).
  EXPECT_EQ(overall->rows.front().model, "a");
  EXPECT_EQ(overall->rows.back().model, "f");
  EXPECT_GT(row(*overall, "a")->bt, row(*overall, "c")->bt);
  EXPECT_GT(row(*overall, "c")->bt, row(*overall, "f")->bt);
}

TEST(Leaderboard, MinVotesHidesRowsAndRanksCountShownOnly) {
  std::vector<RatedVote> votes;
  for (int i = 0; i < 6; ++i) votes.push_back(vote({"a", "b"}, {0, 1}, i));
  votes.push_back(vote({"c", "b"}, {0, 1}, 10));  // c: 1 vote, beats b
  votes.push_back(vote({"c", "b"}, {0, 1}, 11));  // c: 2 votes
  LeaderboardOptions o;
  o.min_votes = 3;
  auto boards = compute_leaderboards(votes, o);
  ASSERT_TRUE(boards.is_ok());
  const Leaderboard* b = find(*boards, "human", "overall");
  ASSERT_TRUE(b);
  const LeaderboardRow* c = row(*b, "c");
  EXPECT_EQ(c->votes, 2);
  EXPECT_FALSE(c->shown);
  EXPECT_TRUE(row(*b, "a")->shown);
  EXPECT_EQ(row(*b, "b")->votes, 8);
  EXPECT_EQ(row(*b, "a")->rank, 1);
  EXPECT_EQ(row(*b, "b")->rank, 2);
  EXPECT_LE(row(*b, "b")->rank_ub, 2);
  o.min_votes = 2;
  auto boards2 = compute_leaderboards(votes, o);
  ASSERT_TRUE(boards2.is_ok());
  EXPECT_TRUE(row(*find(*boards2, "human", "overall"), "c")->shown);
}

TEST(Leaderboard, RankAndRankUbDefinitions) {
  auto boards = compute_leaderboards(random_votes(600, 2));
  ASSERT_TRUE(boards.is_ok());
  for (const auto& b : *boards) {
    for (size_t k = 1; k < b.rows.size(); ++k) EXPECT_GE(b.rows[k - 1].score, b.rows[k].score);
    for (const auto& r : b.rows) {
      int higher = 0, above = 0;
      for (const auto& o : b.rows) {
        higher += o.shown && o.score > r.score;
        above += o.shown && o.bt_lo > r.bt_hi;
      }
      EXPECT_EQ(r.rank, 1 + higher);
      EXPECT_EQ(r.rank_ub, 1 + above);
      EXPECT_LE(r.bt_lo, r.bt);
      EXPECT_GE(r.bt_hi, r.bt);
      EXPECT_DOUBLE_EQ(r.score, r.mu - 3 * r.sigma);
    }
  }
}

TEST(Leaderboard, IdenticalWhateverTheThreadCount) {
  const auto votes = random_votes(1500, 3);
  std::vector<std::vector<Leaderboard>> runs;
  for (int threads : {1, 2, 3, 8}) {
    LeaderboardOptions o;
    o.threads = threads;
    o.seed = 42;
    auto boards = compute_leaderboards(votes, o);
    ASSERT_TRUE(boards.is_ok());
    runs.push_back(std::move(boards.value()));
  }
  for (size_t t = 1; t < runs.size(); ++t) {
    ASSERT_EQ(runs[t].size(), runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      ASSERT_EQ(runs[t][b].rows.size(), runs[0][b].rows.size());
      for (size_t r = 0; r < runs[0][b].rows.size(); ++r) {
        const auto &x = runs[0][b].rows[r], &y = runs[t][b].rows[r];
        EXPECT_EQ(x.model, y.model);
        EXPECT_EQ(x.mu, y.mu);
        EXPECT_EQ(x.sigma, y.sigma);
        EXPECT_EQ(x.bt, y.bt);
        EXPECT_EQ(x.bt_lo, y.bt_lo);
        EXPECT_EQ(x.bt_hi, y.bt_hi);
        EXPECT_EQ(x.rank_ub, y.rank_ub);
      }
    }
  }
}

TEST(Leaderboard, HeadToHead) {
  std::vector<RatedVote> votes = {vote({"a", "b"}, {0, 1}, 1), vote({"b", "a", "c"}, {0, 1, 2}, 2),
                                  vote({"a", "c", "b"}, {0, 1, 0}, 3), vote({"a", "c"}, {0, 1}, 4),
                                  vote({"a", "b"}, {0, 1}, 5, "x", "en", "auto")};
  const HeadToHead h = head_to_head(votes, "text-to-image", "human", "a", "b");
  EXPECT_EQ(h.wins, 1);
  EXPECT_EQ(h.losses, 1);
  EXPECT_EQ(h.ties, 1);
  const HeadToHead r = head_to_head(votes, "text-to-image", "human", "b", "a");
  EXPECT_EQ(r.wins, 1);
  EXPECT_EQ(r.losses, 1);
  EXPECT_EQ(head_to_head(votes, "text-to-image", "auto", "a", "b").wins, 1);
  EXPECT_EQ(head_to_head(votes, "image-edit", "human", "a", "b").wins, 0);
}

TEST(Leaderboard, WeightedVotesMoveLess) {
  auto full = compute_leaderboards({vote({"a", "b"}, {0, 1}, 1)});
  auto half = compute_leaderboards({vote({"a", "b"}, {0, 1}, 1, "c", "en", "human", 0.5)});
  ASSERT_TRUE(full.is_ok() && half.is_ok());
  const double gain_full = row((*full)[0], "a")->mu - 25.0, gain_half = row((*half)[0], "a")->mu - 25.0;
  EXPECT_NEAR(gain_half, 0.5 * gain_full, 1e-12);
}

TEST(Leaderboard, BadVotesFail) {
  auto code = [](std::vector<RatedVote> v) {
    auto r = compute_leaderboards(v);
    return r.is_ok() ? StatusCode::kOk : r.status().code();
  };
  EXPECT_EQ(code({vote({"a"}, {0}, 1)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({vote({"a", "b"}, {0}, 1)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({vote({"a", "a"}, {0, 1}, 1)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({vote({"a", "b", "c", "d", "e"}, {0, 1, 2, 3, 4}, 1)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({vote({"a", "b"}, {0, 1}, 1, "c", "en", "human", 0.0)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({vote({"a", "b"}, {0, 1}, 1, "c", "en", "human", 2.0)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({}), StatusCode::kOk);
  LeaderboardOptions o;
  o.trueskill.sigma = -1;
  EXPECT_FALSE(compute_leaderboards({}, o).is_ok());
}

}  // namespace
}  // namespace pictor::arena
