#include "arena/matchmaking.h"

#include <algorithm>
#include <cmath>

namespace pictor::arena {

std::vector<std::string> pick_contestants(const std::vector<MatchCandidate>& candidates, int k, std::mt19937_64& rng) {
  std::vector<std::string> picked;
  std::vector<bool> used(candidates.size(), false);
  double score_sum = 0;
  const int want = std::min<int>(k, int(candidates.size()));
  for (int round = 0; round < want; ++round) {
    std::vector<double> weights(candidates.size(), 0.0);
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (used[i]) continue;
      double w = 1.0 / std::sqrt(1.0 + double(std::max<int64_t>(0, candidates[i].votes)));
      if (!picked.empty()) {
        const double delta = candidates[i].score - score_sum / double(picked.size());
        w *= kMatchFloor + std::exp(-delta * delta / (2 * kMatchWidth * kMatchWidth));
      }
      weights[i] = w;
    }
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    const size_t i = pick(rng);
    used[i] = true;
    picked.push_back(candidates[i].id);
    score_sum += candidates[i].score;
  }
  std::shuffle(picked.begin(), picked.end(), rng);
  return picked;
}

}  // namespace pictor::arena
