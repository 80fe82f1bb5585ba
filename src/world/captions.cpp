// make_spec() and caption(): choosing the facts, then framing them. Word-level paraphrases live
// in caption_phrases.cpp.
#include "world/captions.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "world/caption_phrases.h"
#include "world/facts.h"

namespace pictor::world {
namespace {

using phrases::Chooser;

auto kind_key(const Object& o) { return std::make_tuple(o.shape, o.glyph, o.colour); }

bool all_geometric(const Scene& s) {
  return std::none_of(s.objects.begin(), s.objects.end(),
                      [](const Object& o) { return o.shape == Shape::kGlyph; });
}

// The attributes a mention states, as a key: objects with equal keys read the same.
auto stated_key(const Object& o, const ObjectMention& m) {
  return std::make_tuple(o.shape, o.glyph, m.colour, m.colour ? int(o.colour) : -1, m.size,
                         m.size ? int(o.size) : -1);
}

// Whether "the <attributes m states of a>" also fits b: the same kind, and b agrees with a on
// every attribute m states.
bool named_alike(const Object& a, const ObjectMention& m, const Object& b) {
  if (a.shape != b.shape || a.glyph != b.glyph) return false;
  if (m.colour && a.colour != b.colour) return false;
  return !(m.size && a.size != b.size);
}

// Whether "the <stated attributes>" picks out object i alone: no other object is named alike.
bool uniquely_named(const SceneSpec& spec, size_t i) {
  for (size_t j = 0; j < spec.scene.objects.size(); ++j)
    if (j != i && named_alike(spec.scene.objects[i], spec.mention[i], spec.scene.objects[j])) return false;
  return true;
}

// The objects "the <stated attributes of i>" names: every object named alike, when they all read
// the same (so that "two red circles ... the red circles" means them); empty otherwise.
std::vector<int> named_group(const SceneSpec& spec, size_t i) {
  const Object& a = spec.scene.objects[i];
  const ObjectMention& m = spec.mention[i];
  std::vector<int> group;
  for (size_t j = 0; j < spec.scene.objects.size(); ++j) {
    const Object& b = spec.scene.objects[j];
    if (!named_alike(a, m, b)) continue;
    if (stated_key(b, spec.mention[j]) != stated_key(a, m) || spec.mention[j].region) return {};
    group.push_back(int(j));
  }
  return group;
}

// A relation fact said in words: "A" stands for `count` objects named alike (a group relation
// is one fact per member in the spec, one phrase in the caption).
struct SaidRelation {
  RelationFact fact;
  int count = 1;
};

std::vector<SaidRelation> said_relations(const SceneSpec& spec) {
  const int n = int(spec.scene.objects.size());
  std::vector<SaidRelation> out;
  for (const auto& f : spec.relations) {
    if (f.a < 0 || f.b < 0 || f.a >= n || f.b >= n || f.a == f.b) continue;
    bool merged = false;
    for (auto& s : out) {
      if (s.fact.b == f.b && s.fact.relation == f.relation &&
          stated_key(spec.scene.objects[size_t(s.fact.a)], spec.mention[size_t(s.fact.a)]) ==
              stated_key(spec.scene.objects[size_t(f.a)], spec.mention[size_t(f.a)]) &&
          !uniquely_named(spec, size_t(f.a))) {
        ++s.count;
        merged = true;
        break;
      }
    }
    if (!merged) out.push_back({f, 1});
  }
  return out;
}

// A generous estimate of a caption's length in words for `spec`.
int estimated_words(const SceneSpec& spec) {
  int words = 2;  // frame
  for (size_t i = 0; i < spec.scene.objects.size(); ++i) {
    const ObjectMention& m = spec.mention[i];
    words += 3 + (spec.scene.objects[i].shape == Shape::kGlyph) + m.colour + m.size + 4 * m.region;
  }
  for (const auto& r : said_relations(spec))
    words += 9 + spec.mention[size_t(r.fact.a)].size + spec.mention[size_t(r.fact.b)].size;
  if (spec.mention_background)
    words += spec.scene.background.gradient == GradientDirection::kNone ? 5 : 12;
  if (spec.mention_count) words += 4;
  return words;
}

}  // namespace

SceneSpec make_spec(const Scene& scene, Rng& rng) { return make_spec(scene, rng, 0.45); }

SceneSpec make_spec(const Scene& scene, Rng& rng, double relation_probability) {
  SceneSpec spec;
  spec.scene = scene;
  spec.scene.unrecognised = 0;
  const size_t n = scene.objects.size();
  spec.mention.assign(n, ObjectMention{});
  // Fewer optional facts in crowded scenes keep prompts within the tokenizer's length.
  const double busy = n >= 4 ? 0.5 : (n == 3 ? 0.75 : 1.0);
  // Colour and size decisions are shared by objects of one kind so that groups read naturally.
  std::map<std::tuple<Shape, char, Colour>, ObjectMention> by_kind;
  for (size_t i = 0; i < n; ++i) {
    auto key = kind_key(scene.objects[i]);
    auto it = by_kind.find(key);
    if (it == by_kind.end()) {
      ObjectMention m;
      m.colour = rng.chance(0.85);
      m.size = rng.chance(0.25 * busy);
      it = by_kind.emplace(key, m).first;
    }
    spec.mention[i] = it->second;
  }
  std::map<std::tuple<Shape, char, Colour>, int> kind_count;
  for (const auto& o : scene.objects) ++kind_count[kind_key(o)];
  for (size_t i = 0; i < n; ++i) {
    const Object& o = scene.objects[i];
    if (kind_count[kind_key(o)] == 1 && region_clear(o) && rng.chance(0.2 * busy))
      spec.mention[i].region = true;
  }
  // Relations: between objects that "the ..." names unambiguously, only when clearly true.
  if (n >= 2 && rng.chance(relation_probability)) {
    const int wanted = n <= 3 && rng.chance(0.15) ? 2 : 1;
    for (int attempt = 0; attempt < 8 && int(spec.relations.size()) < wanted; ++attempt) {
      int a = rng.below(int(n)), b = rng.below(int(n) - 1);
      if (b >= a) ++b;
      if (!uniquely_named(spec, size_t(a)) || !uniquely_named(spec, size_t(b))) continue;
      bool dup = false;
      for (const auto& f : spec.relations) dup |= (f.a == a && f.b == b) || (f.a == b && f.b == a);
      if (dup) continue;
      std::vector<Relation> clear;
      for (int r = 0; r < 4; ++r)
        if (relation_clear(scene.objects[size_t(a)], scene.objects[size_t(b)], Relation(r)))
          clear.push_back(Relation(r));
      if (clear.empty()) continue;
      spec.relations.push_back({a, b, rng.pick(clear)});
    }
  }
  // Group relations ("two red circles above a blue square"): every object that one plural phrase
  // names, in one relation to one uniquely named object, when it clearly holds for each of them.
  if (spec.relations.empty() && n >= 3 && rng.chance(0.9)) {
    for (int attempt = 0; attempt < 8 && spec.relations.empty(); ++attempt) {
      const int a = rng.below(int(n)), b = rng.below(int(n));
      if (a == b || scene.objects[size_t(a)].shape == Shape::kGlyph || uniquely_named(spec, size_t(a)) ||
          !uniquely_named(spec, size_t(b)))
        continue;
      const std::vector<int> group = named_group(spec, size_t(a));
      if (group.size() < 2 || std::find(group.begin(), group.end(), b) != group.end()) continue;
      std::vector<Relation> clear;
      for (int r = 0; r < 4; ++r) {
        bool all = true;
        for (int g : group) all &= relation_clear(scene.objects[size_t(g)], scene.objects[size_t(b)], Relation(r));
        if (all) clear.push_back(Relation(r));
      }
      if (clear.empty()) continue;
      const Relation r = rng.pick(clear);
      for (int g : group) spec.relations.push_back({g, b, r});
    }
  }
  spec.mention_count = rng.chance(0.4);
  spec.mention_background = rng.chance(0.4);
  // Keep the prompt within the tokenizer's length: drop optional facts, the wordiest first.
  while (estimated_words(spec) > kMaxCaptionWords - 6) {
    if (spec.mention_background && spec.scene.background.gradient != GradientDirection::kNone) {
      spec.mention_background = false;
    } else if (said_relations(spec).size() > 1) {
      spec.relations.pop_back();
    } else if (auto it = std::find_if(spec.mention.begin(), spec.mention.end(),
                                      [](const ObjectMention& m) { return m.region; });
               it != spec.mention.end()) {
      it->region = false;
    } else if (spec.mention_background) {
      spec.mention_background = false;
    } else if (!spec.relations.empty()) {
      spec.relations.clear();
    } else {
      break;
    }
  }
  return spec;
}

namespace {

// Objects described together ("three red stars"): equal stated attributes, no region, no relation
// but a group relation.
std::vector<std::vector<int>> build_units(const SceneSpec& spec) {
  const auto& objs = spec.scene.objects;
  std::vector<bool> in_relation(objs.size(), false);
  for (const auto& f : spec.relations) {
    // A group relation's members ("two red circles above ...") stay one unit.
    if (f.a >= 0 && size_t(f.a) < objs.size() && uniquely_named(spec, size_t(f.a))) in_relation[size_t(f.a)] = true;
    if (f.b >= 0 && size_t(f.b) < objs.size()) in_relation[size_t(f.b)] = true;
  }
  std::vector<std::vector<int>> units;
  for (size_t i = 0; i < objs.size(); ++i) {
    const ObjectMention& m = spec.mention[i];
    bool merged = false;
    if (!m.region && !in_relation[i]) {
      for (auto& u : units) {
        const size_t j = size_t(u[0]);
        if (spec.mention[j].region || in_relation[j]) continue;
        if (stated_key(objs[i], m) == stated_key(objs[j], spec.mention[j])) {
          u.push_back(int(i));
          merged = true;
          break;
        }
      }
    }
    if (!merged) units.push_back({int(i)});
  }
  return units;
}

std::string join_list(const std::vector<std::string>& items, Chooser& c) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  std::string out;
  const bool oxford = c.chance(0.3);
  const char* last = c.pick({" and ", " and ", " plus ", " along with ", " together with "});
  for (size_t i = 0; i < items.size(); ++i) {
    if (i == 0) {
      out = items[0];
    } else if (i + 1 < items.size()) {
      out += ", ";
      out += items[i];
    } else {
      if (oxford && items.size() > 2) out += ',';
      out += last;
      out += items[i];
    }
  }
  return out;
}

// A relation as a clause ("the red star is above the blue box"), or verbless after "with".
// A group relation (count > 1) names its side in the plural: "the red circles are above ...".
std::string relation_clause(const SceneSpec& spec, const SaidRelation& said, bool verbless,
                            Chooser& c) {
  const auto& objs = spec.scene.objects;
  const RelationFact& f = said.fact;
  int a = f.a, b = f.b, count_a = said.count, count_b = 1;
  Relation r = f.relation;
  if (c.chance(0.4)) {  // the same fact, said the other way round
    std::swap(a, b);
    std::swap(count_a, count_b);
    r = inverse(r);
  }
  const std::string ra = phrases::object_ref(objs[size_t(a)], spec.mention[size_t(a)], c, count_a > 1);
  const std::string rb = phrases::object_ref(objs[size_t(b)], spec.mention[size_t(b)], c, count_b > 1);
  if (verbless) return ra + " " + phrases::relation_phrase(r, c) + " " + rb;
  const bool plural = count_a > 1;
  switch (c.below(7)) {
    case 0:
      return ra + (plural ? " are " : " is ") + phrases::relation_phrase(r, c) + " " + rb;
    case 1:  // (no "sit"/"appear": the plural verbs stay within the tokenizer's vocabulary)
      return ra + (plural ? " are " : " sits ") + phrases::relation_phrase(r, c) + " " + rb;
    case 2:
      return ra + " should be " + phrases::relation_phrase(r, c) + " " + rb;
    case 3:
      return ra + (plural ? " should be " : " appears ") + phrases::relation_phrase(r, c) + " " + rb;
    case 4:
      return ra + (plural ? " are placed " : " is placed ") + phrases::relation_phrase(r, c) + " " + rb;
    case 5:
      if (count_b > 1) return ra + " is " + phrases::relation_phrase(r, c) + " " + rb;  // no "have ... their"
      return rb + " has " + ra + " " + phrases::relation_it_phrase(r, c);
    default:
      return ra + " " + phrases::relation_phrase(r, c) + " " + rb;
  }
}

// Agreement for "there is/are": plural when the first phrase names several objects ("there is a
// red star and a blue box" reads better than "there are a red star ...").
bool plural_start(const std::vector<std::vector<int>>& units, bool woven) {
  return !woven && !units.empty() && units[0].size() > 1;
}

std::string compose(const SceneSpec& spec, Chooser& c) {
  const auto& objs = spec.scene.objects;
  const int n = int(objs.size());
  auto units = build_units(spec);
  if (c.chance(0.5)) {  // order of mention is free; shuffle it sometimes
    for (int i = int(units.size()) - 1; i > 0; --i)
      std::swap(units[size_t(i)], units[size_t(c.rng->below(i + 1))]);
  }
  const std::vector<SaidRelation> relations = said_relations(spec);

  // Objects, possibly with a relation woven in ("a red circle to the left of a blue square").
  std::string body;
  bool relations_done = false;
  if (units.size() == 2 && relations.size() == 1 && c.chance(0.4)) {
    const RelationFact& f = relations[0].fact;
    const int count = relations[0].count;
    const Object &a = objs[size_t(f.a)], &b = objs[size_t(f.b)];
    const ObjectMention &ma = spec.mention[size_t(f.a)], &mb = spec.mention[size_t(f.b)];
    if (!ma.region && !mb.region) {
      if (c.chance(0.7)) {
        body = phrases::object_np(a, ma, count, c) + " " + phrases::relation_phrase(f.relation, c) +
               " " + phrases::object_np(b, mb, 1, c);
      } else {
        body = phrases::object_np(b, mb, 1, c) + " with " + phrases::object_np(a, ma, count, c) + " " +
               phrases::relation_it_phrase(f.relation, c);
      }
      relations_done = true;
    }
  }
  if (!relations_done) {
    std::vector<std::string> items;
    for (const auto& u : units)
      items.push_back(
          phrases::object_np(objs[size_t(u[0])], spec.mention[size_t(u[0])], int(u.size()), c));
    body = join_list(items, c);
  }

  // The total count.
  bool count_first = false;  // the body starts with "three objects: ..." (for "there are")
  if (spec.mention_count) {
    const std::string count = phrases::count_word(n, c);
    const bool geometric = all_geometric(spec.scene);
    std::string noun = n == 1 ? (geometric ? c.pick({"object", "shape", "thing"})
                                           : c.pick({"object", "thing", "item"}))
                              : (geometric ? c.pick({"objects", "shapes", "things", "items"})
                                           : c.pick({"objects", "things", "items"}));
    const int form = c.below(7);
    count_first = n > 1 && (form == 0 || form == 1 || form == 6);
    switch (form) {
      case 0:
        body = count + " " + noun + ": " + body;
        break;
      case 1:
        body = "exactly " + count + " " + noun + ": " + body;
        break;
      case 2:
        body = body + c.pick({", and nothing else", " and nothing else", ", nothing else"});
        break;
      case 3:
        body = "only " + body;
        break;
      case 4:
        body =
            body + ", " + count + " " + noun + " " + c.pick({"in total", "in all", "altogether"});
        break;
      case 5:
        body = c.pick({"just ", "only "}) + body;
        break;
      default:
        body = count + " " + noun + ", namely " + body;
        break;
    }
  }

  // The frame.
  static const char* const kFrames[] = {
      "%",
      "a picture of %",
      "an image of %",
      "an image showing %",
      "a drawing of %",
      "draw %",
      "show %",
      "render %",
      "there %",
      "make a picture with %",
      "%, please",
      "generate %",
      "create an image with %",
      "a scene with %",
      "please draw %",
      "paint %",
      "a simple illustration of %",
      "can you draw %?",
      "an illustration showing %",
      "a picture with %",
      "give me %",
      "a graphic of %",
  };
  constexpr int kNumFrames = sizeof(kFrames) / sizeof(kFrames[0]);
  std::string frame = c.terse ? "%" : kFrames[c.below(kNumFrames)];
  if (frame == "there %")
    frame = plural_start(units, relations_done) || count_first ? "there are %" : "there is %";

  // The background: inside the frame (suffix, prefix) or as its own sentence.
  int bg_style = -1;
  std::string bg;
  if (spec.mention_background) {
    bg_style = c.below(4);
    if (bg_style == 0 || bg_style == 1) bg = phrases::background_pp(spec.scene.background, c);
    if (bg_style == 2) bg = phrases::background_sentence(spec.scene.background, c);
    if (bg_style == 3) bg = phrases::background_np(spec.scene.background, c);
  }
  if (bg_style == 0) body += " " + bg;
  std::string text;
  if (bg_style == 3) {
    text = bg + " " + c.pick({"with ", "showing ", "holding "}) + body;
  } else {
    const size_t at = frame.find('%');
    text = frame.substr(0, at) + body + frame.substr(at + 1);
  }
  if (bg_style == 1) text = bg + ", " + text;

  // Relations not woven in: a clause per relation (after the question mark of "can you draw ...?").
  if (!relations_done && !relations.empty()) {
    const bool question = !text.empty() && text.back() == '?';
    if (question) text.pop_back();
    for (const auto& f : relations) {
      switch (c.below(4)) {
        case 0:
          text += ", with " + relation_clause(spec, f, true, c);
          break;
        case 1:
          text += ". " + relation_clause(spec, f, false, c);
          break;
        case 2:
          text += "; " + relation_clause(spec, f, false, c);
          break;
        default:
          text += ", and " + relation_clause(spec, f, false, c);
          break;
      }
    }
    if (question) text += '?';
  }
  if (bg_style == 2) text += ". " + bg;
  if (c.chance(0.3) && text.back() != '?') text += ".";
  return text;
}

// Tidies punctuation left by optional parts: ",," and ", ." and leading/trailing commas.
std::string tidy(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == ',' && !out.empty() && out.back() == ',') continue;
    if ((ch == '.' || ch == ',' || ch == ';' || ch == ':' || ch == '?') && !out.empty() &&
        out.back() == ',')
      out.pop_back();
    if (ch == ' ' && !out.empty() && out.back() == ' ') continue;
    out += ch;
  }
  while (!out.empty() && (out.back() == ',' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string caption(const SceneSpec& spec_in, Rng& rng) {
  // Specs built by hand may lack mentions: missing ones read as the defaults.
  SceneSpec spec = spec_in;
  spec.mention.resize(spec.scene.objects.size());
  std::string text;
  for (int attempt = 0; attempt < 4; ++attempt) {
    Chooser c{&rng, attempt == 3};
    text = tidy(compose(spec, c));
    if (int(tokenize_words(text).size()) <= kMaxCaptionWords) break;
  }
  return text;
}

}  // namespace pictor::world
