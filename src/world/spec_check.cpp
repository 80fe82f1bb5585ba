// check_spec() and same_scene(): comparing a detected scene with what a prompt asked for.
#include <algorithm>
#include <cmath>
#include <functional>

#include "world/detector.h"
#include "world/facts.h"

namespace pictor::world {
namespace {

// Finds an injective map from `n_left` items to `n_right` items such that ok(i, j) holds for each
// pair and accept(map) holds overall. Tries all such maps (n_left <= 4 in practice).
bool find_assignment(int n_left, int n_right, const std::function<bool(int, int)>& ok,
                     const std::function<bool(const std::vector<int>&)>& accept,
                     std::vector<int>& map) {
  map.assign(size_t(n_left), -1);
  std::vector<char> used(size_t(n_right), 0);
  std::function<bool(int)> step = [&](int i) -> bool {
    if (i == n_left) return accept(map);
    for (int j = 0; j < n_right; ++j) {
      if (used[size_t(j)] || !ok(i, j)) continue;
      used[size_t(j)] = 1;
      map[size_t(i)] = j;
      if (step(i + 1)) return true;
      used[size_t(j)] = 0;
    }
    map[size_t(i)] = -1;
    return false;
  };
  return step(0);
}

bool same_kind(const Object& a, const Object& b) {
  return a.shape == b.shape && (a.shape != Shape::kGlyph || a.glyph == b.glyph);
}

std::string describe_mention(const Object& o, const ObjectMention& m) {
  std::string s;
  if (m.size) s += std::string(size_name(o.size)) + " ";
  if (m.colour) s += std::string(colour_name(o.colour)) + " ";
  if (o.shape == Shape::kGlyph) {
    s += (o.glyph >= '0' && o.glyph <= '9') ? "number " : "letter ";
    s += o.glyph;
  } else {
    s += shape_name(o.shape);
  }
  if (m.region) s += std::string(" at ") + region_name(region_of(o));
  return s;
}

std::string describe_background(const Background& b) {
  if (b.gradient == GradientDirection::kNone) return background_colour_name(b.from);
  return std::string(b.gradient == GradientDirection::kVertical ? "vertical" : "horizontal") +
         " gradient " + background_colour_name(b.from) + " to " + background_colour_name(b.to);
}

}  // namespace

SpecCheck check_spec(const Scene& detected, const SceneSpec& spec) {
  SpecCheck out;
  const auto& want = spec.scene.objects;
  const auto& got = detected.objects;
  const int n = int(want.size()), m = int(got.size());
  auto mention = [&](int i) {
    return size_t(i) < spec.mention.size() ? spec.mention[size_t(i)] : ObjectMention{};
  };

  if (spec.mention_count && m + detected.unrecognised != n) {
    out.failures.push_back(
        "count: expected " + std::to_string(n) + " objects, found " + std::to_string(m) +
        (detected.unrecognised ? " + " + std::to_string(detected.unrecognised) + " unrecognised"
                               : ""));
  }
  if (spec.mention_background &&
      (!detected.background_known || !(detected.background == spec.scene.background))) {
    out.failures.push_back(
        "background: expected " + describe_background(spec.scene.background) + ", found " +
        (detected.background_known ? describe_background(detected.background) : "unknown"));
  }

  auto ok = [&](int i, int j) {
    const Object &a = want[size_t(i)], &b = got[size_t(j)];
    const ObjectMention mm = mention(i);
    if (!same_kind(a, b)) return false;
    if (mm.colour && a.colour != b.colour) return false;
    if (mm.size && a.size != b.size) return false;
    if (mm.region && region_of(a) != region_of(b)) return false;
    return true;
  };
  auto relations_hold = [&](const std::vector<int>& map) {
    for (const auto& f : spec.relations) {
      if (f.a < 0 || f.b < 0 || f.a >= n || f.b >= n) continue;
      if (!relation_holds(got[size_t(map[size_t(f.a)])], got[size_t(map[size_t(f.b)])], f.relation,
                          kRelationCheckMargin))
        return false;
    }
    return true;
  };
  std::vector<int> map;
  if (!find_assignment(n, m, ok, relations_hold, map)) {
    // Explain: objects without any candidate, else relations, else the one-to-one constraint.
    bool missing = false;
    for (int i = 0; i < n; ++i) {
      bool any = false;
      for (int j = 0; j < m && !any; ++j) any = ok(i, j);
      if (!any) {
        missing = true;
        out.failures.push_back("missing: " + describe_mention(want[size_t(i)], mention(i)));
      }
    }
    if (!missing) {
      if (find_assignment(
              n, m, ok, [](const std::vector<int>&) { return true; }, map)) {
        const size_t before = out.failures.size();
        for (const auto& f : spec.relations) {
          if (f.a < 0 || f.b < 0 || f.a >= n || f.b >= n) continue;
          if (relation_holds(got[size_t(map[size_t(f.a)])], got[size_t(map[size_t(f.b)])],
                             f.relation, kRelationCheckMargin))
            continue;  // holds under this matching (another fact failed under every matching)
          out.failures.push_back(
              std::string("relation: ") + describe_mention(want[size_t(f.a)], mention(f.a)) + " " +
              relation_name(f.relation) + " " + describe_mention(want[size_t(f.b)], mention(f.b)) +
              " does not hold");
        }
        if (out.failures.size() == before)
          out.failures.push_back("relations: no one-to-one matching satisfies all of them");
      } else {
        out.failures.push_back("objects: not enough distinct matches for the mentioned objects");
      }
    }
  }
  out.passed = out.failures.empty();
  return out;
}

bool same_scene(const Scene& a, const Scene& b, float tolerance) {
  if (!(a.background == b.background) || a.objects.size() != b.objects.size()) return false;
  if (a.unrecognised != b.unrecognised || a.background_known != b.background_known) return false;
  const int n = int(a.objects.size());
  auto ok = [&](int i, int j) {
    const Object &p = a.objects[size_t(i)], &q = b.objects[size_t(j)];
    return p.shape == q.shape && p.glyph == q.glyph && p.colour == q.colour && p.size == q.size &&
           std::fabs(p.cx - q.cx) <= tolerance && std::fabs(p.cy - q.cy) <= tolerance;
  };
  std::vector<int> map;
  return find_assignment(
      n, n, ok, [](const std::vector<int>&) { return true; }, map);
}

}  // namespace pictor::world
