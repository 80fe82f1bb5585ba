#include "arena/rating/bradley_terry.h"

#include "arena/rating/sampling.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace pictor::arena {
namespace {

constexpr int kMaxNewtonIterations = 100;
constexpr double kNewtonTolerance = 1e-10;  // in natural-log strength (≈ 2e-8 rating points)
constexpr double kTrustedStep = 0.5;  // Newton steps up to this size skip the line search

// One unordered pair's weighted wins each way (ties already split in halves).
struct Pair {
  int i, j;
  double wij, wji;
};

double log_sigmoid(double x) {
  return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

double objective(const std::vector<Pair>& pairs, const std::vector<double>& theta, double l2) {
  double f = 0.0;
  for (const Pair& p : pairs) {
    const double d = theta[p.i] - theta[p.j];
    f += p.wij * log_sigmoid(d) + p.wji * log_sigmoid(-d);
  }
  for (double t : theta) f -= 0.5 * l2 * t * t;
  return f;
}

// In-place Cholesky solve of a (k × k, symmetric positive definite) · x = b; b becomes x.
void cholesky_solve(std::vector<double>& a, std::vector<double>& b, int k) {
  for (int c = 0; c < k; ++c) {
    double d = a[c * k + c];
    for (int m = 0; m < c; ++m) d -= a[c * k + m] * a[c * k + m];
    d = std::sqrt(d);
    a[c * k + c] = d;
    for (int r = c + 1; r < k; ++r) {
      double s = a[r * k + c];
      for (int m = 0; m < c; ++m) s -= a[r * k + m] * a[c * k + m];
      a[r * k + c] = s / d;
    }
  }
  for (int r = 0; r < k; ++r) {
    double s = b[r];
    for (int m = 0; m < r; ++m) s -= a[r * k + m] * b[m];
    b[r] = s / a[r * k + r];
  }
  for (int r = k - 1; r >= 0; --r) {
    double s = b[r];
    for (int m = r + 1; m < k; ++m) s -= a[m * k + r] * b[m];
    b[r] = s / a[r * k + r];
  }
}

// Maximises the penalised log-likelihood (strictly concave for l2 > 0) by damped Newton from
// theta's current value; theta ends centred on mean 0.
void solve(const std::vector<Pair>& pairs, int k, double l2, std::vector<double>& theta) {
  std::vector<double> hess(size_t(k) * k), step(k), trial(k);
  double f = NAN;  // objective at theta, computed when a line search needs it
  for (int it = 0; it < kMaxNewtonIterations; ++it) {
    std::fill(hess.begin(), hess.end(), 0.0);
    for (int i = 0; i < k; ++i) {
      step[i] = -l2 * theta[i];
      hess[i * k + i] = l2;
    }
    for (const Pair& p : pairs) {
      const double prob = 1.0 / (1.0 + std::exp(theta[p.j] - theta[p.i]));
      const double n = p.wij + p.wji;
      const double g = p.wij - n * prob;
      const double h = n * prob * (1.0 - prob);
      step[p.i] += g;
      step[p.j] -= g;
      hess[p.i * k + p.i] += h;
      hess[p.j * k + p.j] += h;
      hess[p.i * k + p.j] -= h;
      hess[p.j * k + p.i] -= h;
    }
    cholesky_solve(hess, step, k);
    double max_move = 0.0;
    for (int i = 0; i < k; ++i) max_move = std::max(max_move, std::abs(step[i]));
    if (max_move <= kTrustedStep) {
      // Close to the optimum (always, when warm-started): plain Newton, quadratic convergence.
      for (int i = 0; i < k; ++i) trial[i] = theta[i] + step[i];
      f = NAN;
    } else {
      // Far from it (a cold start, a model that always wins): halve until the objective rises.
      if (std::isnan(f)) f = objective(pairs, theta, l2);
      double s = 1.0;
      for (int half = 0; half < 40; ++half, s *= 0.5) {
        for (int i = 0; i < k; ++i) trial[i] = theta[i] + s * step[i];
        const double ft = objective(pairs, trial, l2);
        if (ft >= f - 1e-12 * std::abs(f)) {
          f = ft;
          break;
        }
      }
      max_move *= s;
    }
    theta.swap(trial);
    if (max_move < kNewtonTolerance) break;
  }
  double mean = 0.0;
  for (double t : theta) mean += t;
  mean /= std::max(1, k);
  for (double& t : theta) t -= mean;
}

std::vector<Pair> pairs_from_cells(const PairCounts& counts, const double* weights /*3 per cell*/) {
  std::vector<Pair> pairs;
  const int k = counts.models();
  int c = 0;
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j, c += 3) {
      const double wij = weights[c] + 0.5 * weights[c + 2];
      const double wji = weights[c + 1] + 0.5 * weights[c + 2];
      if (wij + wji > 0.0) pairs.push_back({i, j, wij, wji});
    }
  }
  return pairs;
}

// numpy's default (linear) percentile of sorted values.
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q * double(sorted.size() - 1);
  const size_t lo = size_t(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

PairCounts::PairCounts(int models) : models_(std::max(0, models)), cells_(size_t(models_) * models_) {}

const PairCounts::Cell& PairCounts::cell(int i, int j) const { return cells_[index(i, j)]; }

double PairCounts::games(int model) const {
  double g = 0.0;
  for (int o = 0; o < models_; ++o) {
    if (o == model) continue;
    const Cell& c = o < model ? cell(o, model) : cell(model, o);
    g += c.w[0] + c.w[1] + c.w[2];
  }
  return g;
}

Status PairCounts::add_win(int winner, int loser, double weight) {
  if (winner < 0 || loser < 0 || winner >= models_ || loser >= models_ || winner == loser)
    return invalid_argument("bradley-terry: a pair needs two distinct models in range");
  if (!(weight > 0.0) || !std::isfinite(weight))
    return invalid_argument("bradley-terry: weight must be positive");
  Cell& c = winner < loser ? cells_[index(winner, loser)] : cells_[index(loser, winner)];
  const int slot = winner < loser ? 0 : 1;
  c.n[slot] += 1;
  c.w[slot] += weight;
  return Status::ok();
}

Status PairCounts::add_tie(int a, int b, double weight) {
  if (a < 0 || b < 0 || a >= models_ || b >= models_ || a == b)
    return invalid_argument("bradley-terry: a pair needs two distinct models in range");
  if (!(weight > 0.0) || !std::isfinite(weight))
    return invalid_argument("bradley-terry: weight must be positive");
  Cell& c = cells_[index(std::min(a, b), std::max(a, b))];
  c.n[2] += 1;
  c.w[2] += weight;
  return Status::ok();
}

Status PairCounts::add_ranking(std::span<const int> models, std::span<const int> ranks,
                               double weight) {
  if (models.size() != ranks.size())
    return invalid_argument("bradley-terry: models and ranks differ in size");
  for (size_t a = 0; a < models.size(); ++a) {
    for (size_t b = a + 1; b < models.size(); ++b) {
      Status st = ranks[a] == ranks[b] ? add_tie(models[a], models[b], weight)
                  : ranks[a] < ranks[b] ? add_win(models[a], models[b], weight)
                                        : add_win(models[b], models[a], weight);
      if (!st.is_ok()) return st;
    }
  }
  return Status::ok();
}

std::vector<double> bradley_terry_strengths(int models, std::span<const double> wins, double l2) {
  std::vector<Pair> pairs;
  for (int i = 0; i < models; ++i) {
    for (int j = i + 1; j < models; ++j) {
      const double wij = wins[size_t(i) * models + j], wji = wins[size_t(j) * models + i];
      if (wij + wji > 0.0) pairs.push_back({i, j, wij, wji});
    }
  }
  std::vector<double> theta(models, 0.0);
  solve(pairs, models, l2, theta);
  return theta;
}

Result<std::vector<BradleyTerryRating>> fit_bradley_terry(const PairCounts& counts,
                                                          const BradleyTerryOptions& o) {
  if (!(o.l2 > 0.0) || !std::isfinite(o.l2)) return invalid_argument("bradley-terry: l2 must be > 0");
  if (!(o.scale > 0.0) || !(o.base > 1.0) || !std::isfinite(o.anchor))
    return invalid_argument("bradley-terry: scale > 0, base > 1 and a finite anchor are needed");
  if (o.bootstrap_rounds < 0) return invalid_argument("bradley-terry: bootstrap_rounds must be >= 0");
  const int k = counts.models();
  const double to_points = o.scale / std::log(o.base);

  // Flatten the cells: 3 outcome kinds per unordered pair, in (i, j) order.
  std::vector<int64_t> n_cells;
  std::vector<double> w_cells;
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      const PairCounts::Cell& c = counts.cell(i, j);
      for (int s = 0; s < 3; ++s) {
        n_cells.push_back(c.n[s]);
        w_cells.push_back(c.w[s]);
      }
    }
  }
  std::vector<double> theta(k, 0.0);
  solve(pairs_from_cells(counts, w_cells.data()), k, o.l2, theta);

  std::vector<BradleyTerryRating> out(k);
  for (int m = 0; m < k; ++m) {
    out[m].rating = o.anchor + to_points * theta[m];
    out[m].lo = out[m].hi = out[m].rating;
    out[m].games = counts.games(m);
  }
  int64_t total = 0;
  for (int64_t n : n_cells) total += n;
  if (o.bootstrap_rounds > 0 && total > 0) {
    SplitMix64 rng(o.seed);
    std::vector<std::vector<double>> samples(k, std::vector<double>(o.bootstrap_rounds));
    std::vector<double> w_draw(w_cells.size());
    std::vector<double> th(k);
    for (int round = 0; round < o.bootstrap_rounds; ++round) {
      // Multinomial(total; n_c / total) as sequential binomials over the non-empty cells.
      int64_t left = total, n_left = total;
      for (size_t c = 0; c < n_cells.size(); ++c) {
        w_draw[c] = 0.0;
        if (n_cells[c] == 0) continue;
        int64_t drawn = left;
        if (n_cells[c] < n_left) drawn = sample_binomial(left, double(n_cells[c]) / double(n_left), rng);
        left -= drawn;
        n_left -= n_cells[c];
        w_draw[c] = double(drawn) * (w_cells[c] / double(n_cells[c]));
      }
      th = theta;  // warm start
      solve(pairs_from_cells(counts, w_draw.data()), k, o.l2, th);
      for (int m = 0; m < k; ++m) samples[m][round] = o.anchor + to_points * th[m];
    }
    for (int m = 0; m < k; ++m) {
      std::sort(samples[m].begin(), samples[m].end());
      out[m].lo = std::min(percentile(samples[m], 0.025), out[m].rating);
      out[m].hi = std::max(percentile(samples[m], 0.975), out[m].rating);
    }
  }
  for (int m = 0; m < k; ++m) {
    int above = 0;
    for (int o2 = 0; o2 < k; ++o2) above += out[o2].lo > out[m].hi ? 1 : 0;
    out[m].rank_ub = 1 + above;
  }
  return out;
}

}  // namespace pictor::arena
