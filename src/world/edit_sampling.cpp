// Geometry and placement helpers of the edit sampler (edit_sampling.h).
#include "world/edit_sampling.h"

#include <algorithm>

#include "world/edit_phrases.h"
#include "world/facts.h"

namespace pictor::world::edit_sampling {

namespace ep = edit_phrases;

// The object's square [c - r, c + r] widened by `margin` (fractions of the image; r is a fraction
// of min(width, height), so the square covers the object at every aspect ratio).
Box square_of(const Object& o, float margin) {
  const float r = size_radius(o.size) + margin;
  return {o.cx - r, o.cy - r, o.cx + r, o.cy + r};
}
Box footprint(const Object& o) { return square_of(o, kEditBoxMargin); }

Box unite(const Box& a, const Box& b) {
  return {std::min(a[0], b[0]), std::min(a[1], b[1]), std::max(a[2], b[2]), std::max(a[3], b[3])};
}

Box clip01(Box b) {
  for (float& v : b) v = std::clamp(v, 0.0f, 1.0f);
  return b;
}

bool overlaps(const Box& a, const Box& b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

bool same_kind(const Object& a, const Object& b) {
  return a.shape == b.shape && a.glyph == b.glyph && a.colour == b.colour;
}

bool any_held_out(const Scene& s) {
  return std::any_of(s.objects.begin(), s.objects.end(),
                     [](const Object& o) { return is_held_out(o); });
}

// Every object with shape and colour; nothing else stated.
SceneSpec base_spec(const Scene& after) {
  SceneSpec spec;
  spec.scene = after;
  spec.scene.unrecognised = 0;
  spec.scene.background_known = true;
  spec.mention.assign(after.objects.size(), ObjectMention{true, false, false});
  spec.mention_count = false;
  spec.mention_background = false;
  return spec;
}

// Whether `o` can stand in `s` in place of objects[skip] (skip = -1: as an extra object).
bool fits_with(const Scene& s, const Object& o, int skip) {
  if (!fits_in_image(o)) return false;
  for (size_t j = 0; j < s.objects.size(); ++j)
    if (int(j) != skip && !well_separated(o, s.objects[j])) return false;
  return true;
}

void random_centre(Rng& rng, Object& o) {
  const float lo = size_radius(o.size) + kEdgeMargin;
  o.cx = float(rng.uniform(lo, 1.0f - lo));
  o.cy = float(rng.uniform(lo, 1.0f - lo));
}

// A random centre inside region `r`, clear of the thirds' borders (region_clear). False when an
// object of this size cannot lie there.
bool random_centre_in(Rng& rng, Region r, Object& o) {
  const int col = int(r) % 3, row = int(r) / 3;
  const float m = 0.045f;  // region_clear's 0.04 and a little
  const float lo = size_radius(o.size) + kEdgeMargin;
  auto range = [&](int k, float& a, float& b) {
    a = std::max(lo, k / 3.0f + (k > 0 ? m : 0.0f));
    b = std::min(1.0f - lo, (k + 1) / 3.0f - (k < 2 ? m : 0.0f));
    return a <= b;
  };
  float x0, x1, y0, y1;
  if (!range(col, x0, x1) || !range(row, y0, y1)) return false;
  o.cx = float(rng.uniform(x0, x1));
  o.cy = float(rng.uniform(y0, y1));
  return region_of(o) == r && region_clear(o);
}

bool place_new(Ctx& x, const Scene& s, Object& t, Placement& pl) {
  const int mode = x.rng.below(10);
  if (mode < 4) {
    const Region d = Region(x.rng.below(9));
    for (int k = 0; k < kPlacementTries; ++k) {
      if (random_centre_in(x.rng, d, t) && fits_with(s, t, -1)) {
        pl.region = true;
        pl.where = phrases::region_phrase(d, x.c);
        return true;
      }
    }
    return false;
  }
  if (mode < 6 && !s.objects.empty()) {
    const int j = x.rng.below(int(s.objects.size()));
    ep::RefPlan pa;
    if (!ep::plan_ref(s, size_t(j), x.rng, pa)) return false;
    const Relation r = Relation(x.rng.below(4));
    const Object& a = s.objects[size_t(j)];
    for (int k = 0; k < kPlacementTries; ++k) {
      random_centre(x.rng, t);
      if (relation_clear(t, a, r) && fits_with(s, t, -1)) {
        pl.anchor = j;
        pl.relation = r;
        pl.where = phrases::relation_phrase(r, x.c) + " " + ep::ref_text(a, pa, x.c);
        return true;
      }
    }
    return false;
  }
  for (int k = 0; k < kPlacementTries; ++k) {
    random_centre(x.rng, t);
    if (fits_with(s, t, -1)) return true;
  }
  return false;
}

// Appends `t` to e.after with its mention and placement facts.
void add_object(EditExample& e, const Object& t, const ObjectMention& m, const Placement& pl) {
  e.after.objects.push_back(t);
  e.after_spec = base_spec(e.after);
  const int k = int(e.after.objects.size()) - 1;
  e.after_spec.mention[size_t(k)] = ObjectMention{m.colour, m.size, pl.region};
  if (pl.anchor >= 0) e.after_spec.relations.push_back({k, pl.anchor, pl.relation});
  e.changed_box = footprint(t);
}

}  // namespace pictor::world::edit_sampling
