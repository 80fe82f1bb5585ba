#include "arena/rating/trueskill.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace pictor::arena {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2Pi = 2.50662827463100050242;
// Beyond this many standard deviations the tail formulas switch to Mills-ratio continued fractions
// (erfc itself underflows near 38; the library raises FloatingPointError there).
constexpr double kTail = 30.0;

// For z ≥ kTail: q in R(z) = 1 / (z + q), R the Mills ratio (1 − Φ(z)) / φ(z),
// q = 1 / (z + 2 / (z + 3 / (z + ...))). Evaluated backwards; 40 terms is exact at z ≥ 30.
double mills_q(double z) {
  double tail = z;
  for (int k = 40; k >= 2; --k) tail = z + k / tail;
  return 1.0 / tail;
}
double mills_ratio(double z) { return 1.0 / (z + mills_q(z)); }

// Numerical Recipes' erfcc, the reference library's pure-Python erfc.
double erfc_reference(double x) {
  const double z = std::abs(x);
  const double t = 1.0 / (1.0 + 0.5 * z);
  const double r =
      t * std::exp(-z * z - 1.26551223 +
                   t * (1.00002368 +
                        t * (0.37409196 +
                             t * (0.09678418 +
                                  t * (-0.18628806 +
                                       t * (0.27886807 +
                                            t * (-1.13520398 +
                                                 t * (1.48851587 +
                                                      t * (-0.82215223 + t * 0.17087277)))))))));
  return x < 0 ? 2.0 - r : r;
}

double cdf(double x, bool reference) { return reference ? norm_cdf_reference(x) : norm_cdf(x); }

struct VW {
  double v, w;
};

VW vw_win(double t, double e, bool ref = false) {
  const double x = t - e;
  if (x < -kTail) {
    // v = 1/R(z) = z + q and w = v (v − z) = q (z + q), without cancellation.
    const double z = -x, q = mills_q(z);
    return {z + q, q * (z + q)};
  }
  const double v = norm_pdf(x) / cdf(x, ref);
  return {v, v * (v + x)};
}

VW vw_draw(double t, double e, bool ref = false) {
  const double abs_t = std::abs(t);
  const double sign = t < 0 ? -1.0 : 1.0;
  const double a = e - abs_t, b = -e - abs_t;
  if (a < -kTail) {
    // cdf(a) = φ(A) R(A), cdf(b) = φ(B) R(B) with A = −a, B = −b; r = φ(B) / φ(A).
    const double big_a = -a, big_b = -b;
    const double r = std::exp(-2.0 * e * abs_t);
    const double den = mills_ratio(big_a) - r * mills_ratio(big_b);
    const double v = (r - 1.0) / den;
    return {v * sign, v * v + (big_b * r - big_a) / den};
  }
  const double pa = norm_pdf(a), pb = norm_pdf(b);
  const double denom = cdf(a, ref) - cdf(b, ref);
  const double v = (pb - pa) / denom;
  return {v * sign, v * v + (a * pa - b * pb) / denom};
}

// A Gaussian in natural parameters (precision pi, precision-adjusted mean tau), as the library.
struct Gaussian {
  double pi = 0.0, tau = 0.0;
  double mu() const { return pi != 0.0 ? tau / pi : 0.0; }
};
Gaussian operator*(Gaussian a, Gaussian b) { return {a.pi + b.pi, a.tau + b.tau}; }
Gaussian operator/(Gaussian a, Gaussian b) { return {a.pi - b.pi, a.tau - b.tau}; }

double delta(Gaussian a, Gaussian b) {
  const double pi_delta = std::abs(a.pi - b.pi);
  if (pi_delta == kInf) return 0.0;
  return std::max(std::abs(a.tau - b.tau), std::sqrt(pi_delta));
}
// The same where the caller ignores the change (all but the truncation factors).
void replace_message(Gaussian& var, Gaussian& slot, Gaussian message) {
  var = var / slot * message;
  slot = message;
}
// Variable.update_value: set the marginal, the message becomes what explains it.
double update_value(Gaussian& var, Gaussian& slot, Gaussian value) {
  slot = value * slot / var;
  const double d = delta(var, value);
  var = value;
  return d;
}

// SumFactor.update for two terms, coefficients ±1: target = c0·x0 + c1·x1 from the cavities
// x_k / m_k (means add, variances add).
void sum_update(Gaussian& target, Gaussian& slot, Gaussian x0, Gaussian m0, double c0,
                Gaussian x1, Gaussian m1, double c1) {
  const Gaussian d0 = x0 / m0, d1 = x1 / m1;
  if (d0.pi == 0.0 || d1.pi == 0.0) {  // an infinite variance: a flat message
    replace_message(target, slot, {0.0, 0.0});
    return;
  }
  const double var0 = 1.0 / d0.pi, var1 = 1.0 / d1.pi;
  const double mu = c0 * d0.tau * var0 + c1 * d1.tau * var1;
  const double pi = 1.0 / (var0 + var1);
  replace_message(target, slot, {pi, pi * mu});
}
// SumFactor.update for one term with coefficient 1 (a single-player team's performance).
void copy_update(Gaussian& target, Gaussian& slot, Gaussian x, Gaussian m) {
  replace_message(target, slot, x / m);
}

// The factor graph of n ≤ 4 single-player teams sorted by rank (the library's layers).
struct Graph {
  static constexpr int kMax = TrueSkill::kMaxPlayers;
  std::array<Gaussian, kMax> rating, prior_msg, lik_to_rating;
  std::array<Gaussian, kMax> perf, lik_to_perf, team_to_perf;
  std::array<Gaussian, kMax> team, perf_to_team, diff_to_left, diff_to_right;
  std::array<Gaussian, kMax - 1> diff, sum_to_diff, trunc_to_diff;
  std::array<bool, kMax - 1> tie{};
  int n = 0;
  bool ref = false;  // NormalBackend::kReferencePurePython
  double beta2 = 0.0, margin = 0.0;

  // team[j] − team[j+1] → diff[j]
  void diff_down(int j) {
    sum_update(diff[j], sum_to_diff[j], team[j], diff_to_right[j], 1.0, team[j + 1],
               diff_to_left[j + 1], -1.0);
  }
  // diff[j] + team[j+1] → team[j]
  void diff_up_left(int j) {
    sum_update(team[j], diff_to_right[j], diff[j], sum_to_diff[j], 1.0, team[j + 1],
               diff_to_left[j + 1], 1.0);
  }
  // team[j] − diff[j] → team[j+1]
  void diff_up_right(int j) {
    sum_update(team[j + 1], diff_to_left[j + 1], team[j], diff_to_right[j], 1.0, diff[j],
               sum_to_diff[j], -1.0);
  }
  double trunc_up(int j) {
    const Gaussian div = diff[j] / trunc_to_diff[j];
    const double sqrt_pi = std::sqrt(div.pi);
    const VW vw = tie[j] ? vw_draw(div.tau / sqrt_pi, margin * sqrt_pi, ref)
                         : vw_win(div.tau / sqrt_pi, margin * sqrt_pi, ref);
    const double denom = 1.0 - vw.w;
    return update_value(diff[j], trunc_to_diff[j],
                        {div.pi / denom, (div.tau + sqrt_pi * vw.v) / denom});
  }
  void likelihood(Gaussian& from, Gaussian from_msg, Gaussian& to, Gaussian& to_slot) {
    const Gaussian msg = from / from_msg;
    const double a = 1.0 / (1.0 + beta2 * msg.pi);
    replace_message(to, to_slot, {a * msg.pi, a * msg.tau});
  }

  // The messages the loop changes; once a sweep leaves them bit for bit as they were, every
  // further sweep would too, so stopping there gives exactly the library's result.
  struct Loop {
    std::array<Gaussian, kMax> team, diff_to_left, diff_to_right;
    std::array<Gaussian, kMax - 1> diff, sum_to_diff, trunc_to_diff;
  };
  void save(Loop& l) const {
    l = {team, diff_to_left, diff_to_right, diff, sum_to_diff, trunc_to_diff};
  }
  bool same(const Loop& l) const {
    auto eq = [](const auto& a, const auto& b) {
      return std::memcmp(a.data(), b.data(), sizeof(a)) == 0;
    };
    return eq(l.team, team) && eq(l.diff_to_left, diff_to_left) &&
           eq(l.diff_to_right, diff_to_right) && eq(l.diff, diff) &&
           eq(l.sum_to_diff, sum_to_diff) && eq(l.trunc_to_diff, trunc_to_diff);
  }

  void run(const Rating* in, double tau_dyn, double min_delta, int max_iterations) {
    for (int i = 0; i < n; ++i) {
      const double s = std::sqrt(in[i].sigma * in[i].sigma + tau_dyn * tau_dyn);
      const double pi = 1.0 / (s * s);
      update_value(rating[i], prior_msg[i], {pi, pi * in[i].mu});
    }
    for (int i = 0; i < n; ++i) likelihood(rating[i], lik_to_rating[i], perf[i], lik_to_perf[i]);
    for (int i = 0; i < n; ++i) copy_update(team[i], perf_to_team[i], perf[i], team_to_perf[i]);
    const int diffs = n - 1;
    Loop before;
    for (int it = 0; it < max_iterations; ++it) {
      if (diffs > 1) save(before);
      double d = 0.0;
      if (diffs == 1) {
        diff_down(0);
        d = trunc_up(0);
      } else {
        for (int x = 0; x < diffs - 1; ++x) {
          diff_down(x);
          d = std::max(d, trunc_up(x));
          diff_up_right(x);
        }
        for (int x = diffs - 1; x > 0; --x) {
          diff_down(x);
          d = std::max(d, trunc_up(x));
          diff_up_left(x);
        }
      }
      if (d <= min_delta || (diffs > 1 && same(before))) break;
    }
    diff_up_left(0);
    diff_up_right(diffs - 1);
    for (int i = 0; i < n; ++i) copy_update(perf[i], team_to_perf[i], team[i], perf_to_team[i]);
    for (int i = 0; i < n; ++i) likelihood(perf[i], lik_to_perf[i], rating[i], lik_to_rating[i]);
  }
};

bool finite_rating(const Rating& r) {
  return std::isfinite(r.mu) && std::isfinite(r.sigma) && r.sigma > 0.0;
}

}  // namespace

double norm_cdf(double x) { return 0.5 * std::erfc(-x / kSqrt2); }
double norm_pdf(double x) { return kInvSqrt2Pi * std::exp(-0.5 * x * x); }

double norm_ppf(double p) {
  if (std::isnan(p)) return p;
  if (p <= 0.0) return -kInf;
  if (p >= 1.0) return kInf;
  // Symmetry keeps the refinement on the small side, where 1 − p is exact (Sterbenz).
  if (p > 0.5) return -norm_ppf(1.0 - p);
  // Acklam's rational approximation (relative error ≤ 1.2e-9), then Halley steps on erfc.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00, 2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  for (int i = 0; i < 2; ++i) {
    const double e = norm_cdf(x) - p;
    const double u = e * kSqrt2Pi * std::exp(0.5 * x * x);
    x = x - u / (1.0 + 0.5 * x * u);
  }
  return x;
}

double norm_cdf_reference(double x) { return 0.5 * erfc_reference(-x / kSqrt2); }

double norm_ppf_reference(double p) {
  if (std::isnan(p)) return p;
  if (p <= 0.0) return -kInf;
  if (p >= 1.0) return kInf;
  if (p > 0.5) return -norm_ppf_reference(1.0 - p);  // erfcc(−z) = 2 − erfcc(z)
  // Newton from the exact quantile (1e-7 away); the derivative's 1e-7 mismatch barely slows it.
  double x = norm_ppf(p);
  for (int i = 0; i < 4; ++i) x -= (norm_cdf_reference(x) - p) / norm_pdf(x);
  return x;
}

double v_win(double t, double e) { return vw_win(t, e).v; }
double w_win(double t, double e) { return vw_win(t, e).w; }
double v_draw(double t, double e) { return vw_draw(t, e).v; }
double w_draw(double t, double e) { return vw_draw(t, e).w; }

Result<TrueSkill> TrueSkill::create(const TrueSkillParams& p) {
  auto finite = [](double v) { return std::isfinite(v); };
  if (!finite(p.mu)) return invalid_argument("trueskill: mu must be finite");
  if (!finite(p.sigma) || p.sigma <= 0) return invalid_argument("trueskill: sigma must be > 0");
  if (!finite(p.beta) || p.beta <= 0) return invalid_argument("trueskill: beta must be > 0");
  if (!finite(p.tau) || p.tau < 0) return invalid_argument("trueskill: tau must be >= 0");
  if (!(p.draw_probability > 0 && p.draw_probability < 1))
    return invalid_argument("trueskill: draw_probability must be in (0, 1)");
  if (!(p.min_delta > 0)) return invalid_argument("trueskill: min_delta must be > 0");
  if (p.max_iterations < 1) return invalid_argument("trueskill: max_iterations must be >= 1");
  return TrueSkill(p, 0);
}

TrueSkill::TrueSkill(const TrueSkillParams& params, int) : params_(params) {
  margin_ = draw_margin(2);
}

double TrueSkill::draw_margin(int size) const {
  const double p = (params_.draw_probability + 1.0) / 2.0;
  const bool ref = params_.normal == NormalBackend::kReferencePurePython;
  return (ref ? norm_ppf_reference(p) : norm_ppf(p)) * std::sqrt(double(size)) * params_.beta;
}

void TrueSkill::rate_two(Rating a, Rating b, bool drawn, Rating* out) const {
  // The graph for two teams converges in one sweep to this closed form.
  const double tau2 = params_.tau * params_.tau;
  const double va = a.sigma * a.sigma + tau2, vb = b.sigma * b.sigma + tau2;
  const double c2 = 2.0 * params_.beta * params_.beta + va + vb;
  const double c = std::sqrt(c2);
  const bool ref = params_.normal == NormalBackend::kReferencePurePython;
  const double t = (a.mu - b.mu) / c, e = margin_ / c;
  const VW vw = drawn ? vw_draw(t, e, ref) : vw_win(t, e, ref);
  out[0] = {a.mu + va / c * vw.v, std::sqrt(va * (1.0 - va / c2 * vw.w))};
  out[1] = {b.mu - vb / c * vw.v, std::sqrt(vb * (1.0 - vb / c2 * vw.w))};
}

Status TrueSkill::rate_sorted(const Rating* in, const bool* tie_next, int n, Rating* out) const {
  if (n == 2) {
    rate_two(in[0], in[1], tie_next[0], out);
  } else {
    Graph g;
    g.n = n;
    g.beta2 = params_.beta * params_.beta;
    g.margin = margin_;
    g.ref = params_.normal == NormalBackend::kReferencePurePython;
    for (int j = 0; j + 1 < n; ++j) g.tie[j] = tie_next[j];
    g.run(in, params_.tau, params_.min_delta, params_.max_iterations);
    for (int i = 0; i < n; ++i) out[i] = {g.rating[i].mu(), std::sqrt(1.0 / g.rating[i].pi)};
  }
  for (int i = 0; i < n; ++i) {
    if (!finite_rating(out[i])) return internal_error("trueskill: update is numerically unstable");
  }
  return Status::ok();
}

Status TrueSkill::rate_into(std::span<const Rating> players, std::span<const int> ranks,
                            double weight, std::span<Rating> out) const {
  const int n = int(players.size());
  if (n < kMinPlayers || n > kMaxPlayers)
    return invalid_argument("trueskill: a vote needs 2 to 4 players, got " + std::to_string(n));
  if (ranks.size() != players.size())
    return invalid_argument("trueskill: ranks has " + std::to_string(ranks.size()) +
                            " entries for " + std::to_string(n) + " players");
  if (out.size() != players.size()) return invalid_argument("trueskill: output size mismatch");
  if (!(weight > 0.0 && weight <= 1.0)) return invalid_argument("trueskill: weight must be in (0, 1]");
  for (const Rating& r : players) {
    if (!std::isfinite(r.mu) || !std::isfinite(r.sigma) || r.sigma <= 0.0)
      return invalid_argument("trueskill: ratings need a finite mu and a sigma > 0");
  }
  // Stable sort by rank, as the library's sorted().
  std::array<int, kMaxPlayers> order{};
  for (int i = 0; i < n; ++i) {
    int k = i;
    while (k > 0 && ranks[order[k - 1]] > ranks[i]) {
      order[k] = order[k - 1];
      --k;
    }
    order[k] = i;
  }
  std::array<Rating, kMaxPlayers> sorted_in, sorted_out;
  std::array<bool, kMaxPlayers> tie_next{};
  for (int k = 0; k < n; ++k) sorted_in[k] = players[order[k]];
  for (int k = 0; k + 1 < n; ++k) tie_next[k] = ranks[order[k]] == ranks[order[k + 1]];
  PICTOR_RETURN_IF_ERROR(rate_sorted(sorted_in.data(), tie_next.data(), n, sorted_out.data()));
  const double tau2 = params_.tau * params_.tau;
  for (int k = 0; k < n; ++k) {
    const Rating& before = sorted_in[k];
    const Rating& full = sorted_out[k];
    Rating& r = out[order[k]];
    if (weight == 1.0) {
      r = full;
    } else {
      const double dyn = before.sigma * before.sigma + tau2;
      r.mu = before.mu + weight * (full.mu - before.mu);
      r.sigma = std::sqrt(dyn + weight * (full.sigma * full.sigma - dyn));
    }
  }
  return Status::ok();
}

Result<std::vector<Rating>> TrueSkill::rate(const std::vector<Rating>& players,
                                            const std::vector<int>& ranks, double weight) const {
  std::vector<Rating> out(players.size());
  Status st = rate_into(players, ranks, weight, out);
  if (!st.is_ok()) return st;
  return out;
}

Result<std::vector<Rating>> TrueSkill::rate_1vs1(Rating first, Rating second, bool drawn,
                                                 double weight) const {
  return rate({first, second}, {0, drawn ? 0 : 1}, weight);
}

double TrueSkill::quality_1vs1(Rating a, Rating b) const {
  const double beta2 = params_.beta * params_.beta;
  const double denom = 2.0 * beta2 + a.sigma * a.sigma + b.sigma * b.sigma;
  const double diff = a.mu - b.mu;
  return std::sqrt(2.0 * beta2 / denom) * std::exp(-diff * diff / (2.0 * denom));
}

}  // namespace pictor::arena
