#include "arena/rating/sampling.h"

#include <cmath>

namespace pictor::arena {
namespace {

// Sequential-search inversion; expected n·p + 1 steps.
int64_t binomial_inversion(int64_t n, double p, SplitMix64& rng) {
  const double q = 1.0 - p, s = p / q, a = double(n + 1) * s;
  const double r0 = std::exp(double(n) * std::log1p(-p));
  for (;;) {
    double u = rng.uniform(), r = r0;
    int64_t x = 0;
    while (u > r && x < n) {
      u -= r;
      ++x;
      r *= a / double(x) - s;
    }
    if (u <= r || x == n) return x;  // x == n with u left over: rounding; accept the tail
  }
}

// BTRS; needs n·p ≥ 10 and p ≤ 0.5.
int64_t binomial_btrs(int64_t n, double p, SplitMix64& rng) {
  const double nd = double(n);
  const double spq = std::sqrt(nd * p * (1.0 - p));
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = nd * p + 0.5;
  const double v_r = 0.92 - 4.2 / b;
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double lpq = std::log(p / (1.0 - p));
  const double m = std::floor((nd + 1.0) * p);
  double h = NAN;  // log m! (n − m)!, only on the slow path
  for (;;) {
    const double u = rng.uniform() - 0.5;
    double v = rng.uniform();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2.0 * a / us + b) * u + c);
    if (k < 0.0 || k > nd) continue;
    if (us >= 0.07 && v <= v_r) return int64_t(k);
    v = std::log(v * alpha / (a / (us * us) + b));
    if (std::isnan(h)) h = std::lgamma(m + 1.0) + std::lgamma(nd - m + 1.0);
    if (v <= h - std::lgamma(k + 1.0) - std::lgamma(nd - k + 1.0) + (k - m) * lpq) return int64_t(k);
  }
}

}  // namespace

int64_t sample_binomial(int64_t n, double p, SplitMix64& rng) {
  if (n <= 0 || !(p > 0.0)) return 0;
  if (p >= 1.0) return n;
  if (p > 0.5) return n - sample_binomial(n, 1.0 - p, rng);
  return double(n) * p < 10.0 ? binomial_inversion(n, p, rng) : binomial_btrs(n, p, rng);
}

}  // namespace pictor::arena
