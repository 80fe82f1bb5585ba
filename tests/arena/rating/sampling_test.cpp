// The bootstrap's binomial sampler: exact distribution (chi-square) on both of its branches.
#include "arena/rating/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace pictor::arena {
namespace {

double log_pmf(int64_t n, double p, int64_t k) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
         (n - k) * std::log1p(-p);
}

// Pearson chi-square over the bins with expected count ≥ 5 (the rest pooled).
double chi_square_per_dof(int64_t n, double p, int draws, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> seen(n + 1, 0.0);
  for (int d = 0; d < draws; ++d) {
    const int64_t k = sample_binomial(n, p, rng);
    EXPECT_GE(k, 0);
    EXPECT_LE(k, n);
    seen[k] += 1;
  }
  double chi = 0.0, pooled_seen = 0.0, pooled_want = 0.0;
  int bins = 0;
  for (int64_t k = 0; k <= n; ++k) {
    const double want = draws * std::exp(log_pmf(n, p, k));
    if (want >= 5) {
      chi += (seen[k] - want) * (seen[k] - want) / want;
      ++bins;
    } else {
      pooled_seen += seen[k];
      pooled_want += want;
    }
  }
  if (pooled_want >= 5) {
    chi += (pooled_seen - pooled_want) * (pooled_seen - pooled_want) / pooled_want;
    ++bins;
  }
  return chi / std::max(1, bins - 1);
}

TEST(Sampling, BinomialMatchesItsDistribution) {
  // Inversion (n·p < 10), BTRS (n·p ≥ 10) and the mirrored p > 0.5 side.
  for (auto [n, p] : std::vector<std::pair<int64_t, double>>{
           {1, 0.5}, {7, 0.3}, {60, 0.1}, {40, 0.4}, {200, 0.5}, {1000, 0.03}, {5000, 0.8}, {25, 0.95}}) {
    EXPECT_LT(chi_square_per_dof(n, p, 200000, 17), 1.6) << n << " " << p;
  }
}

TEST(Sampling, BinomialMomentsForLargeN) {
  SplitMix64 rng(5);
  const int64_t n = 2000000;
  const double p = 0.013;
  double sum = 0, sum2 = 0;
  const int draws = 20000;
  for (int d = 0; d < draws; ++d) {
    const double k = double(sample_binomial(n, p, rng));
    sum += k;
    sum2 += k * k;
  }
  const double mean = sum / draws, var = sum2 / draws - mean * mean;
  const double want_var = n * p * (1 - p);
  EXPECT_NEAR(mean, n * p, 5 * std::sqrt(want_var / draws));
  EXPECT_NEAR(var / want_var, 1.0, 0.05);
}

TEST(Sampling, EdgesAndDeterminism) {
  SplitMix64 rng(1);
  EXPECT_EQ(sample_binomial(0, 0.3, rng), 0);
  EXPECT_EQ(sample_binomial(10, 0.0, rng), 0);
  EXPECT_EQ(sample_binomial(10, 1.0, rng), 10);
  SplitMix64 a(9), b(9);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sample_binomial(500, 0.2, a), sample_binomial(500, 0.2, b));
}

}  // namespace
}  // namespace pictor::arena
