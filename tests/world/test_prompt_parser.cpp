// parse_prompt(): round trips through the world's own caption generator (the parsed spec must
// state the generator's facts and hold on the scene the caption was made from), hand-written
// prompts, bad input, unknown words; check_facts() / check_prompt() fact by fact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "world/captions.h"
#include "world/detector.h"
#include "world/facts.h"
#include "world/prompt_check.h"
#include "world/prompt_lexicon.h"
#include "world/prompt_parser.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace pictor::world {
namespace {

ParsedPrompt parse_ok(const std::string& text) {
  auto r = parse_prompt(text);
  EXPECT_TRUE(r.is_ok()) << text << ": " << r.status().message();
  return r.is_ok() ? *r : ParsedPrompt{};
}

using Key = std::tuple<int, char, int, int, int>;
Key key_of(const SceneSpec& s, size_t i) {
  const Object& o = s.scene.objects[i];
  const ObjectMention m = i < s.mention.size() ? s.mention[i] : ObjectMention{};
  return {int(o.shape), o.glyph, m.colour ? int(o.colour) : -1, m.size ? int(o.size) : -1,
          m.region ? int(region_of(o)) : -1};
}

// Relations as a set, each said one way round (left of, above), objects renamed by `map`.
std::set<std::tuple<int, int, int>> relation_set(const SceneSpec& s, const std::vector<int>& map) {
  std::set<std::tuple<int, int, int>> out;
  for (const auto& f : s.relations) {
    int a = map[size_t(f.a)], b = map[size_t(f.b)];
    Relation r = f.relation;
    if (r == Relation::kRightOf || r == Relation::kBelow) std::swap(a, b), r = inverse(r);
    out.insert({a, b, int(r)});
  }
  return out;
}

// Whether two specs state the same facts: count, background, the multiset of stated objects,
// and the relations under some matching of the objects. `why` names the first difference.
bool same_facts(const SceneSpec& got, const SceneSpec& want, std::string& why) {
  if (got.mention_count != want.mention_count) return why = "count", false;
  if (got.mention_background != want.mention_background ||
      (want.mention_background && !(got.scene.background == want.scene.background)))
    return why = "background", false;
  const size_t n = want.scene.objects.size();
  if (got.scene.objects.size() != n) return why = "objects", false;
  std::vector<int> perm(n), identity(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::iota(identity.begin(), identity.end(), 0);
  const auto want_relations = relation_set(want, identity);
  bool objects_match = false;
  do {  // perm[i]: the wanted object that parsed object i stands for
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) ok = key_of(got, i) == key_of(want, size_t(perm[i]));
    if (!ok) continue;
    objects_match = true;
    if (relation_set(got, perm) == want_relations) return true;
  } while (std::next_permutation(perm.begin(), perm.end()));
  why = objects_match ? "relations" : "objects";
  return false;
}

// Coarse template features of a caption, to show which wordings fail most.
std::vector<std::string> template_tags(const std::string& text) {
  std::vector<std::string> tags;
  const auto w = tokenize_words(text);
  tags.push_back("starts:" + (w.empty() ? std::string() : w[0]));
  const std::string t = " " + text + " ";
  auto has = [&](const char* s) { return t.find(s) != std::string::npos; };
  for (const char* p : {": ", "exactly ", "nothing else", " in total", " in all", "altogether",
                        "namely", " only ", " just ", " copies of ", " times", " twice", "letter ",
                        "capital ", "number ", "digit ", "numeral ", " in red", " has ", " with ",
                        " its ", " it ", "gradient", " fades ", "backdrop", "background is",
                        "there is", "there are", "?", " one ", " left of ", " right of ", " above ",
                        " over ", " higher than ", " below ", " under ", " beneath ",
                        " underneath ", " lower than ", " corner", " middle", " centre", " center",
                        " side", " near "})
    if (has(p)) tags.push_back(std::string("has:") + p);
  return tags;
}

struct Tally {
  int n = 0, bad = 0;
};

TEST(WorldPromptParser, RoundTripsTheCaptionGenerator) {
  int total = 0, in_world = 0, facts_same = 0, holds_scene = 0, holds_image = 0, images = 0;
  int self_consistent = 0;
  std::map<std::string, Tally> by_tag;
  std::map<std::string, int> by_reason;
  std::vector<std::string> examples;
  // Several seeds and sampler settings: plenty of glyphs, groups, gradients and relations.
  for (uint64_t seed : {11u, 22u, 33u, 44u, 55u, 66u}) {
    Rng rng(seed);
    SamplerOptions opt;
    opt.glyph_probability = seed % 2 ? 0.2 : 0.45;
    opt.group_probability = seed % 3 ? 0.25 : 0.5;
    for (int i = 0; i < 1000; ++i, ++total) {
      const Scene scene = sample_scene(rng, opt);
      const SceneSpec spec = make_spec(scene, rng);
      const std::string text = caption(spec, rng);
      const ParsedPrompt p = parse_ok(text);
      in_world += p.in_world;
      std::string why;
      const bool same = same_facts(p.spec, spec, why);
      facts_same += same;
      const bool holds = check_spec(scene, p.spec).passed;
      holds_scene += holds;
      self_consistent += check_spec(p.spec.scene, p.spec).passed;
      if (i < 100) {  // through pixels: render, detect, check
        ++images;
        holds_image += check_spec(detect(render(scene, 64, 64)), p.spec).passed;
      }
      const bool bad = !same || !holds || !p.in_world;
      for (const auto& tag : template_tags(text)) {
        ++by_tag[tag].n;
        by_tag[tag].bad += bad;
      }
      if (bad) {
        ++by_reason[!p.in_world ? "not in world" : (!same ? why : "check")];
        if (examples.size() < 15) {
          std::string unknown;
          for (const auto& u : p.unknown_words) unknown += " " + u;
          for (const auto& u : p.warnings) unknown += " [" + u + "]";
          examples.push_back(text + "  → " + (same ? "" : why) + (holds ? "" : " fails-check") +
                             (unknown.empty() ? "" : " unknown:" + unknown));
        }
      }
    }
  }
  auto pct = [&](int k, int n) { return 100.0 * k / n; };
  std::printf("captions: %d\n  in world: %.2f %%\n  same facts as the generator: %.2f %%\n"
              "  check_spec(sampled scene, parsed spec): %.2f %%\n"
              "  check_spec(detect(render), parsed spec): %.2f %% of %d\n"
              "  parsed spec's own scene satisfies it: %.2f %%\n",
              total, pct(in_world, total), pct(facts_same, total), pct(holds_scene, total),
              pct(holds_image, images), images, pct(self_consistent, total));
  for (const auto& [reason, n] : by_reason) std::printf("  failing (%s): %d\n", reason.c_str(), n);
  std::vector<std::pair<double, std::string>> worst;
  for (const auto& [tag, t] : by_tag)
    if (t.n >= 20) worst.push_back({double(t.bad) / t.n, tag});
  std::sort(worst.rbegin(), worst.rend());
  std::printf("worst template features (failure rate, n):\n");
  for (size_t i = 0; i < worst.size() && i < 10; ++i)
    std::printf("  %6.2f %%  %-22s n=%d\n", 100 * worst[i].first, worst[i].second.c_str(),
                by_tag[worst[i].second].n);
  for (const auto& e : examples) std::printf("  FAIL %s\n", e.c_str());

  EXPECT_GE(total, 5000);
  EXPECT_GE(pct(facts_same, total), 95.0);
  EXPECT_GE(pct(holds_scene, total), 98.0);
  EXPECT_GE(pct(holds_image, images), 98.0);
  EXPECT_GE(pct(in_world, total), 98.0);
  EXPECT_GE(pct(self_consistent, total), 98.0);
}

TEST(WorldPromptParser, ReadmePrompt) {
  const ParsedPrompt p = parse_ok("two red circles above a blue square");
  EXPECT_TRUE(p.in_world);
  EXPECT_TRUE(p.unknown_words.empty());
  const auto& objs = p.spec.scene.objects;
  ASSERT_EQ(objs.size(), 3u);
  int circles = 0, squares = 0;
  for (size_t i = 0; i < objs.size(); ++i) {
    EXPECT_TRUE(p.spec.mention[i].colour);
    if (objs[i].shape == Shape::kCircle && objs[i].colour == Colour::kRed) ++circles;
    if (objs[i].shape == Shape::kSquare && objs[i].colour == Colour::kBlue) ++squares;
  }
  EXPECT_EQ(circles, 2);
  EXPECT_EQ(squares, 1);
  ASSERT_EQ(p.spec.relations.size(), 2u);  // each circle above the square
  for (const auto& f : p.spec.relations) {
    EXPECT_EQ(f.relation, Relation::kAbove);
    EXPECT_EQ(objs[size_t(f.a)].shape, Shape::kCircle);
    EXPECT_EQ(objs[size_t(f.b)].shape, Shape::kSquare);
  }
  EXPECT_FALSE(p.spec.mention_count);
  EXPECT_FALSE(p.spec.mention_background);
  EXPECT_TRUE(check_spec(p.spec.scene, p.spec).passed);
}

TEST(WorldPromptParser, HandWrittenPrompts) {
  struct Case {
    const char* text;
    size_t objects;
    size_t relations;
    bool count, background;
  };
  for (const Case& c : std::vector<Case>{
           {"A red circle to the left of a blue square", 2, 1, false, false},
           {"the number 7 in blue", 1, 0, false, false},
           {"the letter A", 1, 0, false, false},
           {"a green 3 on top of a yellow heart, on a light blue background", 2, 1, false, true},
           {"three small black stars and nothing else", 3, 0, true, false},
           {"a big pink donut in the top left corner", 1, 0, false, false},
           {"a purple cross; the cross is below the letter Q in red", 2, 1, false, false},
           {"exactly 2 shapes: a grey box and an orange rhombus", 2, 0, true, false},
           {"a brown ring on a vertical gradient from white to lavender", 1, 0, false, true},
           {"a blue square with two cyan triangles above it", 3, 2, false, false},
       }) {
    const ParsedPrompt p = parse_ok(c.text);
    EXPECT_TRUE(p.in_world) << c.text;
    EXPECT_EQ(p.spec.scene.objects.size(), c.objects) << c.text;
    EXPECT_EQ(p.spec.relations.size(), c.relations) << c.text;
    EXPECT_EQ(p.spec.mention_count, c.count) << c.text;
    EXPECT_EQ(p.spec.mention_background, c.background) << c.text;
    EXPECT_TRUE(check_spec(p.spec.scene, p.spec).passed) << c.text;
  }
  const ParsedPrompt seven = parse_ok("the number 7 in blue");
  ASSERT_EQ(seven.spec.scene.objects.size(), 1u);
  EXPECT_EQ(seven.spec.scene.objects[0].shape, Shape::kGlyph);
  EXPECT_EQ(seven.spec.scene.objects[0].glyph, '7');
  EXPECT_EQ(seven.spec.scene.objects[0].colour, Colour::kBlue);
  const ParsedPrompt a = parse_ok("the letter A");
  ASSERT_EQ(a.spec.scene.objects.size(), 1u);
  EXPECT_EQ(a.spec.scene.objects[0].glyph, 'A');
  EXPECT_FALSE(a.spec.mention[0].colour);
  const ParsedPrompt donut = parse_ok("a big pink donut in the top left corner");
  ASSERT_EQ(donut.spec.scene.objects.size(), 1u);
  EXPECT_TRUE(donut.spec.mention[0].region);
  EXPECT_EQ(region_of(donut.spec.scene.objects[0]), Region::kTopLeft);
  EXPECT_EQ(donut.spec.scene.objects[0].size, Size::kLarge);
  const ParsedPrompt bg = parse_ok("the background fades from cream on the left to light gray on the right");
  EXPECT_TRUE(bg.spec.mention_background);
  EXPECT_EQ(bg.spec.scene.background,
            (Background{BackgroundColour::kCream, BackgroundColour::kLightGrey, GradientDirection::kHorizontal}));
  EXPECT_TRUE(bg.in_world);  // a background alone is a fact
}

TEST(WorldPromptParser, BadInputIsInvalidArgument) {
  for (const std::string& bad :
       {std::string(), std::string("   \t\n"), std::string("a red \xff circle"),
        std::string("a red \xc3"), std::string("\xed\xa0\x80 star"), std::string(1001, 'a')}) {
    auto r = parse_prompt(bad);
    ASSERT_FALSE(r.is_ok()) << bad.size();
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(parse_prompt(std::string(1000, 'a')).is_ok());
  EXPECT_TRUE(parse_prompt("a red caf\xc3\xa9 circle").is_ok());  // UTF-8 is fine, just unknown
}

TEST(WorldPromptParser, OutsideTheWorldListsUnknownWords) {
  const ParsedPrompt zebra = parse_ok("a red zebra circle");
  EXPECT_FALSE(zebra.in_world);
  EXPECT_EQ(zebra.unknown_words, std::vector<std::string>{"zebra"});
  ASSERT_EQ(zebra.spec.scene.objects.size(), 1u);  // what was understood still counts
  EXPECT_EQ(zebra.spec.scene.objects[0].shape, Shape::kCircle);

  const ParsedPrompt cat = parse_ok("a photo of a cat sleeping on a sofa");
  EXPECT_FALSE(cat.in_world);
  for (const char* w : {"photo", "cat", "sleeping", "sofa"})
    EXPECT_NE(std::find(cat.unknown_words.begin(), cat.unknown_words.end(), w),
              cat.unknown_words.end())
        << w;
  EXPECT_TRUE(cat.spec.scene.objects.empty());

  const ParsedPrompt white = parse_ok("a white circle on a red background");
  EXPECT_FALSE(white.in_world);  // white is a background colour, red an object colour
  EXPECT_EQ(white.unknown_words, (std::vector<std::string>{"white", "red"}));

  const ParsedPrompt five = parse_ok("five blue stars");
  EXPECT_FALSE(five.in_world);
  EXPECT_FALSE(five.warnings.empty());

  const ParsedPrompt nothing = parse_ok("please draw");
  EXPECT_FALSE(nothing.in_world);  // no fact stated
  EXPECT_TRUE(nothing.unknown_words.empty());
}

// in_world means pictor-mini knows every word: glue words the parser skips are vocabulary words.
TEST(WorldPromptParser, SkippedWordsAreVocabularyWords) {
  const auto v = vocabulary();
  const std::set<std::string> vocab(v.begin(), v.end());
  EXPECT_GE(lexicon::filler_words().size(), 40u);
  for (const auto& w : lexicon::filler_words()) {
    EXPECT_TRUE(lexicon::is_filler(w)) << w;
    EXPECT_TRUE(vocab.count(w)) << w;
  }
  EXPECT_FALSE(lexicon::is_filler("zebra"));
  EXPECT_FALSE(lexicon::is_filler("red"));
}

Scene scene_of(std::vector<Object> objects) {
  Scene s;
  s.objects = std::move(objects);
  return s;
}

TEST(WorldPromptCheck, FactByFactOnRenderedPictures) {
  Object c1{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.2f, 0.25f};
  Object c2{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.8f, 0.25f};
  Object sq{Shape::kSquare, 0, Colour::kBlue, Size::kMedium, 0.5f, 0.75f};
  const Image good = render(scene_of({c1, c2, sq}), 64, 64);
  auto r = check_prompt(good, "two red circles above a blue square");
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->all_hold);
  EXPECT_EQ(r->facts_total, 3);
  EXPECT_EQ(r->facts_held, 3);
  EXPECT_DOUBLE_EQ(r->score, 1.0);
  EXPECT_EQ(r->facts[0].text, "2 red circles");
  EXPECT_EQ(r->facts[1].text, "1 blue square");
  EXPECT_EQ(r->facts[2].text, "the red circles above the blue square");

  // Circles to the left of the square, level with it: the relation fails, the objects hold.
  c1.cx = 0.15f, c1.cy = 0.25f, c2.cx = 0.15f, c2.cy = 0.75f, sq.cx = 0.75f, sq.cy = 0.5f;
  auto bad = check_prompt(render(scene_of({c1, c2, sq}), 64, 64), "two red circles above a blue square");
  ASSERT_TRUE(bad.is_ok());
  EXPECT_FALSE(bad->all_hold);
  EXPECT_EQ(bad->facts_held, 2);
  EXPECT_NEAR(bad->score, 2.0 / 3, 1e-9);
  EXPECT_FALSE(bad->facts[2].holds);
  EXPECT_EQ(bad->facts[2].why, "the circles are left of it");

  auto counted = check_prompt(good, "exactly two shapes: two red circles, on a cream backdrop");
  ASSERT_TRUE(counted.is_ok());
  ASSERT_EQ(counted->facts_total, 3);
  EXPECT_TRUE(counted->facts[0].holds);
  EXPECT_FALSE(counted->facts[1].holds);  // 3 objects, not 2
  EXPECT_EQ(counted->facts[1].why, "found 3");
  EXPECT_FALSE(counted->facts[2].holds);
  EXPECT_EQ(counted->facts[2].why, "the background is white");

  auto missing = check_prompt(good, "a green star");
  ASSERT_TRUE(missing.is_ok());
  EXPECT_EQ(missing->facts_held, 0);
  EXPECT_EQ(missing->facts[0].why, "found none");
  EXPECT_FALSE(check_prompt(good, "").is_ok());
}

// The auto-judge's ranking signal agrees with the generator: a scene's own caption scores 1,
// another scene's caption usually less.
TEST(WorldPromptCheck, OwnCaptionScoresFullOthersLess) {
  Rng rng(777);
  int own_full = 0, other_lower = 0, n = 200;
  Scene prev = sample_scene(rng);
  for (int i = 0; i < n; ++i) {
    const Scene s = sample_scene(rng);
    const std::string text = caption(make_spec(s, rng), rng);
    const ParsedPrompt p = parse_ok(text);
    const Image img = render(s, 64, 64);
    const PromptCheck own = check_prompt(img, p);
    own_full += own.all_hold && own.score == 1.0;
    other_lower += check_prompt(render(prev, 64, 64), p).score < 1.0;
    prev = s;
  }
  std::printf("own caption full score: %d/%d, another scene's caption below 1: %d/%d\n", own_full,
              n, other_lower, n);
  EXPECT_GE(own_full, n * 98 / 100);
  EXPECT_GE(other_lower, n * 90 / 100);
}

}  // namespace
}  // namespace pictor::world
