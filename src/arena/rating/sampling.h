#pragma once
// Small, portable random draws for the bootstrap: the same stream and the same variates on every
// platform and standard library (std:: distributions differ between implementations).
#include <cstdint>

namespace pictor::arena {

// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, passes BigCrush.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (double(next() >> 11) + 0.5) * 0x1.0p-53; }  // in (0, 1)

 private:
  uint64_t state_;
};

// Binomial(n, p), exact: inversion for n·min(p, 1−p) < 10, else Hörmann's BTRS (transformed
// rejection with squeeze, 1993).
int64_t sample_binomial(int64_t n, double p, SplitMix64& rng);

}  // namespace pictor::arena
