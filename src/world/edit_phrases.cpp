// Referring expressions of the edit data (see edit_phrases.h); the instruction templates are in
// edit_templates.cpp.
#include "world/edit_phrases.h"

#include <vector>

namespace pictor::world::edit_phrases {
namespace {

std::string join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

bool is_digit(char g) { return g >= '0' && g <= '9'; }

// Same description under a plan's stated attributes.
bool fits(const Object& a, const Object& b, bool colour, bool size) {
  if (a.shape != b.shape || a.glyph != b.glyph) return false;
  if (colour && a.colour != b.colour) return false;
  if (size && a.size != b.size) return false;
  return true;
}

// "7", "number 7", "digit 7", "letter A", "capital A" (no article, no colour or size).
std::string glyph_kind(char g, Chooser& c) {
  const std::string s(1, g);
  if (is_digit(g)) return join({c.pick({"", "number", "digit", "numeral"}), s});
  return join({c.pick({"", "letter", "capital", "capital letter"}), s});
}

// Article-less description: "small red star", "red 7", "number 7 in red".
std::string core(const Object& o, bool colour, bool size, Chooser& c) {
  const std::string sz = size ? phrases::size_word(o.size, c) : "";
  const std::string col = colour ? phrases::colour_word(o.colour, c) : "";
  if (o.shape != Shape::kGlyph) return join({sz, col, phrases::shape_noun(o.shape, false, c)});
  const std::string kind = glyph_kind(o.glyph, c);
  if (!col.empty() && c.chance(0.3)) return join({sz, kind}) + " in " + col;
  return join({sz, col, kind});
}

}  // namespace

bool plan_ref(const Scene& scene, size_t i, Rng& rng, RefPlan& out) {
  const auto& objs = scene.objects;
  const Object& a = objs[i];
  auto alone = [&](bool colour, bool size) {
    for (size_t j = 0; j < objs.size(); ++j)
      if (j != i && fits(a, objs[j], colour, size)) return false;
    return true;
  };
  // Plain descriptions, weighted: colour and shape most often, then shape alone, then with size.
  struct Option {
    RefPlan plan;
    int weight;
  };
  std::vector<Option> options;
  if (alone(false, false)) options.push_back({{false, false}, 3});
  if (alone(true, false)) options.push_back({{true, false}, 5});
  if (alone(false, true)) options.push_back({{false, true}, 1});
  if (alone(true, true)) options.push_back({{true, true}, 1});
  if (options.empty()) {
    // Several objects fit every description: single one out by position, if it is the extreme
    // one (by a clear margin) among those that fit.
    for (int base = 0; base < 3; ++base) {
      const bool colour = base != 1, size = base == 2;
      std::vector<size_t> same;
      for (size_t j = 0; j < objs.size(); ++j)
        if (j != i && fits(a, objs[j], colour, size)) same.push_back(j);
      for (int e = 0; e < 4; ++e) {
        bool extreme = true;
        for (size_t j : same) {
          const Object& b = objs[j];
          float d = 0;
          switch (Extreme(e)) {
            case Extreme::kLeft:
              d = b.cx - a.cx;
              break;
            case Extreme::kRight:
              d = a.cx - b.cx;
              break;
            case Extreme::kTop:
              d = b.cy - a.cy;
              break;
            default:
              d = a.cy - b.cy;
              break;
          }
          if (d < kExtremeMargin) extreme = false;
        }
        if (extreme)
          options.push_back({{colour, size, Extreme(e), same.size() == 1}, base == 0 ? 3 : 1});
      }
    }
  }
  if (options.empty()) return false;
  int total = 0;
  for (const auto& o : options) total += o.weight;
  int r = rng.below(total);
  for (const auto& o : options) {
    if (r < o.weight) {
      out = o.plan;
      return true;
    }
    r -= o.weight;
  }
  out = options.back().plan;
  return true;
}

std::string ref_text(const Object& o, const RefPlan& p, Chooser& c, bool allow_suffix) {
  const std::string desc = core(o, p.colour, p.size, c);
  if (p.extreme == Extreme::kNone) return "the " + desc;
  const int e = int(p.extreme);
  if (p.pair) {
    if (!allow_suffix || c.chance(0.5)) {
      static const char* const kAdj[4][2] = {
          {"left", "left"}, {"right", "right"}, {"top", "upper"}, {"bottom", "lower"}};
      return "the " + std::string(kAdj[e][c.below(2)]) + " " + desc;
    }
    static const char* const kSuffix[4][2] = {{"on the left", "on the left side"},
                                              {"on the right", "on the right side"},
                                              {"at the top", "at the top"},
                                              {"at the bottom", "at the bottom"}};
    return "the " + desc + " " + kSuffix[e][c.below(2)];
  }
  static const char* const kAdj[4][2] = {{"leftmost", "leftmost"},
                                         {"rightmost", "rightmost"},
                                         {"topmost", "highest"},
                                         {"bottommost", "lowest"}};
  return "the " + std::string(kAdj[e][c.below(2)]) + " " + desc;
}

std::string group_singular(const Object& o, bool colour, Chooser& c) {
  return core(o, colour, false, c);
}

std::string group_plural(const Object& o, bool colour, Chooser& c) {
  if (o.shape == Shape::kGlyph) return "copies of the " + core(o, colour, false, c);
  return join(
      {colour ? phrases::colour_word(o.colour, c) : "", phrases::shape_noun(o.shape, true, c)});
}

std::string destination_phrase(Region r, Chooser& c) {
  switch (r) {
    case Region::kTopLeft:
      return c.pick({"to the top left", "to the top left corner", "into the top left corner",
                     "to the upper left"});
    case Region::kTop:
      return c.pick({"to the top", "up to the top", "to the top centre", "to the top center",
                     "to the top middle"});
    case Region::kTopRight:
      return c.pick({"to the top right", "to the top right corner", "into the top right corner",
                     "to the upper right"});
    case Region::kLeft:
      return c.pick(
          {"to the left side", "to the middle left", "over to the left side", "to the left edge"});
    case Region::kCentre:
      return c.pick({"to the centre", "to the center", "to the middle", "into the middle",
                     "into the centre"});
    case Region::kRight:
      return c.pick({"to the right side", "to the middle right", "over to the right side",
                     "to the right edge"});
    case Region::kBottomLeft:
      return c.pick({"to the bottom left", "to the bottom left corner",
                     "into the bottom left corner", "to the lower left"});
    case Region::kBottom:
      return c.pick({"to the bottom", "down to the bottom", "to the bottom centre",
                     "to the bottom center", "to the bottom middle"});
    case Region::kBottomRight:
      return c.pick({"to the bottom right", "to the bottom right corner",
                     "into the bottom right corner", "to the lower right"});
  }
  return "";
}

}  // namespace pictor::world::edit_phrases
