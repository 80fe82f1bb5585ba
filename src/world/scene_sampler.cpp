#include "world/scene_sampler.h"

#include <algorithm>
#include <cmath>

namespace pictor::world {
namespace {

// Attributes of one object before placement.
struct Draft {
  Shape shape;
  char glyph;
  Colour colour;
  Size size;
  int group;  // -1 = single, 0 = member of the scene's group
};

bool same_kind(const Draft& a, const Draft& b) {
  return a.shape == b.shape && a.glyph == b.glyph && a.colour == b.colour;
}

Draft random_draft(Rng& rng, const SamplerOptions& opt) {
  Draft d{};
  d.group = -1;
  for (;;) {
    if (rng.chance(opt.glyph_probability)) {
      d.shape = Shape::kGlyph;
      d.glyph = glyph_chars()[rng.below(kNumGlyphs)];
      // Glyphs need room for their strokes: medium or large only.
      d.size = rng.chance(0.5) ? Size::kMedium : Size::kLarge;
    } else {
      d.shape = Shape(rng.below(kNumGeometricShapes));
      d.glyph = 0;
      d.size = Size(rng.below(kNumSizes));
    }
    d.colour = Colour(rng.below(kNumColours));
    Object probe{d.shape, d.glyph, d.colour, d.size};
    if (!(opt.exclude_held_out || opt.only_held_out) || !is_held_out(probe)) return d;
  }
}

Draft held_out_draft(Rng& rng) {
  const auto& pairs = held_out_pairs();
  const auto& p = pairs[size_t(rng.below(int(pairs.size())))];
  return Draft{p.first, 0, p.second, Size(rng.below(kNumSizes)), -1};
}

// Tries to place the drafts (largest first) at random non-overlapping positions.
bool place(Rng& rng, const std::vector<Draft>& drafts, std::vector<Object>& out) {
  std::vector<int> order(drafts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return int(drafts[a].size) > int(drafts[b].size); });
  out.assign(drafts.size(), Object{});
  std::vector<int> placed;
  for (int i : order) {
    const Draft& d = drafts[size_t(i)];
    Object o{d.shape, d.glyph, d.colour, d.size, 0.5f, 0.5f};
    const float lo = size_radius(d.size) + kEdgeMargin, hi = 1.0f - lo;
    bool ok = false;
    for (int attempt = 0; attempt < 200 && !ok; ++attempt) {
      o.cx = float(rng.uniform(lo, hi));
      o.cy = float(rng.uniform(lo, hi));
      ok = std::all_of(placed.begin(), placed.end(),
                       [&](int j) { return well_separated(o, out[size_t(j)]); });
    }
    if (!ok) return false;
    out[size_t(i)] = o;
    placed.push_back(i);
  }
  return true;
}

}  // namespace

const std::vector<std::pair<Shape, Colour>>& held_out_pairs() {
  static const std::vector<std::pair<Shape, Colour>> kPairs = {
      {Shape::kStar, Colour::kPurple},   {Shape::kHeart, Colour::kOrange},
      {Shape::kTriangle, Colour::kCyan}, {Shape::kDiamond, Colour::kGreen},
      {Shape::kCross, Colour::kPink},    {Shape::kRing, Colour::kBrown},
      {Shape::kCircle, Colour::kYellow}, {Shape::kSquare, Colour::kGrey},
  };
  return kPairs;
}

bool is_held_out(const Object& o) {
  for (const auto& [shape, colour] : held_out_pairs())
    if (o.shape == shape && o.colour == colour) return true;
  return false;
}

bool fits_in_image(const Object& o) {
  const float r = size_radius(o.size) + kEdgeMargin - 1e-5f;
  return o.cx >= r && o.cx <= 1 - r && o.cy >= r && o.cy <= 1 - r;
}

bool well_separated(const Object& a, const Object& b) {
  const float need = size_radius(a.size) + size_radius(b.size) + kObjectGap;
  return std::fabs(a.cx - b.cx) >= need || std::fabs(a.cy - b.cy) >= need;
}

bool valid_layout(const Scene& scene) {
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    if (!fits_in_image(scene.objects[i])) return false;
    for (size_t j = 0; j < i; ++j)
      if (!well_separated(scene.objects[i], scene.objects[j])) return false;
  }
  return true;
}

Scene sample_scene(Rng& rng, const SamplerOptions& opt) {
  Scene scene;
  if (rng.chance(opt.gradient_probability)) {
    scene.background.from = BackgroundColour(rng.below(kNumBackgroundColours));
    int to = rng.below(kNumBackgroundColours - 1);
    if (to >= int(scene.background.from)) ++to;  // a gradient always has two different ends
    scene.background.to = BackgroundColour(to);
    scene.background.gradient =
        rng.chance(0.5) ? GradientDirection::kVertical : GradientDirection::kHorizontal;
  } else {
    scene.background.from = scene.background.to =
        BackgroundColour(rng.below(kNumBackgroundColours));
  }

  const int lo = std::clamp(opt.min_objects, 1, 4);
  const int hi = std::clamp(opt.max_objects, lo, 4);
  int n = lo + rng.below(hi - lo + 1);
  for (int tries = 0;; ++tries) {
    if (tries > 0 && tries % 20 == 0 && n > lo) --n;  // a crowded draw keeps failing: fewer objects
    std::vector<Draft> drafts;
    int group_size = 0;
    if (n >= 2 && rng.chance(opt.group_probability)) {
      group_size = 2 + rng.below(n - 1);
      Draft g = random_draft(rng, opt);
      g.group = 0;
      drafts.assign(size_t(group_size), g);
    }
    while (int(drafts.size()) < n) {
      Draft d = random_draft(rng, opt);
      // Singles differ in kind from the group, so that "three red stars" counts all red stars.
      if (group_size > 0 && same_kind(d, drafts[0])) continue;
      drafts.push_back(d);
    }
    if (opt.only_held_out) {
      const int k = rng.below(n);
      Draft h = held_out_draft(rng);
      if (drafts[size_t(k)].group == 0) {
        for (auto& d : drafts)
          if (d.group == 0) d = Draft{h.shape, h.glyph, h.colour, h.size, 0};
      } else {
        drafts[size_t(k)] = h;
      }
      // Keep singles distinct in kind from the (possibly new) group.
      bool clash = false;
      for (const auto& d : drafts)
        if (group_size > 0 && d.group != 0 && same_kind(d, drafts[0])) clash = true;
      if (clash) continue;
    }
    // Shuffle so that a group is not always listed first (Fisher-Yates with our Rng).
    for (int i = n - 1; i > 0; --i) std::swap(drafts[size_t(i)], drafts[size_t(rng.below(i + 1))]);
    if (place(rng, drafts, scene.objects)) return scene;
  }
}

}  // namespace pictor::world
