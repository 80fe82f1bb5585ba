#pragma once
// Which models meet in a battle (docs/arena.md, "Matchmaking"). Pure: candidates and an RNG in,
// contestants out, in a random slot order.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace pictor::arena {

struct MatchCandidate {
  std::string id;
  double score = 0;     // conservative TrueSkill μ − 3σ on the arena's overall board
  int64_t votes = 0;    // counted votes on that board
};

// The rule: the first contestant is drawn with weight 1/√(1 + votes), so models with few votes
// play more; each next one with weight 1/√(1 + votes) × (kMatchFloor + exp(−Δ²/(2·kMatchWidth²))),
// Δ = its score minus the mean score of those already drawn, so close pairs are favoured but no
// pair is ever impossible. Returns min(k, candidates) distinct ids, shuffled into slot order.
inline constexpr double kMatchWidth = 6.0;   // score points
inline constexpr double kMatchFloor = 0.15;
std::vector<std::string> pick_contestants(const std::vector<MatchCandidate>& candidates, int k, std::mt19937_64& rng);

}  // namespace pictor::arena
