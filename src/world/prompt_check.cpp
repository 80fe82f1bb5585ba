// check_facts() / check_prompt(): a spec split into facts, each checked with check_spec on a
// spec that states only that fact, with a short reason when it fails.
#include "world/prompt_check.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "world/detector.h"
#include "world/facts.h"

namespace pictor::world {
namespace {

ObjectMention mention_of(const SceneSpec& spec, size_t i) {
  return i < spec.mention.size() ? spec.mention[i] : ObjectMention{};
}

// Objects stated alike share a key; region -1 when not stated.
auto group_key(const Object& o, const ObjectMention& m) {
  return std::make_tuple(int(o.shape), o.glyph, m.colour ? int(o.colour) : -1,
                         m.size ? int(o.size) : -1, m.region ? int(region_of(o)) : -1);
}

std::string noun(const Object& o, bool plural) {
  if (o.shape == Shape::kGlyph) return std::string(1, o.glyph) + (plural ? "s" : "");
  std::string s = shape_name(o.shape);
  if (plural) s += (o.shape == Shape::kCross) ? "es" : "s";
  return s;
}

std::string region_words(Region r) {
  return r == Region::kCentre ? "in the centre" : std::string("at the ") + region_name(r);
}

// "small red circles at the top left", "blue number 7".
std::string describe_group(const Object& o, const ObjectMention& m, bool plural) {
  std::string s;
  if (m.size) s += std::string(size_name(o.size)) + " ";
  if (m.colour) s += std::string(colour_name(o.colour)) + " ";
  if (o.shape == Shape::kGlyph)
    s += std::string(o.glyph >= '0' && o.glyph <= '9' ? "number " : "letter ") + o.glyph;
  else
    s += noun(o, plural);
  if (m.region) s.append(" ").append(region_words(region_of(o)));
  return s;
}

std::string group_text(const Object& o, const ObjectMention& m, int count) {
  if (o.shape == Shape::kGlyph && count > 1)
    return std::to_string(count) + " copies of the " + describe_group(o, m, false);
  return std::to_string(count) + " " + describe_group(o, m, count > 1);
}

// "white", "a vertical gradient from white (top) to lavender (bottom)".
std::string background_words(const Background& b) {
  if (b.gradient == GradientDirection::kNone) return background_colour_name(b.from);
  const bool v = b.gradient == GradientDirection::kVertical;
  return std::string("a ") + (v ? "vertical" : "horizontal") + " gradient from " +
         background_colour_name(b.from) + (v ? " (top)" : " (left)") + " to " +
         background_colour_name(b.to) + (v ? " (bottom)" : " (right)");
}

std::string background_text(const Background& b) {
  return b.gradient == GradientDirection::kNone ? "a " + background_words(b) + " background"
                                                : background_words(b);
}

bool compatible(const Object& want, const ObjectMention& m, const Object& got) {
  if (want.shape != got.shape || (want.shape == Shape::kGlyph && want.glyph != got.glyph))
    return false;
  if (m.colour && want.colour != got.colour) return false;
  if (m.size && want.size != got.size) return false;
  if (m.region && region_of(want) != region_of(got)) return false;
  return true;
}

struct Group {
  std::vector<int> members;  // object indices of the spec
};

// Why "k objects like o" fail: how many there are, and what stands in for them.
std::string group_why(const Scene& detected, const Object& o, const ObjectMention& m, int want) {
  std::vector<const Object*> like, same_kind;
  for (const Object& d : detected.objects) {
    if (compatible(o, m, d)) like.push_back(&d);
    else if (compatible(o, ObjectMention{false, false, false}, d)) same_kind.push_back(&d);
  }
  std::string why = like.empty() ? "found none" : "found " + std::to_string(like.size());
  if (int(like.size()) < want && !same_kind.empty()) {
    why.append("; there is a ").append(describe(*same_kind[0]));
    if (m.region) why.append(" ").append(region_words(region_of(*same_kind[0])));
  }
  return why;
}

// "the circles are left of it": where the first group's matches lie relative to the second's.
std::string relation_why(const Scene& detected, const SceneSpec& spec, const Group& ga,
                         const Group& gb, Relation r) {
  auto centre_of = [&](const Group& g, std::vector<bool>& used, float& x, float& y) {
    int n = 0;
    x = y = 0;
    for (int i : g.members) {
      for (size_t j = 0; j < detected.objects.size(); ++j) {
        if (used[j] || !compatible(spec.scene.objects[size_t(i)], mention_of(spec, size_t(i)),
                                   detected.objects[j]))
          continue;
        used[j] = true;
        x += detected.objects[j].cx, y += detected.objects[j].cy, ++n;
        break;
      }
    }
    if (n) x /= float(n), y /= float(n);
    return n == int(g.members.size());
  };
  std::vector<bool> used(detected.objects.size(), false);
  float ax, ay, bx, by;
  const bool have_a = centre_of(ga, used, ax, ay);
  const bool have_b = centre_of(gb, used, bx, by);
  const Object& oa = spec.scene.objects[size_t(ga.members[0])];
  const Object& ob = spec.scene.objects[size_t(gb.members[0])];
  const ObjectMention ma = mention_of(spec, size_t(ga.members[0]));
  const ObjectMention mb = mention_of(spec, size_t(gb.members[0]));
  const bool plural_a = ga.members.size() > 1, plural_b = gb.members.size() > 1;
  if (!have_a)
    return "not enough " + describe_group(oa, ma, true) + " (" +
           group_why(detected, oa, ma, int(ga.members.size())) + ")";
  if (!have_b)
    return "not enough " + describe_group(ob, mb, true) + " (" +
           group_why(detected, ob, mb, int(gb.members.size())) + ")";
  const std::string subject = "the " + noun(oa, plural_a) + (plural_a ? " are " : " is ");
  const std::string it = plural_b ? " them" : " it";
  Object a, b;
  a.cx = ax, a.cy = ay, b.cx = bx, b.cy = by;
  if (relation_holds(a, b, r, kRelationCheckMargin))  // on average, not for every member
    return std::string("not every one of the ") + noun(oa, true) + " is " + relation_name(r) + it;
  std::vector<std::string> parts;
  for (Relation q : {Relation::kAbove, Relation::kBelow, Relation::kLeftOf, Relation::kRightOf})
    if (relation_holds(a, b, q, kRelationCheckMargin)) parts.push_back(relation_name(q));
  if (parts.empty()) return subject + "level with" + it;
  return subject + parts[0] + (parts.size() > 1 ? " and " + parts[1] : "") + it;
}

SceneSpec sub_spec(const SceneSpec& spec, const std::vector<int>& objects) {
  SceneSpec s;
  s.mention_count = false;
  for (int i : objects) {
    s.scene.objects.push_back(spec.scene.objects[size_t(i)]);
    s.mention.push_back(mention_of(spec, size_t(i)));
  }
  return s;
}

}  // namespace

PromptCheck check_facts(const Scene& detected, const SceneSpec& spec) {
  PromptCheck out;
  out.detected = detected;
  const auto& objs = spec.scene.objects;
  // Groups in order of first mention.
  std::vector<Group> groups;
  std::vector<int> group_of(objs.size(), -1);
  std::map<decltype(group_key(Object{}, ObjectMention{})), int> index;
  for (size_t i = 0; i < objs.size(); ++i) {
    auto key = group_key(objs[i], mention_of(spec, i));
    auto [it, fresh] = index.emplace(key, int(groups.size()));
    if (fresh) groups.push_back({});
    groups[size_t(it->second)].members.push_back(int(i));
    group_of[i] = it->second;
  }
  auto add = [&](std::string text, bool holds, std::string why) {
    out.facts.push_back({std::move(text), holds, holds ? "" : std::move(why)});
  };
  for (const Group& g : groups) {
    const size_t first = size_t(g.members[0]);
    const bool holds = check_spec(detected, sub_spec(spec, g.members)).passed;
    add(group_text(objs[first], mention_of(spec, first), int(g.members.size())), holds,
        holds ? "" : group_why(detected, objs[first], mention_of(spec, first), int(g.members.size())));
  }
  // Relations, one fact per (group, group, relation), said the way round the spec has it first.
  std::vector<std::tuple<int, int, Relation>> seen;
  for (const auto& f : spec.relations) {
    if (f.a < 0 || f.b < 0 || size_t(f.a) >= objs.size() || size_t(f.b) >= objs.size()) continue;
    const int ga = group_of[size_t(f.a)], gb = group_of[size_t(f.b)];
    bool dup = false;
    for (const auto& [x, y, r] : seen)
      dup |= (x == ga && y == gb && r == f.relation) || (x == gb && y == ga && r == inverse(f.relation));
    if (dup) continue;
    seen.emplace_back(ga, gb, f.relation);
    std::vector<int> members = groups[size_t(ga)].members;
    if (gb != ga) members.insert(members.end(), groups[size_t(gb)].members.begin(), groups[size_t(gb)].members.end());
    SceneSpec s = sub_spec(spec, members);
    auto local = [&](int o) { return int(std::find(members.begin(), members.end(), o) - members.begin()); };
    for (const auto& g : spec.relations) {
      const bool forward = group_of[size_t(g.a)] == ga && group_of[size_t(g.b)] == gb && g.relation == f.relation;
      const bool backward = group_of[size_t(g.a)] == gb && group_of[size_t(g.b)] == ga &&
                            g.relation == inverse(f.relation);
      if (forward || backward) s.relations.push_back({local(g.a), local(g.b), g.relation});
    }
    const Object &oa = objs[size_t(f.a)], &ob = objs[size_t(f.b)];
    const bool pa = groups[size_t(ga)].members.size() > 1, pb = groups[size_t(gb)].members.size() > 1;
    const std::string text = "the " + describe_group(oa, mention_of(spec, size_t(f.a)), pa) + " " +
                             relation_name(f.relation) + " the " +
                             describe_group(ob, mention_of(spec, size_t(f.b)), pb);
    const bool holds = check_spec(detected, s).passed;
    add(text, holds,
        holds ? "" : relation_why(detected, spec, groups[size_t(ga)], groups[size_t(gb)], f.relation));
  }
  if (spec.mention_count) {
    const int n = int(objs.size());
    const int found = int(detected.objects.size()) + detected.unrecognised;
    add(std::to_string(n) + (n == 1 ? " object" : " objects") + " in total", found == n,
        "found " + std::to_string(found) +
            (detected.unrecognised ? " (" + std::to_string(detected.unrecognised) + " unrecognised)" : ""));
  }
  if (spec.mention_background) {
    const bool holds = detected.background_known && detected.background == spec.scene.background;
    add(background_text(spec.scene.background), holds,
        detected.background_known ? "the background is " + background_words(detected.background)
                                  : "the background matches no named colour or gradient");
  }
  out.facts_total = int(out.facts.size());
  for (const auto& f : out.facts) out.facts_held += f.holds;
  out.score = out.facts_total ? double(out.facts_held) / out.facts_total : 0.0;
  const SpecCheck joint = check_spec(detected, spec);
  out.all_hold = joint.passed && out.facts_total > 0;
  if (!joint.passed) out.failures = joint.failures;
  return out;
}

PromptCheck check_prompt(const Image& image, const ParsedPrompt& prompt) {
  return check_facts(detect(image), prompt.spec);
}

Result<PromptCheck> check_prompt(const Image& image, std::string_view prompt) {
  auto parsed = parse_prompt(prompt);
  if (!parsed.is_ok()) return parsed.status();
  return check_prompt(image, *parsed);
}

}  // namespace pictor::world
