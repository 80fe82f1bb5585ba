#pragma once
// Bradley–Terry on pairwise outcomes, on LMArena's Elo-like scale, with a bootstrap on the
// aggregated pair cells. A ranking of k models is k(k−1)/2 pair outcomes: a different rank is a
// win, an equal rank a tie (half a win each way).
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace pictor::arena {

// Aggregated pair outcomes of `models` models (indices 0..models−1). Each unordered pair keeps,
// for "i beat j", "j beat i" and "tie", the number of outcomes and their summed weight.
class PairCounts {
 public:
  explicit PairCounts(int models = 0);

  int models() const { return models_; }
  Status add_win(int winner, int loser, double weight = 1.0);
  Status add_tie(int a, int b, double weight = 1.0);
  // models[k] took rank ranks[k] (lower = better; equal = tie); all pairs are added.
  Status add_ranking(std::span<const int> models, std::span<const int> ranks, double weight = 1.0);

  struct Cell {
    int64_t n[3] = {0, 0, 0};       // count: i beat j, j beat i, tie   (i < j)
    double w[3] = {0.0, 0.0, 0.0};  // summed weights of the same
  };
  const Cell& cell(int i, int j) const;  // i < j
  double games(int model) const;         // weighted outcomes the model took part in

 private:
  int index(int i, int j) const { return i * models_ + j; }
  int models_ = 0;
  std::vector<Cell> cells_;  // models × models, upper triangle used
};

struct BradleyTerryOptions {
  // rating = anchor + scale · log_base(odds): 400 and 10 as Elo / LMArena; the mean over the
  // models is pinned to anchor.
  double scale = 400.0;
  double base = 10.0;
  double anchor = 1000.0;
  // L2 penalty λ/2 · Σθ² on the natural-log strengths θ: a N(0, 1/λ) prior (sd ≈ 550 points at
  // 0.1) so that a model that always wins stays finite; negligible once a model has tens of games.
  double l2 = 0.1;
  int bootstrap_rounds = 100;  // 0 = point estimate only (lo = hi = rating)
  uint64_t seed = 0;
};

struct BradleyTerryRating {
  double rating = 0.0;  // point estimate
  double lo = 0.0;      // 2.5th bootstrap percentile
  double hi = 0.0;      // 97.5th bootstrap percentile
  int rank_ub = 1;      // 1 + number of models whose lo > this model's hi (LMArena)
  double games = 0.0;   // weighted outcomes; a model with none sits at the anchor, lo = hi
};

// Fits the point estimate (Newton, line search), then `bootstrap_rounds` refits on resampled
// cells: the N pair outcomes are redrawn with replacement as one multinomial over the cells
// (sequential binomials), each drawn outcome carrying its cell's mean weight. Pair outcomes of one
// multi-way vote are resampled independently (a slightly narrower interval than vote resampling).
// The interval is widened to contain the point estimate if the percentiles miss it. Deterministic
// for a seed.
Result<std::vector<BradleyTerryRating>> fit_bradley_terry(const PairCounts& counts,
                                                          const BradleyTerryOptions& options = {});

// The point estimate only, in natural-log strengths θ (mean 0), from weighted wins
// wins[i * models + j] = weighted wins of i over j (ties already split). For tests and tools.
std::vector<double> bradley_terry_strengths(int models, std::span<const double> wins, double l2);

}  // namespace pictor::arena
