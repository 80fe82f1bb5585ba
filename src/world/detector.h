#pragma once
// The detector reads a picture back into a Scene, and check_spec() verifies a prompt's facts
// against what was detected: the scorer behind `pictor eval` and the round-trip tests.
//
// Method (docs/world.md): fit the background from the border pixels (plain, or a linear vertical
// or horizontal gradient) and name its ends; foreground = pixels far from that background;
// 8-connected components; per component, the colour is the median of its most saturated pixels
// (nearest named colour), its coverage (alpha) is recovered by un-blending against the background,
// and every shape and glyph template is fitted at the scale and position implied by the
// component's mass and centroid; the best soft IoU names it.
//
// Strictness: a component counts as an object only if its best template IoU >= kMinTemplateIou
// and beats the best template of another kind by kMinIouMargin (no ambiguous readings), its colour
// is within kMaxColourDistance of a named colour and its size is within the sizes the world uses
// (0.7x small .. 1.4x large); otherwise it is counted in Scene::unrecognised (still "something
// there" for count checks). Specks smaller than a quarter of a small circle are ignored as noise.
// Exact renders score IoU >= 0.96 at 64x64 (wrong templates <= 0.84); reliable from 48 px up.
#include <string>
#include <vector>

#include "core/image.h"
#include "world/scene.h"

namespace pictor::world {

inline constexpr float kMinTemplateIou = 0.85f;
inline constexpr float kMinIouMargin = 0.02f;
inline constexpr float kMaxColourDistance = 60.0f;

struct DetectedComponent {
  Object object;         // best reading (shape/glyph, colour, size, centre)
  float iou = 0;         // soft IoU of the best template; a confidence
  float second_iou = 0;  // IoU of the runner-up template of another kind
  float colour_distance = 0;
  int pixels = 0;           // foreground pixels
  bool recognised = false;  // passed the strictness rules above
};

struct Detection {
  Scene scene;  // recognised objects, background, unrecognised count
  std::vector<DetectedComponent> components;
};

Detection detect_detailed(const Image& image);
Scene detect(const Image& image);

struct SpecCheck {
  bool passed = false;
  std::vector<std::string> failures;  // human-readable, one per failed fact
};

// Verifies every fact `spec` states against `detected`: the exact number of objects (recognised +
// unrecognised) when mention_count; a one-to-one match of the spec's objects to detected objects
// with equal shape/glyph, colour if mentioned, size if mentioned, region if mentioned; each
// relation between the matched objects (centres at least kRelationCheckMargin apart along the
// axis); the background when mentioned.
SpecCheck check_spec(const Scene& detected, const SceneSpec& spec);

// Exact-scene comparison: same background, same multiset of objects (shape, glyph, colour, size)
// with centres within `tolerance` (fraction of width / height).
bool same_scene(const Scene& a, const Scene& b, float tolerance = 0.03f);

}  // namespace pictor::world
