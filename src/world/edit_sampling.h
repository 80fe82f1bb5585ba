#pragma once
// Internals of the edit sampler (edits.h), shared by edit_sampling.cpp (geometry, placement),
// edit_kinds.cpp (one builder per edit kind) and edits.cpp (the public API). Internal to world/.
#include <array>
#include <string>
#include <vector>

#include "core/rng.h"
#include "world/caption_phrases.h"
#include "world/edits.h"
#include "world/scene_sampler.h"

namespace pictor::world::edit_sampling {

using Box = std::array<float, 4>;
inline constexpr Box kWholeImage = {0.0f, 0.0f, 1.0f, 1.0f};
inline constexpr int kPlacementTries = 200;

// The object's square [c - r, c + r] widened by `margin` (fractions of the image; r is a fraction
// of min(width, height), so the square covers the object at every aspect ratio).
Box square_of(const Object& o, float margin);
Box footprint(const Object& o);  // square_of(o, kEditBoxMargin)
Box unite(const Box& a, const Box& b);
Box clip01(Box b);
bool overlaps(const Box& a, const Box& b);

bool same_kind(const Object& a, const Object& b);  // shape, glyph and colour
bool any_held_out(const Scene& s);
// Every object of `after` with shape and colour; nothing else stated.
SceneSpec base_spec(const Scene& after);
// Whether `o` can stand in `s` in place of objects[skip] (skip = -1: as an extra object).
bool fits_with(const Scene& s, const Object& o, int skip);
void random_centre(Rng& rng, Object& o);
// A random centre inside region `r`, clear of the thirds' borders (region_clear). False when an
// object of this size cannot lie there.
bool random_centre_in(Rng& rng, Region r, Object& o);

struct Ctx {
  Rng& rng;
  const EditOptions& opt;
  phrases::Chooser c;

  bool only() const { return opt.only_held_out; }
  // An object or attribute the edit creates.
  bool created_ok(const Object& o) const {
    if (opt.only_held_out) return is_held_out(o);
    if (opt.exclude_held_out) return !is_held_out(o);
    return true;
  }
  // Secondary changes (img2img): like the sampler's "other objects".
  bool other_ok(const Object& o) const {
    return !((opt.exclude_held_out || opt.only_held_out) && is_held_out(o));
  }
  // The scene before the edit. Kinds that create content start from a scene without held-out
  // pairs under only_held_out (the edit makes one); the others from one that holds one.
  Scene scene(bool creates, int min_n = 1, int max_n = 4, double glyph_p = 0.2,
              double group_p = 0.25) {
    SamplerOptions s;
    s.min_objects = min_n;
    s.max_objects = max_n;
    s.glyph_probability = glyph_p;
    s.group_probability = group_p;
    s.exclude_held_out = opt.exclude_held_out || opt.only_held_out;
    s.only_held_out = opt.only_held_out && !creates;
    return sample_scene(rng, s);
  }
  // A colour for an object of o's shape that the edit creates, different from `not_this` (or
  // any when kNumColours); false if none is allowed.
  bool created_colour(const Object& o, int not_this, Colour& out) {
    std::vector<Colour> options;
    for (int k = 0; k < kNumColours; ++k) {
      if (k == not_this) continue;
      Object t = o;
      t.colour = Colour(k);
      if (created_ok(t)) options.push_back(Colour(k));
    }
    if (options.empty()) return false;
    out = rng.pick(options);
    return true;
  }
};

// Where a new object goes: a named region, a relation to an existing object, or anywhere.
struct Placement {
  std::string where;  // "" (anywhere), "at the top left", "to the left of the red star"
  bool region = false;
  int anchor = -1;
  Relation relation = Relation::kLeftOf;
};

// Places a new object `t` in `s`: at a named region (0.4), in a clear relation to a nameable
// object (0.2) or anywhere; fills `pl`. False if no place was found.
bool place_new(Ctx& x, const Scene& s, Object& t, Placement& pl);
// Appends `t` to e.after and sets after_spec (with t's mention and placement) and changed_box.
void add_object(EditExample& e, const Object& t, const ObjectMention& m, const Placement& pl);

// Builds one edit of `kind` into `e` (edit_kinds.cpp); false when this draw does not work out.
bool make_edit(Ctx& x, EditKind kind, EditExample& e);

}  // namespace pictor::world::edit_sampling
