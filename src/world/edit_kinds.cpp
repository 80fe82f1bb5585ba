// One builder per edit kind (edits.h): each draws a scene, picks what to change, writes the
// instruction and states after_spec and changed_box. edits.cpp keeps a draw only if the invariants
// hold.
#include <algorithm>

#include "world/captions.h"
#include "world/edit_phrases.h"
#include "world/edit_sampling.h"
#include "world/facts.h"

namespace pictor::world::edit_sampling {
namespace {

namespace ep = edit_phrases;

bool make_recolour(Ctx& x, EditExample& e) {
  Scene s = x.scene(true);
  const size_t i = size_t(x.rng.below(int(s.objects.size())));
  ep::RefPlan p;
  if (!ep::plan_ref(s, i, x.rng, p)) return false;
  const Object o = s.objects[i];
  Colour to;
  if (!x.created_colour(o, int(o.colour), to)) return false;
  e.before = e.after = s;
  e.after.objects[i].colour = to;
  e.instruction = ep::recolour_text(ep::ref_text(o, p, x.c), to, x.c);
  e.changed_box = footprint(o);
  e.after_spec = base_spec(e.after);
  return true;
}

bool make_move(Ctx& x, EditExample& e) {
  Scene s = x.scene(false);
  const int n = int(s.objects.size());
  const size_t i = size_t(x.rng.below(n));
  ep::RefPlan p;
  if (!ep::plan_ref(s, i, x.rng, p)) return false;
  const Object o = s.objects[i];
  Object t = o;
  e.before = e.after = s;
  const std::string ref = ep::ref_text(o, p, x.c, false);
  if (n >= 2 && x.rng.chance(0.4)) {  // relative to another object
    int j = x.rng.below(n - 1);
    if (j >= int(i)) ++j;
    ep::RefPlan pa;
    if (!ep::plan_ref(s, size_t(j), x.rng, pa)) return false;
    const Relation r = Relation(x.rng.below(4));
    const Object& a = s.objects[size_t(j)];
    if (relation_holds(o, a, r, kRelationCheckMargin)) return false;  // nothing to do
    bool ok = false;
    for (int k = 0; k < kPlacementTries && !ok; ++k) {
      random_centre(x.rng, t);
      ok = relation_clear(t, a, r) && fits_with(s, t, int(i));
    }
    if (!ok) return false;
    e.after.objects[i] = t;
    e.after_spec = base_spec(e.after);
    e.after_spec.relations.push_back({int(i), j, r});
    e.instruction = ep::move_relation_text(ref, r, ep::ref_text(a, pa, x.c), x.c);
  } else {  // to a named region
    int d = x.rng.below(8);
    if (d >= int(region_of(o))) ++d;
    bool ok = false;
    for (int k = 0; k < kPlacementTries && !ok; ++k)
      ok = random_centre_in(x.rng, Region(d), t) && fits_with(s, t, int(i));
    if (!ok) return false;
    e.after.objects[i] = t;
    e.after_spec = base_spec(e.after);
    e.after_spec.mention[i].region = true;
    e.instruction = ep::move_region_text(ref, Region(d), x.c);
  }
  e.changed_box = unite(footprint(o), footprint(t));
  return true;
}

bool make_add(Ctx& x, EditExample& e) {
  Scene s = x.scene(true, 1, 3);
  Object t;
  t.shape = Shape(x.rng.below(kNumGeometricShapes));
  t.size = Size(x.rng.below(kNumSizes));
  if (!x.created_colour(t, kNumColours, t.colour)) return false;
  Placement pl;
  if (!place_new(x, s, t, pl)) return false;
  ObjectMention m;
  m.colour = x.only() || x.rng.chance(0.85);  // a held-out pair is always named
  m.size = x.rng.chance(0.35);
  e.before = e.after = s;
  add_object(e, t, m, pl);
  e.instruction = ep::add_text(phrases::object_np(t, m, 1, x.c), pl.where, x.c);
  return true;
}

bool make_remove(Ctx& x, EditExample& e) {
  Scene s = x.scene(false, 2, 4);
  const size_t i = size_t(x.rng.below(int(s.objects.size())));
  ep::RefPlan p;
  if (!ep::plan_ref(s, i, x.rng, p)) return false;
  const Object o = s.objects[i];
  e.before = e.after = s;
  e.after.objects.erase(e.after.objects.begin() + long(i));
  e.after_spec = base_spec(e.after);
  e.after_spec.mention_count = true;
  e.instruction = ep::remove_text(ep::ref_text(o, p, x.c), x.c);
  e.changed_box = footprint(o);
  return true;
}

bool make_replace(Ctx& x, EditExample& e) {
  Scene s = x.scene(true);
  const size_t i = size_t(x.rng.below(int(s.objects.size())));
  ep::RefPlan p;
  if (!ep::plan_ref(s, i, x.rng, p)) return false;
  const Object o = s.objects[i];
  std::vector<Shape> shapes;
  for (int k = 0; k < kNumGeometricShapes; ++k) {
    Object t = o;
    t.shape = Shape(k);
    t.glyph = 0;
    if (t.shape != o.shape && x.created_ok(t)) shapes.push_back(t.shape);
  }
  if (shapes.empty()) return false;
  Object t = o;
  t.shape = x.rng.pick(shapes);
  t.glyph = 0;
  e.before = e.after = s;
  e.after.objects[i] = t;
  const std::string noun = phrases::shape_noun(t.shape, false, x.c);
  const std::string np =
      x.c.chance(0.2) ? phrases::with_article(phrases::colour_word(t.colour, x.c) + " " + noun)
                      : phrases::with_article(noun);
  e.instruction = ep::replace_text(ep::ref_text(o, p, x.c), np, x.c);
  e.changed_box = footprint(o);
  e.after_spec = base_spec(e.after);
  return true;
}

bool make_count(Ctx& x, EditExample& e) {
  Scene s = x.scene(false, 1, 4, 0.2, 0.6);
  const int n = int(s.objects.size());
  const Object kind = s.objects[size_t(x.rng.below(n))];
  std::vector<size_t> members;
  bool colour_needed = false;
  for (size_t j = 0; j < s.objects.size(); ++j) {
    const Object& b = s.objects[j];
    if (same_kind(b, kind))
      members.push_back(j);
    else if (b.shape == kind.shape && b.glyph == kind.glyph)
      colour_needed = true;
  }
  const int k = int(members.size());
  std::vector<int> targets;
  for (int to = 1; to <= 4 - (n - k); ++to)
    if (to != k) targets.push_back(to);
  if (targets.empty()) return false;
  const int to = x.rng.pick(targets);
  const bool colour = colour_needed || x.rng.chance(0.6);
  e.before = e.after = s;
  bool first = true;
  auto touch = [&](const Object& o) {
    e.changed_box = first ? footprint(o) : unite(e.changed_box, footprint(o));
    first = false;
  };
  if (to > k) {
    for (int c = k; c < to; ++c) {
      Object t = s.objects[members[size_t(x.rng.below(k))]];
      bool ok = false;
      for (int a = 0; a < kPlacementTries && !ok; ++a) {
        random_centre(x.rng, t);
        ok = fits_with(e.after, t, -1);
      }
      if (!ok) return false;
      e.after.objects.push_back(t);
      touch(t);
    }
  } else {
    for (int a = k - 1; a > 0; --a)
      std::swap(members[size_t(a)], members[size_t(x.rng.below(a + 1))]);
    std::vector<size_t> gone(members.begin(), members.begin() + (k - to));
    std::sort(gone.rbegin(), gone.rend());
    for (size_t j : gone) {
      touch(e.after.objects[j]);
      e.after.objects.erase(e.after.objects.begin() + long(j));
    }
  }
  e.after_spec = base_spec(e.after);
  e.after_spec.mention_count = true;
  e.instruction = ep::count_text(kind, colour, k, to, x.c);
  return true;
}

bool make_background(Ctx& x, EditExample& e) {
  Scene s = x.scene(false);
  Background b;
  b.from = BackgroundColour(x.rng.below(kNumBackgroundColours));
  if (x.rng.chance(0.4)) {
    int to = x.rng.below(kNumBackgroundColours - 1);
    if (to >= int(b.from)) ++to;
    b.to = BackgroundColour(to);
    b.gradient = x.rng.chance(0.5) ? GradientDirection::kVertical : GradientDirection::kHorizontal;
  } else {
    b.to = b.from;
  }
  if (b == s.background) return false;
  e.before = e.after = s;
  e.after.background = b;
  e.after_spec = base_spec(e.after);
  e.after_spec.mention_background = true;
  e.instruction = ep::background_text(b, x.c);
  e.changed_box = kWholeImage;
  return true;
}

bool make_glyph(Ctx& x, EditExample& e) {
  Scene s = x.scene(false, 1, 4, 0.35);
  const int n = int(s.objects.size());
  std::vector<size_t> glyphs;
  for (size_t j = 0; j < s.objects.size(); ++j)
    if (s.objects[j].shape == Shape::kGlyph) glyphs.push_back(j);
  e.before = e.after = s;
  if (!glyphs.empty() && (n == 4 || x.rng.chance(0.5))) {  // replace a glyph
    const size_t i = x.rng.pick(glyphs);
    ep::RefPlan p;
    if (!ep::plan_ref(s, i, x.rng, p)) return false;
    const Object o = s.objects[i];
    char ch = o.glyph;
    while (ch == o.glyph) ch = glyph_chars()[x.rng.below(kNumGlyphs)];
    e.after.objects[i].glyph = ch;
    e.after_spec = base_spec(e.after);
    e.instruction = ep::glyph_replace_text(ep::ref_text(o, p, x.c), ch, x.c);
    e.changed_box = footprint(o);
    return true;
  }
  if (n >= 4) return false;
  Object t;  // write a new glyph (never a held-out pair: glyphs are not held out)
  t.shape = Shape::kGlyph;
  t.glyph = glyph_chars()[x.rng.below(kNumGlyphs)];
  t.size = x.rng.chance(0.5) ? Size::kMedium : Size::kLarge;
  t.colour = Colour(x.rng.below(kNumColours));
  Placement pl;
  if (!place_new(x, s, t, pl)) return false;
  ObjectMention m;
  m.colour = x.rng.chance(0.9);
  m.size = x.rng.chance(0.25);
  add_object(e, t, m, pl);
  e.instruction = ep::glyph_write_text(phrases::object_np(t, m, 1, x.c), pl.where, x.c);
  return true;
}

bool make_inpaint(Ctx& x, EditExample& e) {
  Scene s = x.scene(true);
  const int n = int(s.objects.size());
  Object t;
  if (!x.only() && x.rng.chance(0.15)) {
    t.shape = Shape::kGlyph;
    t.glyph = glyph_chars()[x.rng.below(kNumGlyphs)];
    t.size = x.rng.chance(0.5) ? Size::kMedium : Size::kLarge;
  } else {
    t.shape = Shape(x.rng.below(kNumGeometricShapes));
    t.size = Size(x.rng.below(kNumSizes));
  }
  if (!x.created_colour(t, kNumColours, t.colour)) return false;
  e.before = e.after = s;
  int replaced = -1;
  Box tight;
  if (n == 4 || x.rng.chance(0.5)) {  // an object is masked and replaced by another
    replaced = x.rng.below(n);
    const Object o = s.objects[size_t(replaced)];
    if (same_kind(o, t)) return false;
    bool ok = false;
    for (int k = 0; k < 40 && !ok; ++k) {
      const float jitter = k == 0 ? 0.0f : 0.06f;
      t.cx = o.cx + float(x.rng.uniform(-jitter, jitter));
      t.cy = o.cy + float(x.rng.uniform(-jitter, jitter));
      ok = fits_with(s, t, replaced);
    }
    if (!ok) return false;
    e.after.objects[size_t(replaced)] = t;
    tight = unite(footprint(o), footprint(t));
  } else {  // drawn into empty space
    bool ok = false;
    for (int k = 0; k < kPlacementTries && !ok; ++k) {
      random_centre(x.rng, t);
      ok = fits_with(s, t, -1);
    }
    if (!ok) return false;
    e.after.objects.push_back(t);
    tight = footprint(t);
  }
  // The user's mask is rougher than the change: widen each side at random, never onto an
  // untouched object's square.
  Box mask = clip01(tight);
  if (x.rng.chance(0.7)) {
    for (int side = 0; side < 4; ++side) {
      Box wider = mask;
      const float amount = float(x.rng.uniform(0.0, 0.15));
      wider[size_t(side)] += side < 2 ? -amount : amount;
      wider = clip01(wider);
      bool clear = true;
      for (int j = 0; j < n; ++j)
        if (j != replaced && overlaps(wider, square_of(s.objects[size_t(j)], 0.005f)))
          clear = false;
      if (clear) mask = wider;
    }
  }
  ObjectMention m;
  m.colour = x.only() || x.rng.chance(0.9);
  m.size = x.rng.chance(0.3);
  e.after_spec = base_spec(e.after);
  const size_t k = replaced >= 0 ? size_t(replaced) : e.after.objects.size() - 1;
  e.after_spec.mention[k] = ObjectMention{m.colour, m.size, false};
  e.instruction = ep::inpaint_text(phrases::object_np(t, m, 1, x.c), x.c);
  e.changed_box = mask;
  e.has_mask = true;
  return true;
}

bool make_img2img(Ctx& x, EditExample& e) {
  Scene s = x.scene(true);
  const int n = int(s.objects.size());
  e.before = e.after = s;
  e.strength = x.rng.uniform(0.4, 0.9);
  auto& objs = e.after.objects;
  auto new_colour = [&](Colour old) {
    int k = x.rng.below(kNumColours - 1);
    if (k >= int(old)) ++k;
    return Colour(k);
  };
  const int mode = x.rng.below(3);
  if (mode == 0) {  // every colour swapped for another
    Colour map[kNumColours];
    for (int k = 0; k < kNumColours; ++k) map[k] = new_colour(Colour(k));
    for (auto& o : objs) o.colour = map[int(o.colour)];
  } else {  // some objects recoloured, or (high strength) reshaped
    const bool reshape = mode == 2 && e.strength >= 0.6;
    const int forced = x.rng.below(n);
    for (int j = 0; j < n; ++j) {
      if (j != forced && !x.rng.chance(0.4)) continue;
      Object& o = objs[size_t(j)];
      if (!reshape || x.rng.chance(0.3)) o.colour = new_colour(o.colour);
      if (reshape) {
        if (o.shape == Shape::kGlyph) {
          char ch = o.glyph;
          while (ch == o.glyph) ch = glyph_chars()[x.rng.below(kNumGlyphs)];
          o.glyph = ch;
        } else {
          int k = x.rng.below(kNumGeometricShapes - 1);
          if (k >= int(o.shape)) ++k;
          o.shape = Shape(k);
        }
      }
    }
  }
  const bool new_background = x.rng.chance(0.35);
  if (new_background) {
    Background b;
    b.from = b.to = BackgroundColour(x.rng.below(kNumBackgroundColours));
    if (x.rng.chance(0.3)) {
      int to = x.rng.below(kNumBackgroundColours - 1);
      if (to >= int(b.from)) ++to;
      b.to = BackgroundColour(to);
      b.gradient =
          x.rng.chance(0.5) ? GradientDirection::kVertical : GradientDirection::kHorizontal;
    }
    e.after.background = b;
  }
  if (!x.only())
    for (const auto& o : objs)
      if (!x.other_ok(o)) return false;
  if (x.only()) {  // the prompt asks for one held-out pair: give a geometric object its colour
    std::vector<size_t> geometric;
    for (size_t j = 0; j < objs.size(); ++j)
      if (objs[j].shape != Shape::kGlyph) geometric.push_back(j);
    if (geometric.empty()) return false;
    Object& o = objs[x.rng.pick(geometric)];
    for (const auto& [shape, colour] : held_out_pairs())
      if (shape == o.shape) o.colour = colour;
    for (size_t j = 0; j < objs.size(); ++j)
      if (&objs[j] != &o && is_held_out(objs[j])) return false;
  }
  bool changed = !(e.after.background == e.before.background);
  for (int j = 0; j < n; ++j) changed |= !(objs[size_t(j)] == e.before.objects[size_t(j)]);
  if (!changed) return false;
  SceneSpec spec = make_spec(e.after, x.rng);
  for (auto& m : spec.mention) m.colour = true;  // the prompt states the new colours
  if (!(e.after.background == e.before.background)) spec.mention_background = true;
  for (int attempt = 0;; ++attempt) {
    e.instruction = caption(spec, x.rng);
    if (int(tokenize_words(e.instruction).size()) <= kMaxCaptionWords) break;
    // Too long: drop optional facts, the wordiest first.
    if (!spec.relations.empty()) {
      spec.relations.pop_back();
    } else if (spec.mention_count) {
      spec.mention_count = false;
    } else {
      bool dropped = false;
      for (auto& m : spec.mention) {
        if (m.region || m.size) {
          m.region = m.size = false;
          dropped = true;
          break;
        }
      }
      if (!dropped) return false;
    }
  }
  e.after_spec = spec;
  e.changed_box = kWholeImage;
  return true;
}

}  // namespace

bool make_edit(Ctx& x, EditKind kind, EditExample& e) {
  switch (kind) {
    case EditKind::kRecolour:
      return make_recolour(x, e);
    case EditKind::kMove:
      return make_move(x, e);
    case EditKind::kAdd:
      return make_add(x, e);
    case EditKind::kRemove:
      return make_remove(x, e);
    case EditKind::kReplaceShape:
      return make_replace(x, e);
    case EditKind::kChangeCount:
      return make_count(x, e);
    case EditKind::kChangeBackground:
      return make_background(x, e);
    case EditKind::kGlyph:
      return make_glyph(x, e);
    case EditKind::kInpaint:
      return make_inpaint(x, e);
    case EditKind::kImageToImage:
      return make_img2img(x, e);
  }
  return false;
}

}  // namespace pictor::world::edit_sampling
