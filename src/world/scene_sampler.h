#pragma once
// Random scenes for training and evaluation. Deterministic given the Rng: the same seed gives the
// same scene on every platform (no std:: distributions).
#include <utility>
#include <vector>

#include "core/rng.h"
#include "world/scene.h"

namespace pictor::world {

struct SamplerOptions {
  int min_objects = 1, max_objects = 4;  // clamped to [1, 4]
  double glyph_probability = 0.2;        // per object: a digit or capital letter instead of a shape
  double gradient_probability = 0.3;     // background is a two-colour linear gradient
  double group_probability = 0.25;       // 2-4 identical objects ("three red stars") when n >= 2
  // Held-out colour+shape pairs (is_held_out) measure compositional generalisation: training sets
  // exclude_held_out, evaluation of that skill sets only_held_out (at least one held-out object;
  // the other objects still avoid held-out pairs). only_held_out wins if both are set.
  bool exclude_held_out = false;
  bool only_held_out = false;
};

Scene sample_scene(Rng& rng, const SamplerOptions& opt = {});

// The fixed held-out pairs: one colour per geometric shape, every colour different (purple star,
// orange heart, cyan triangle, green diamond, pink cross, brown ring, yellow circle, grey square).
// Glyphs are never held out.
const std::vector<std::pair<Shape, Colour>>& held_out_pairs();
bool is_held_out(const Object& o);

// Placement rules shared by the sampler and the edit generator: objects lie inside the image
// with a margin of kEdgeMargin, and their bounding squares are separated by at least kObjectGap
// (in units of min(width, height)): 3 px at 64x64, so anti-aliased edges never touch.
inline constexpr float kEdgeMargin = 0.03f;
inline constexpr float kObjectGap = 0.05f;
bool fits_in_image(const Object& o);
bool well_separated(const Object& a, const Object& b);
// True when every object fits and every pair is well separated.
bool valid_layout(const Scene& scene);

}  // namespace pictor::world
