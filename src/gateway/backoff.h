#pragma once
// Jittered exponential backoff, shared by the router's retries and webhook deliveries:
// base × 2^(retry−1), capped at `cap`, times a factor drawn uniformly from [1 − jitter, 1 + jitter]
// (`unit_random` in [0, 1) is that draw, so callers choose the source and tests can pin it).
#include <algorithm>
#include <cmath>

namespace pictor::gateway {

inline double backoff_delay(double base, int retry, double cap, double jitter, double unit_random) {
  const double grown = base * std::pow(2.0, std::clamp(retry - 1, 0, 60));
  return std::min(grown, cap) * (1.0 - jitter + 2.0 * jitter * unit_random);
}

}  // namespace pictor::gateway
