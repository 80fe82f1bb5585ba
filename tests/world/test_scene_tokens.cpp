// The layout planner's token language: sampled scenes round-trip (up to the 16-bin positions),
// the grammar the sampler follows accepts exactly the encoded sequences, and broken sequences
// are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "world/scene_sampler.h"
#include "world/scene_tokens.h"

namespace pictor::world {
namespace {

bool allowed(const std::vector<SceneTokenRange>& ranges, int tok) {
  for (const auto& r : ranges)
    if (tok >= r.first && tok < r.first + r.count) return true;
  return false;
}

TEST(SceneTokens, SampledScenesRoundTripAndFollowTheGrammar) {
  Rng rng(7, 1);
  SamplerOptions opts;
  for (int n = 0; n < 2000; ++n) {
    Scene s = sample_scene(rng, opts);
    auto tokens = encode_scene_tokens(s);
    ASSERT_LE(tokens.size(), size_t(kMaxSceneTokens));
    for (size_t i = 1; i < tokens.size(); ++i) {
      std::vector<int> prefix(tokens.begin(), tokens.begin() + long(i));
      ASSERT_TRUE(allowed(next_scene_token_ranges(prefix), tokens[i])) << "token " << i << " of scene " << n;
      ASSERT_GE(tokens[i], 0);
      ASSERT_LT(tokens[i], kSceneTokenVocab);
    }
    EXPECT_TRUE(next_scene_token_ranges(tokens).empty());
    auto back = decode_scene_tokens(tokens);
    ASSERT_TRUE(back.is_ok()) << back.status().message();
    EXPECT_EQ(back->background.gradient, s.background.gradient);
    EXPECT_EQ(back->background.from, s.background.from);
    if (s.background.gradient != GradientDirection::kNone) {
      EXPECT_EQ(back->background.to, s.background.to);
    }
    ASSERT_EQ(back->objects.size(), s.objects.size());
    // Same multiset of objects; centres within one bin.
    std::vector<bool> used(s.objects.size());
    for (const Object& o : back->objects) {
      bool found = false;
      for (size_t j = 0; j < s.objects.size() && !found; ++j) {
        const Object& w = s.objects[j];
        if (used[j] || kind_index(w) != kind_index(o) || w.colour != o.colour || w.size != o.size) continue;
        if (std::abs(w.cx - o.cx) <= 1.0f / kPositionBins && std::abs(w.cy - o.cy) <= 1.0f / kPositionBins)
          used[j] = found = true;
      }
      EXPECT_TRUE(found) << describe(o) << " in scene " << n;
    }
  }
}

TEST(SceneTokens, KindsCoverShapesAndGlyphs) {
  for (int k = 0; k < kNumKinds; ++k) {
    Object o;
    set_kind(o, k);
    EXPECT_EQ(kind_index(o), k);
  }
  Object seven;
  seven.shape = Shape::kGlyph;
  seven.glyph = '7';
  EXPECT_EQ(kind_index(seven), kNumGeometricShapes + 7);
}

TEST(SceneTokens, BrokenSequencesAreRefused) {
  EXPECT_FALSE(decode_scene_tokens({}).is_ok());
  EXPECT_FALSE(decode_scene_tokens({5}).is_ok());
  const auto kind = scene_token_range(SceneTokenField::kKind).first;
  const auto colour = scene_token_range(SceneTokenField::kColour).first;
  // A colour where the gradient belongs.
  EXPECT_FALSE(decode_scene_tokens({kSceneTokenBos, colour}).is_ok());
  // EOS in the middle of an object.
  const int g = scene_token_range(SceneTokenField::kGradient).first;
  const int f = scene_token_range(SceneTokenField::kFrom).first;
  const int t = scene_token_range(SceneTokenField::kTo).first;
  EXPECT_FALSE(decode_scene_tokens({kSceneTokenBos, g, f, t, kind, colour, kSceneTokenEos}).is_ok());
  // No EOS before the first object: the grammar asks for a kind.
  auto first = next_scene_token_ranges({kSceneTokenBos, g, f, t});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].first, kind);
}

// A plan's Y bins that would overlap an earlier object are ruled out; every bin left keeps the
// new object well separated, and with nothing to overlap (first object, other fields) all stay.
TEST(SceneTokens, SeparatedPositionBinsKeepPlansApart) {
  Scene scene;
  scene.objects = {Object{Shape::kCircle, 0, Colour::kRed, Size::kSmall, 0.5f, 0.5f}};
  std::vector<int> prefix = encode_scene_tokens(scene);
  prefix.pop_back();  // EOS
  // A second small circle at the same X bin: the bins around the first one's are not allowed.
  const std::vector<int> first_object(prefix.end() - 5, prefix.end());
  prefix.insert(prefix.end(), first_object.begin(), first_object.end() - 1);  // KIND COLOUR SIZE X
  const auto ok = separated_position_bins(prefix);
  auto planned = decode_scene_tokens(prefix);  // the first object where the plan puts it
  ASSERT_TRUE(planned.is_ok());
  ASSERT_EQ(planned->objects.size(), 1u);
  int allowed = 0;
  for (int bin = 0; bin < kPositionBins; ++bin) {
    if (!ok[size_t(bin)]) continue;
    ++allowed;
    Object o = scene.objects[0];
    o.cy = std::clamp(float((bin + 0.5) / kPositionBins), size_radius(o.size), 1.0f - size_radius(o.size));
    o.cx = planned->objects[0].cx;
    EXPECT_TRUE(well_separated(o, planned->objects[0])) << "bin " << bin;
  }
  EXPECT_GT(allowed, 0);
  EXPECT_LT(allowed, kPositionBins);
  EXPECT_FALSE(ok[size_t(position_bin(0.5f))]);
  // X bins: the plan seen in the README prompt's seed 7 put a medium square at x bin 4 between
  // two medium circles at (0.27, 0.22) and (0.53, 0.72), where no Y bin is free: that X bin is
  // ruled out, and every X bin left has a free Y bin.
  Scene two;
  two.objects = {Object{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.27f, 0.22f},
                 Object{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.53f, 0.72f}};
  std::vector<int> boxed = encode_scene_tokens(two);
  boxed.pop_back();
  Object square{Shape::kSquare, 0, Colour::kBlue, Size::kMedium, 0.5f, 0.5f};
  Scene just_square;
  just_square.objects = {square};
  const auto sq = encode_scene_tokens(just_square);
  boxed.insert(boxed.end(), sq.begin() + 4, sq.begin() + 7);  // KIND COLOUR SIZE of the square
  const auto x_ok = separated_position_bins(boxed);
  EXPECT_FALSE(x_ok[4]);
  int x_allowed = 0;
  for (int bin = 0; bin < kPositionBins; ++bin) {
    if (!x_ok[size_t(bin)]) continue;
    ++x_allowed;
    std::vector<int> with_x = boxed;
    with_x.push_back(scene_token_range(SceneTokenField::kX).first + bin);
    const auto y = separated_position_bins(with_x);
    int free_y = 0;
    for (bool b : y) free_y += b;
    EXPECT_GT(free_y, 0);
    EXPECT_LT(free_y, kPositionBins) << "x bin " << bin << ": some Y bins overlap a circle";
  }
  EXPECT_GT(x_allowed, 0);
  // Elsewhere in the grammar nothing is ruled out.
  std::vector<int> at_size(prefix.begin(), prefix.end() - 2);
  for (bool b : separated_position_bins(at_size)) EXPECT_TRUE(b);
  const std::vector<int> first_y(prefix.begin(), prefix.begin() + 8);
  for (bool b : separated_position_bins(first_y)) EXPECT_TRUE(b);
  const std::vector<int> first_x(prefix.begin(), prefix.begin() + 7);
  for (bool b : separated_position_bins(first_x)) EXPECT_TRUE(b);
}

}  // namespace
}  // namespace pictor::world
