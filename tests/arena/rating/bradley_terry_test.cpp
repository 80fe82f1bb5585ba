// Bradley–Terry: recovery of known strengths, intervals, rank_ub and the edge cases.
#include "arena/rating/bradley_terry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace pictor::arena {
namespace {

// `games` random pairs among models with natural-log strengths `theta`; logistic outcomes.
PairCounts synthetic(const std::vector<double>& theta, int games, uint64_t seed, double tie_rate = 0.0) {
  const int k = int(theta.size());
  PairCounts c(k);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick(0, k - 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int g = 0; g < games; ++g) {
    const int i = pick(rng);
    int j = pick(rng);
    while (j == i) j = pick(rng);
    if (u(rng) < tie_rate) {
      EXPECT_TRUE(c.add_tie(i, j).is_ok());
      continue;
    }
    const double p = 1.0 / (1.0 + std::exp(theta[j] - theta[i]));
    EXPECT_TRUE((u(rng) < p ? c.add_win(i, j) : c.add_win(j, i)).is_ok());
  }
  return c;
}

const std::vector<double> kTheta = {1.2, -0.8, 0.4, 0.0, -0.3, 0.8};

TEST(BradleyTerry, RecoversKnownOrderAndScale) {
  BradleyTerryOptions o;
  o.bootstrap_rounds = 0;
  // With random ties (half a win each way) the order survives; the scale shrinks, so it is
  // checked on tie-free data.
  auto with_ties = fit_bradley_terry(synthetic(kTheta, 20000, 7, 0.2), o);
  auto fit = fit_bradley_terry(synthetic(kTheta, 100000, 7), o);
  ASSERT_TRUE(fit.is_ok() && with_ties.is_ok());
  std::vector<int> want(kTheta.size()), got(kTheta.size());
  std::iota(want.begin(), want.end(), 0);
  std::iota(got.begin(), got.end(), 0);
  std::sort(want.begin(), want.end(), [&](int a, int b) { return kTheta[a] > kTheta[b]; });
  std::sort(got.begin(), got.end(), [&](int a, int b) { return (*fit)[a].rating > (*fit)[b].rating; });
  EXPECT_EQ(got, want);
  std::sort(got.begin(), got.end(),
            [&](int a, int b) { return (*with_ties)[a].rating > (*with_ties)[b].rating; });
  EXPECT_EQ(got, want);
  // Elo scale: 400 points per factor 10 in odds, mean pinned to 1000.
  const double mean_theta = std::accumulate(kTheta.begin(), kTheta.end(), 0.0) / kTheta.size();
  double mean = 0.0, sxy = 0.0, sxx = 0.0;
  for (size_t m = 0; m < kTheta.size(); ++m) {
    mean += (*fit)[m].rating / kTheta.size();
    EXPECT_NEAR((*fit)[m].rating, 1000.0 + 400.0 / std::log(10.0) * (kTheta[m] - mean_theta), 15.0) << m;
    sxy += ((*fit)[m].rating - 1000.0) * (kTheta[m] - mean_theta);
    sxx += (kTheta[m] - mean_theta) * (kTheta[m] - mean_theta);
  }
  EXPECT_NEAR(mean, 1000.0, 1e-9);
  EXPECT_NEAR(sxy / sxx / (400.0 / std::log(10.0)), 1.0, 0.04);  // points per unit of log-odds
}

TEST(BradleyTerry, IntervalsContainThePointAndShrinkWithData) {
  double width_small = 0.0, width_large = 0.0;
  for (int games : {400, 8000}) {
    auto fit = fit_bradley_terry(synthetic(kTheta, games, 11), BradleyTerryOptions{});
    ASSERT_TRUE(fit.is_ok());
    double width = 0.0;
    for (const auto& r : *fit) {
      EXPECT_LE(r.lo, r.rating);
      EXPECT_GE(r.hi, r.rating);
      EXPECT_LT(r.lo, r.hi);
      width += (r.hi - r.lo) / fit->size();
    }
    (games == 400 ? width_small : width_large) = width;
  }
  EXPECT_GT(width_small, 2.5 * width_large);  // ~ sqrt(20) in theory
}

TEST(BradleyTerry, BootstrapIsDeterministicForASeed) {
  const PairCounts c = synthetic(kTheta, 1000, 3);
  BradleyTerryOptions o;
  auto a = fit_bradley_terry(c, o), b = fit_bradley_terry(c, o);
  o.seed = 99;
  auto d = fit_bradley_terry(c, o);
  ASSERT_TRUE(a.is_ok() && b.is_ok() && d.is_ok());
  bool differs = false;
  for (size_t m = 0; m < kTheta.size(); ++m) {
    EXPECT_EQ((*a)[m].lo, (*b)[m].lo);
    EXPECT_EQ((*a)[m].hi, (*b)[m].hi);
    EXPECT_EQ((*a)[m].rating, (*d)[m].rating);
    differs |= (*a)[m].lo != (*d)[m].lo;
  }
  EXPECT_TRUE(differs);
}

TEST(BradleyTerry, RankUpperBoundFollowsLmArena) {
  // Two clear tiers: {0, 1} far above {2, 3}.
  auto fit = fit_bradley_terry(synthetic({2.0, 1.9, -1.9, -2.0}, 4000, 5), BradleyTerryOptions{});
  ASSERT_TRUE(fit.is_ok());
  for (const auto& r : *fit) {
    int above = 0;
    for (const auto& o : *fit) above += o.lo > r.hi ? 1 : 0;
    EXPECT_EQ(r.rank_ub, 1 + above);
  }
  EXPECT_EQ((*fit)[0].rank_ub, 1);
  EXPECT_EQ((*fit)[1].rank_ub, 1);  // overlaps model 0
  EXPECT_EQ((*fit)[2].rank_ub, 3);
  EXPECT_EQ((*fit)[3].rank_ub, 3);
}

TEST(BradleyTerry, EdgeCases) {
  // One model only, and no models.
  auto one = fit_bradley_terry(PairCounts(1));
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ((*one)[0].rating, 1000.0);
  EXPECT_EQ((*one)[0].rank_ub, 1);
  auto none = fit_bradley_terry(PairCounts(0));
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
  // Model 2 has no games; model 0 always wins (finite thanks to the L2 prior).
  PairCounts c(3);
  for (int g = 0; g < 50; ++g) ASSERT_TRUE(c.add_win(0, 1).is_ok());
  auto fit = fit_bradley_terry(c);
  ASSERT_TRUE(fit.is_ok());
  EXPECT_TRUE(std::isfinite((*fit)[0].rating));
  EXPECT_GT((*fit)[0].rating, (*fit)[1].rating + 400.0);
  EXPECT_NEAR((*fit)[2].rating, 1000.0, 1e-9);
  EXPECT_EQ((*fit)[2].games, 0.0);
  EXPECT_EQ((*fit)[2].lo, (*fit)[2].hi);
  EXPECT_EQ((*fit)[0].games, 50.0);
  // Only ties: equal strength.
  PairCounts t(2);
  for (int g = 0; g < 10; ++g) ASSERT_TRUE(t.add_tie(0, 1).is_ok());
  auto tie = fit_bradley_terry(t);
  ASSERT_TRUE(tie.is_ok());
  EXPECT_NEAR((*tie)[0].rating, 1000.0, 1e-9);
  EXPECT_NEAR((*tie)[1].rating, 1000.0, 1e-9);
}

TEST(BradleyTerry, RankingsDecomposeIntoPairs) {
  PairCounts c(4);
  const int models[] = {3, 1, 0, 2};
  const int ranks[] = {0, 1, 1, 2};
  ASSERT_TRUE(c.add_ranking(models, ranks, 0.5).is_ok());
  EXPECT_EQ(c.cell(1, 3).n[1], 1);   // 3 beat 1
  EXPECT_EQ(c.cell(0, 1).n[2], 1);   // 1 and 0 tied
  EXPECT_EQ(c.cell(0, 2).n[0], 1);   // 0 beat 2
  EXPECT_EQ(c.cell(2, 3).w[1], 0.5);
  EXPECT_DOUBLE_EQ(c.games(3), 1.5);  // three pairs at weight 0.5
  // Weighted wins: a tie splits in halves.
  const std::vector<double> wins = {0, 3, 1, 0};  // 0 beat 1 three times, 1 beat 0 once
  const auto th = bradley_terry_strengths(2, wins, 1e-9);
  EXPECT_NEAR(th[0] - th[1], std::log(3.0), 1e-6);
}

TEST(BradleyTerry, BadInput) {
  PairCounts c(2);
  EXPECT_EQ(c.add_win(0, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add_win(0, 2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add_tie(-1, 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add_win(0, 1, 0.0).code(), StatusCode::kInvalidArgument);
  const int m[] = {0, 1};
  const int r[] = {0};
  EXPECT_EQ(c.add_ranking(m, r).code(), StatusCode::kInvalidArgument);
  BradleyTerryOptions o;
  o.l2 = 0.0;
  EXPECT_FALSE(fit_bradley_terry(c, o).is_ok());
  o = {};
  o.bootstrap_rounds = -1;
  EXPECT_FALSE(fit_bradley_terry(c, o).is_ok());
}

}  // namespace
}  // namespace pictor::arena
