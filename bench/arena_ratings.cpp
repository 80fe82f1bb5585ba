// pictor-arena-ratings: recompute every arena leaderboard (TrueSkill replay + Bradley–Terry with
// bootstrap) from synthetic votes of models with known strengths; prints JSON.
//   pictor-arena-ratings [--votes 100000] [--threads 0] [--rounds 100] [--seed 1] [--repeat 3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "arena/rating/leaderboard.h"

using pictor::arena::RatedVote;

namespace {

constexpr int kModels = 10;

std::vector<RatedVote> synthesise(int n, uint64_t seed, std::vector<double>& strength) {
  std::mt19937_64 rng(seed);
  const char* categories[] = {"people", "animals", "food", "landscape", "architecture", "vehicles",
                              "abstract", "text", "products", "fantasy", "interiors", "art"};
  const char* languages[] = {"en", "fr", "de", "es", "it", "pt", "ja", "zh", "ko", "ru", "ar"};
  strength.resize(kModels);
  for (int m = 0; m < kModels; ++m) strength[m] = 1.5 - 0.3 * m;  // model-0 strongest
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::extreme_value_distribution<double> gumbel(0.0, 1.0);  // logistic pairwise differences
  std::vector<RatedVote> votes;
  votes.reserve(n);
  std::vector<int> idx(kModels);
  for (int i = 0; i < n; ++i) {
    RatedVote v;
    v.arena = u(rng) < 0.7 ? "text-to-image" : "image-edit";
    v.judge = u(rng) < 0.8 ? "human" : "auto";
    v.weight = v.judge == "human" ? 1.0 : 0.5;
    const double r = u(rng);
    const int k = r < 0.5 ? 2 : r < 0.7 ? 3 : 4;
    for (int m = 0; m < kModels; ++m) idx[m] = m;
    for (int j = 0; j < k; ++j) std::swap(idx[j], idx[j + int(rng() % (kModels - j))]);
    std::vector<double> perf(k);
    for (int j = 0; j < k; ++j) {
      v.models.push_back("model-" + std::to_string(idx[j]));
      perf[j] = strength[idx[j]] + gumbel(rng);
    }
    // Rank by performance; performances within 0.15 of the one above tie with it.
    std::vector<int> order(k);
    for (int j = 0; j < k; ++j) order[j] = j;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return perf[a] > perf[b]; });
    v.ranks.assign(k, 0);
    for (int j = 1; j < k; ++j) {
      const bool tie = perf[order[j - 1]] - perf[order[j]] < 0.15;
      v.ranks[order[j]] = tie ? v.ranks[order[j - 1]] : j;
    }
    v.ts_ms = 1'700'000'000'000 + int64_t(i) * 1000;
    v.category = categories[rng() % 12];
    v.language = languages[rng() % 11];
    votes.push_back(std::move(v));
  }
  return votes;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100000, threads = 0, rounds = 100, repeat = 3;
  uint64_t seed = 1;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string flag = argv[a];
    const long value = std::strtol(argv[a + 1], nullptr, 10);
    if (flag == "--votes") n = int(value);
    else if (flag == "--threads") threads = int(value);
    else if (flag == "--rounds") rounds = int(value);
    else if (flag == "--seed") seed = uint64_t(value);
    else if (flag == "--repeat") repeat = std::max(1, int(value));
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (threads == 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<double> strength;
  const auto votes = synthesise(n, seed, strength);

  pictor::arena::LeaderboardOptions o;
  o.bootstrap_rounds = rounds;
  o.threads = threads;
  o.seed = seed;
  struct Run {
    double total, prepare, trueskill, bt;
  };
  std::vector<Run> runs;
  std::vector<pictor::arena::Leaderboard> boards;
  for (int r = 0; r < repeat; ++r) {
    pictor::arena::LeaderboardTimings t;
    const auto t0 = std::chrono::steady_clock::now();
    auto result = pictor::arena::compute_leaderboards(votes, o, &t);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!result.is_ok()) {
      std::fprintf(stderr, "%s\n", result.status().message().c_str());
      return 1;
    }
    runs.push_back({total, t.prepare_s, t.trueskill_s, t.bt_s});
    boards = std::move(result.value());
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.total < b.total; });
  const Run& med = runs[runs.size() / 2];

  // Sanity: the overall human text-to-image board should list model-0 .. model-9 in order.
  nlohmann::json top;
  int inversions_ts = 0, inversions_bt = 0;
  for (const auto& b : boards) {
    if (b.arena != "text-to-image" || b.judge != "human" || b.axis != "overall") continue;
    std::vector<double> score(kModels), bt(kModels);
    for (const auto& row : b.rows) {
      const int m = std::atoi(row.model.c_str() + 6);
      score[m] = row.score;
      bt[m] = row.bt;
      top.push_back({{"model", row.model}, {"score", row.score}, {"bt", row.bt},
                     {"bt_lo", row.bt_lo}, {"bt_hi", row.bt_hi}, {"rank_ub", row.rank_ub}});
    }
    for (int i = 0; i < kModels; ++i) {
      for (int j = i + 1; j < kModels; ++j) {
        inversions_ts += score[i] < score[j];
        inversions_bt += bt[i] < bt[j];
      }
    }
  }
  int64_t rows = 0;
  for (const auto& b : boards) rows += int64_t(b.rows.size());
  nlohmann::json out = {
      {"bench", "arena_ratings"},
      {"votes", n},
      {"models", kModels},
      {"boards", boards.size()},
      {"rows", rows},
      {"bootstrap_rounds", rounds},
      {"threads", threads},
      {"repeat", repeat},
      {"seconds", {{"total", med.total}, {"prepare", med.prepare}, {"trueskill", med.trueskill},
                   {"bt", med.bt}, {"total_min", runs.front().total}, {"total_max", runs.back().total}}},
      {"order_inversions", {{"trueskill", inversions_ts}, {"bt", inversions_bt}}},
      {"overall_text_to_image_human", top},
  };
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}
