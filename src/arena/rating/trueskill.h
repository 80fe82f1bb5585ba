#pragma once
// TrueSkill, exactly as the reference library (sublee/trueskill 0.4.5) computes it, for 2–4
// single-player teams (free-for-all): the library's factor graph and message schedule, with exact
// normal functions (std::erfc). 1 v 1 uses the closed form, which the graph reduces to (≤ 1e-14).
#include <span>
#include <vector>

#include "core/status.h"

namespace pictor::arena {

// Standard normal functions. norm_ppf is the inverse of norm_cdf to full double precision.
double norm_cdf(double x);
double norm_pdf(double x);
double norm_ppf(double p);

// The reference library's default pure-Python backend: cdf from Numerical Recipes' erfcc
// (Chebyshev fit, relative error < 1.2e-7), ppf its inverse. Only for reproducing numbers made
// with that backend (ffa-vectors.json is); ratings differ from the exact ones by ~1e-6.
double norm_cdf_reference(double x);
double norm_ppf_reference(double p);
enum class NormalBackend { kExact, kReferencePurePython };

// The truncated-Gaussian corrections of the library: t = mean difference / c, e = draw margin / c.
// "win" for a decided pair (first beat second), "draw" for a tie. Tails far beyond where erfc
// underflows use Mills-ratio continued fractions instead of the library's FloatingPointError.
double v_win(double t, double e);
double w_win(double t, double e);
double v_draw(double t, double e);
double w_draw(double t, double e);

struct TrueSkillParams {
  double mu = 25.0;
  double sigma = 25.0 / 3.0;
  double beta = 25.0 / 6.0;    // sigma / 2
  double tau = 25.0 / 300.0;   // sigma / 100, the dynamic factor added before each game
  double draw_probability = 0.10;  // in (0, 1)
  // The library's schedule stops when a sweep changes no message by more than min_delta, and after
  // at most max_iterations sweeps (the library's fixed 10). Its delta takes sqrt(|Δpi|), so at
  // 1e-12 the cap decides; a sweep that changes no message bit for bit also ends the loop.
  double min_delta = 1e-12;
  int max_iterations = 10;
  NormalBackend normal = NormalBackend::kExact;
};

struct Rating {
  double mu = 25.0;
  double sigma = 25.0 / 3.0;
  double score() const { return mu - 3.0 * sigma; }  // conservative "exposed" skill
};

class TrueSkill {
 public:
  static constexpr int kMinPlayers = 2;
  static constexpr int kMaxPlayers = 4;

  // Checks the parameters (positive sigma/beta, tau ≥ 0, 0 < draw_probability < 1, ...).
  static Result<TrueSkill> create(const TrueSkillParams& params);
  TrueSkill() : TrueSkill(TrueSkillParams{}, 0) {}

  const TrueSkillParams& params() const { return params_; }
  Rating create_rating() const { return {params_.mu, params_.sigma}; }

  // The library's calc_draw_margin: ppf((p + 1) / 2) · sqrt(size) · beta, where size is the number
  // of players in the two compared teams (2 for single-player teams).
  double draw_margin(int size = 2) const;

  // Free-for-all: one single-player team per rating; ranks lower = better, equal ranks = tie.
  // Returns the new ratings in the input order.
  //
  // weight in (0, 1] down-weights a vote by moving only part of the way to the full update:
  //   mu'     = mu + w · (mu_new − mu)
  //   sigma'² = sigma_dyn² + w · (sigma_new² − sigma_dyn²),   sigma_dyn² = sigma² + tau²
  // so w = 1 is exactly the library's result and w → 0 leaves only the dynamic drift (tau).
  // (This is not the library's per-player "partial play" weight.)
  Result<std::vector<Rating>> rate(const std::vector<Rating>& players, const std::vector<int>& ranks,
                                   double weight = 1.0) const;
  // The same without allocating: out.size() must equal players.size().
  Status rate_into(std::span<const Rating> players, std::span<const int> ranks, double weight,
                   std::span<Rating> out) const;

  // Two players: first beat second, or drew.
  Result<std::vector<Rating>> rate_1vs1(Rating first, Rating second, bool drawn = false,
                                        double weight = 1.0) const;

  // The library's match quality (draw probability in the association) for 1 v 1.
  double quality_1vs1(Rating a, Rating b) const;

 private:
  TrueSkill(const TrueSkillParams& params, int /*checked*/);
  Status rate_sorted(const Rating* in, const bool* tie_next, int n, Rating* out) const;
  void rate_two(Rating a, Rating b, bool drawn, Rating* out) const;

  TrueSkillParams params_;
  double margin_ = 0.0;  // draw margin for two single-player teams
};

}  // namespace pictor::arena
