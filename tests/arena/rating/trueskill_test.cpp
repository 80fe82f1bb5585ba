// TrueSkill against the reference vectors of trueskill 0.4.5 (tests/fixtures/arena/trueskill/).
#include "arena/rating/trueskill.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace pictor::arena {
namespace {

constexpr double kTol = 1e-9;

nlohmann::json load(const std::string& name) {
  std::ifstream in(std::string(PICTOR_TEST_FIXTURES) + "/arena/trueskill/" + name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

Rating rating_of(const nlohmann::json& j) {
  if (j.is_array()) return {j[0].get<double>(), j[1].get<double>()};
  return {j["mu"].get<double>(), j["sigma"].get<double>()};
}

TEST(TrueSkillFixture, NormalFunctionsAndDrawMargin) {
  const auto v = load("vectors.json");
  EXPECT_NEAR(norm_cdf(0.5), v["normal"]["cdf(0.5)"].get<double>(), kTol);
  EXPECT_NEAR(norm_pdf(0.5), v["normal"]["pdf(0.5)"].get<double>(), kTol);
  EXPECT_NEAR(norm_ppf(0.55), v["normal"]["ppf(0.55)"].get<double>(), kTol);
  TrueSkill ts;
  EXPECT_NEAR(ts.draw_margin(2), v["params"]["draw_margin_1v1"].get<double>(), kTol);
  EXPECT_NEAR(ts.params().beta, v["params"]["beta"].get<double>(), 1e-15);
  EXPECT_NEAR(ts.params().tau, v["params"]["tau"].get<double>(), 1e-15);
  EXPECT_NEAR(ts.params().sigma, v["params"]["sigma"].get<double>(), 1e-15);
}

TEST(TrueSkillFixture, PpfInvertsCdfToFullPrecision) {
  for (double p : {1e-300, 1e-12, 1e-6, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.5, 0.55, 0.9, 0.999, 1 - 1e-12}) {
    const double x = norm_ppf(p);
    const double back = p > 0.5 ? 1.0 - norm_cdf(-x) : norm_cdf(x);
    EXPECT_NEAR(back / p, 1.0, 1e-12) << p;
  }
  EXPECT_EQ(norm_ppf(0.5), 0.0);
  EXPECT_TRUE(std::isinf(norm_ppf(0.0)));
  EXPECT_TRUE(std::isinf(norm_ppf(1.0)));
}

TEST(TrueSkillFixture, VwGrid) {
  const auto v = load("vectors.json");
  int checked = 0;
  for (const auto& row : v["vw_grid"]) {
    const double t = row["t"], e = row["e"];
    EXPECT_NEAR(v_win(t, e), row["v_win"].get<double>(), kTol) << t << " " << e;
    EXPECT_NEAR(w_win(t, e), row["w_win"].get<double>(), kTol) << t << " " << e;
    ++checked;
    if (row.contains("v_draw")) {
      EXPECT_NEAR(v_draw(t, e), row["v_draw"].get<double>(), kTol) << t << " " << e;
      EXPECT_NEAR(w_draw(t, e), row["w_draw"].get<double>(), kTol) << t << " " << e;
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}

TEST(TrueSkillFixture, OneVsOneCases) {
  const auto v = load("vectors.json");
  TrueSkill ts;
  int cases = 0;
  for (const auto& [label, c] : v["cases"].items()) {
    if (label == "quality_table") continue;
    const Rating a = rating_of(c["in"][0]), b = rating_of(c["in"][1]);
    const bool drawn = c["drawn"];
    auto out = ts.rate_1vs1(a, b, drawn);
    ASSERT_TRUE(out.is_ok()) << label;
    for (int k = 0; k < 2; ++k) {
      const Rating want = rating_of(c["out"][k]);
      EXPECT_NEAR((*out)[k].mu, want.mu, kTol) << label;
      EXPECT_NEAR((*out)[k].sigma, want.sigma, kTol) << label;
      EXPECT_NEAR((*out)[k].score(), c["expose_after"][k].get<double>(), kTol) << label;
    }
    // The same through the free-for-all entry point, players in the other order.
    auto swapped = ts.rate({b, a}, {drawn ? 0 : 1, 0});
    ASSERT_TRUE(swapped.is_ok());
    EXPECT_NEAR((*swapped)[1].mu, (*out)[0].mu, kTol) << label;
    EXPECT_NEAR((*swapped)[0].sigma, (*out)[1].sigma, kTol) << label;
    EXPECT_NEAR(ts.quality_1vs1(a, b), c["quality_before"].get<double>(), kTol) << label;
    ++cases;
  }
  EXPECT_EQ(cases, 5);
}

TEST(TrueSkillFixture, QualityTable) {
  const auto v = load("vectors.json");
  TrueSkill ts;
  ASSERT_EQ(v["cases"]["quality_table"].size(), 4u);
  for (const auto& row : v["cases"]["quality_table"]) {
    EXPECT_NEAR(ts.quality_1vs1(rating_of(row["r1"]), rating_of(row["r2"])),
                row["quality"].get<double>(), kTol);
  }
}

// ffa-vectors.json reproduces (bit for bit) with the library's default pure-Python backend, whose
// erfc is approximate; ffa-vectors-exact.json is the same sequence with exact normal functions.
struct FfaCase {
  const char* file;
  NormalBackend normal;
};
const FfaCase kFfaCases[] = {{"ffa-vectors.json", NormalBackend::kReferencePurePython},
                             {"ffa-vectors-exact.json", NormalBackend::kExact}};

TrueSkill make(NormalBackend normal) {
  TrueSkillParams p;
  p.normal = normal;
  return TrueSkill::create(p).value();
}

TEST(TrueSkillFixture, FreeForAllSequenceStepByStep) {
  for (const FfaCase& fc : kFfaCases) {
    const auto f = load(fc.file);
    const TrueSkill ts = make(fc.normal);
    int steps = 0, multi = 0;
    for (const auto& s : f["sequence"]) {
      std::vector<Rating> before;
      for (const auto& m : s["models"]) before.push_back(rating_of(s["before"][m.get<std::string>()]));
      auto out = ts.rate(before, s["ranks"].get<std::vector<int>>());
      ASSERT_TRUE(out.is_ok()) << out.status().message();
      for (size_t k = 0; k < before.size(); ++k) {
        const Rating want = rating_of(s["after"][s["models"][k].get<std::string>()]);
        EXPECT_NEAR((*out)[k].mu, want.mu, kTol) << fc.file << " step " << steps << " player " << k;
        EXPECT_NEAR((*out)[k].sigma, want.sigma, kTol) << fc.file << " step " << steps << " player " << k;
      }
      multi += before.size() > 2 ? 1 : 0;
      ++steps;
    }
    EXPECT_EQ(steps, 16);
    EXPECT_GE(multi, 8);
  }
}

TEST(TrueSkillFixture, FreeForAllSequenceChainedFromPrior) {
  for (const FfaCase& fc : kFfaCases) {
    const auto f = load(fc.file);
    const TrueSkill ts = make(fc.normal);
    std::map<std::string, Rating> r;
    for (const auto& s : f["sequence"]) {
      std::vector<Rating> before;
      const auto models = s["models"].get<std::vector<std::string>>();
      for (const auto& m : models) before.push_back(r.count(m) ? r[m] : ts.create_rating());
      auto out = ts.rate(before, s["ranks"].get<std::vector<int>>());
      ASSERT_TRUE(out.is_ok());
      for (size_t k = 0; k < models.size(); ++k) r[models[k]] = (*out)[k];
    }
    ASSERT_EQ(f["final"].size(), 4u);
    for (const auto& [m, want] : f["final"].items()) {
      EXPECT_NEAR(r[m].mu, want["mu"].get<double>(), kTol) << fc.file << " " << m;
      EXPECT_NEAR(r[m].sigma, want["sigma"].get<double>(), kTol) << fc.file << " " << m;
      EXPECT_NEAR(r[m].score(), want["score"].get<double>(), kTol) << fc.file << " " << m;
    }
  }
}

TEST(TrueSkillFixture, ReferenceBackendNormalFunctions) {
  const auto pp = load("ffa-vectors-exact.json")["pure_python_backend"];
  EXPECT_NEAR(norm_cdf_reference(0.5), pp["cdf(0.5)"].get<double>(), 1e-15);
  EXPECT_NEAR(norm_cdf_reference(-2.5), pp["cdf(-2.5)"].get<double>(), 1e-15);
  EXPECT_NEAR(norm_ppf_reference(0.55), pp["ppf(0.55)"].get<double>(), 1e-12);
  EXPECT_NEAR(make(NormalBackend::kReferencePurePython).draw_margin(2),
              pp["draw_margin_1v1"].get<double>(), 1e-12);
  // The two backends are really apart: the exact ratings miss the pure-Python vectors by ~1e-6.
  const auto shipped = load("ffa-vectors.json")["final"], exact = load("ffa-vectors-exact.json")["final"];
  double worst = 0.0;
  for (const auto& [m, want] : shipped.items()) {
    worst = std::max(worst, std::abs(want["mu"].get<double>() - exact[m]["mu"].get<double>()));
  }
  EXPECT_GT(worst, 1e-7);
  EXPECT_LT(worst, 1e-5);
}

TEST(TrueSkill, WeightOneIsUnweightedAndSmallerWeightsMovePartWay) {
  TrueSkill ts;
  const std::vector<Rating> p = {{27, 3}, {25, 5}, {22, 2}, {30, 6}};
  const std::vector<int> ranks = {1, 0, 1, 2};
  auto full = ts.rate(p, ranks);
  auto one = ts.rate(p, ranks, 1.0);
  auto half = ts.rate(p, ranks, 0.5);
  ASSERT_TRUE(full.is_ok() && one.is_ok() && half.is_ok());
  const double tau2 = ts.params().tau * ts.params().tau;
  for (size_t k = 0; k < p.size(); ++k) {
    EXPECT_EQ((*one)[k].mu, (*full)[k].mu);
    EXPECT_EQ((*one)[k].sigma, (*full)[k].sigma);
    EXPECT_NEAR((*half)[k].mu, p[k].mu + 0.5 * ((*full)[k].mu - p[k].mu), 1e-12);
    const double dyn = p[k].sigma * p[k].sigma + tau2;
    EXPECT_NEAR((*half)[k].sigma * (*half)[k].sigma,
                dyn + 0.5 * ((*full)[k].sigma * (*full)[k].sigma - dyn), 1e-12);
    EXPECT_LT((*half)[k].sigma, std::sqrt(dyn));
    EXPECT_GT((*half)[k].sigma, (*full)[k].sigma);
  }
}

TEST(TrueSkill, PermutingPlayersPermutesResults) {
  TrueSkill ts;
  const std::vector<Rating> p = {{27, 3}, {25, 5}, {22, 2}};
  auto a = ts.rate(p, {2, 0, 1});
  auto b = ts.rate({p[1], p[2], p[0]}, {0, 1, 2});
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_NEAR((*a)[1].mu, (*b)[0].mu, 1e-12);
  EXPECT_NEAR((*a)[2].mu, (*b)[1].mu, 1e-12);
  EXPECT_NEAR((*a)[0].sigma, (*b)[2].sigma, 1e-12);
  // The winner gains, the loser drops.
  EXPECT_GT((*a)[1].mu, p[1].mu);
  EXPECT_LT((*a)[0].mu, p[0].mu);
}

TEST(TrueSkill, ExtremeUpsetsStayFinite) {
  TrueSkill ts;
  // Far beyond where erfc underflows (the library raises FloatingPointError there).
  for (const bool drawn : {false, true}) {
    auto out = ts.rate({{0, 0.5}, {300, 0.5}}, {0, drawn ? 0 : 1});
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    EXPECT_GT((*out)[0].mu, 0.0);
    EXPECT_LT((*out)[1].mu, 300.0);
    EXPECT_TRUE(std::isfinite((*out)[0].sigma) && (*out)[0].sigma > 0);
  }
  auto ffa = ts.rate({{0, 1}, {200, 1}, {400, 1}}, {0, 1, 2});
  ASSERT_TRUE(ffa.is_ok()) << ffa.status().message();
  // The tail formulas join the exact ones continuously.
  EXPECT_NEAR(v_win(-29.999, 0.0), v_win(-30.001, 0.0), 3e-3);
  EXPECT_NEAR(w_win(-29.9999999, 0.0), w_win(-30.0000001, 0.0), 1e-9);
  EXPECT_NEAR(v_draw(30.5 - 1e-7, 0.5), v_draw(30.5 + 1e-7, 0.5), 1e-6);
  EXPECT_NEAR(w_draw(30.5 - 1e-7, 0.5), w_draw(30.5 + 1e-7, 0.5), 1e-9);
}

TEST(TrueSkill, BadInputIsInvalidArgument) {
  TrueSkill ts;
  const Rating r = ts.create_rating();
  auto code = [](const auto& res) { return res.is_ok() ? StatusCode::kOk : res.status().code(); };
  EXPECT_EQ(code(ts.rate({r, r}, {0})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r}, {0})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({}, {})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, r, r, r, r}, {0, 1, 2, 3, 4})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, {25, 0}}, {0, 1})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, {25, -1}}, {0, 1})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, {NAN, 1}}, {0, 1})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, r}, {0, 1}, 0.0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, r}, {0, 1}, 1.5)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, r}, {0, 1}, NAN)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ts.rate({r, r}, {0, 1}, 0.25)), StatusCode::kOk);
  TrueSkillParams p;
  p.draw_probability = 0.0;
  EXPECT_FALSE(TrueSkill::create(p).is_ok());
  p = {};
  p.beta = -1;
  EXPECT_FALSE(TrueSkill::create(p).is_ok());
  p = {};
  p.sigma = 0;
  EXPECT_FALSE(TrueSkill::create(p).is_ok());
  EXPECT_TRUE(TrueSkill::create(TrueSkillParams{}).is_ok());
}

}  // namespace
}  // namespace pictor::arena
