// Edit data (world/edits.h): invariants over 2,000 sampled edits of every kind, measured with the
// renderer and the detector. Prints the measured rates (docs/world.md, "Edits").
#include "world/edits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "world/captions.h"
#include "world/detector.h"
#include "world/edit_phrases.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace pictor::world {
namespace {

constexpr int kSamples = 2000;
constexpr int kSize = 64;

const std::vector<EditExample>& samples() {
  static const std::vector<EditExample> v = [] {
    std::vector<EditExample> out;
    for (int i = 0; i < kSamples; ++i) {
      Rng rng(90000 + uint64_t(i));
      out.push_back(sample_edit(rng));
    }
    return out;
  }();
  return v;
}

bool same_example(const EditExample& a, const EditExample& b) {
  return a.kind == b.kind && a.instruction == b.instruction && a.changed_box == b.changed_box &&
         a.has_mask == b.has_mask && a.strength == b.strength &&
         a.before.objects == b.before.objects && a.after.objects == b.after.objects &&
         a.before.background == b.before.background && a.after.background == b.after.background;
}

bool whole_image_kind(EditKind k) {
  return k == EditKind::kChangeBackground || k == EditKind::kImageToImage;
}

TEST(WorldEdits, KindNames) {
  const char* const want[kNumEditKinds] = {"recolour", "move",       "add",   "remove",  "replace",
                                           "count",    "background", "glyph", "inpaint", "img2img"};
  for (int k = 0; k < kNumEditKinds; ++k) EXPECT_STREQ(edit_kind_name(EditKind(k)), want[k]);
}

TEST(WorldEdits, DeterministicPerSeed) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng a(seed), b(seed);
    EXPECT_TRUE(same_example(sample_edit(a), sample_edit(b))) << seed;
    Rng c(seed, 1), d(seed, 1);
    const EditKind k = EditKind(seed % kNumEditKinds);
    EXPECT_TRUE(same_example(sample_edit(c, k), sample_edit(d, k))) << seed;
  }
}

TEST(WorldEdits, EveryKindProduced) {
  std::map<EditKind, int> count;
  for (const auto& e : samples()) ++count[e.kind];
  std::printf("edits per kind (of %d):", kSamples);
  for (int k = 0; k < kNumEditKinds; ++k) {
    std::printf(" %s %d", edit_kind_name(EditKind(k)), count[EditKind(k)]);
    EXPECT_GE(count[EditKind(k)], kSamples / kNumEditKinds / 2) << edit_kind_name(EditKind(k));
  }
  std::printf("\n");
  // Each kind on request.
  for (int k = 0; k < kNumEditKinds; ++k) {
    Rng rng(5, uint64_t(k));
    EXPECT_EQ(sample_edit(rng, EditKind(k)).kind, EditKind(k));
  }
}

TEST(WorldEdits, InstructionsUseTheVocabulary) {
  const auto v = vocabulary();
  const std::set<std::string> vocab(v.begin(), v.end());
  size_t longest = 0;
  std::set<std::string> distinct;
  for (const auto& e : samples()) {
    const auto words = tokenize_words(e.instruction);
    ASSERT_FALSE(words.empty());
    for (const auto& w : words)
      EXPECT_TRUE(vocab.count(w)) << "'" << w << "' in: " << e.instruction;
    longest = std::max(longest, words.size());
    EXPECT_LE(int(words.size()), kMaxCaptionWords) << e.instruction;
    distinct.insert(e.instruction);
  }
  std::printf("instructions: %zu of %d distinct, longest %zu words\n", distinct.size(), kSamples,
              longest);
}

TEST(WorldEdits, FieldsAndLayouts) {
  for (const auto& e : samples()) {
    EXPECT_TRUE(valid_layout(e.before));
    EXPECT_TRUE(valid_layout(e.after)) << e.instruction;
    EXPECT_GE(e.after.objects.size(), 1u);
    EXPECT_LE(e.after.objects.size(), 4u);
    EXPECT_EQ(e.has_mask, e.kind == EditKind::kInpaint);
    if (e.kind == EditKind::kImageToImage) {
      EXPECT_GE(e.strength, 0.4);
      EXPECT_LE(e.strength, 0.9);
      // Image-to-image keeps the layout.
      ASSERT_EQ(e.before.objects.size(), e.after.objects.size());
      for (size_t i = 0; i < e.before.objects.size(); ++i) {
        EXPECT_EQ(e.before.objects[i].cx, e.after.objects[i].cx);
        EXPECT_EQ(e.before.objects[i].cy, e.after.objects[i].cy);
        EXPECT_EQ(e.before.objects[i].size, e.after.objects[i].size);
      }
    } else {
      EXPECT_EQ(e.strength, -1);
    }
    const auto& b = e.changed_box;
    EXPECT_TRUE(b[0] >= 0 && b[1] >= 0 && b[2] <= 1 && b[3] <= 1 && b[0] < b[2] && b[1] < b[3]);
    if (whole_image_kind(e.kind)) {
      EXPECT_EQ(b, (std::array<float, 4>{0, 0, 1, 1}));
    }
    if (e.kind == EditKind::kInpaint) {
      // The mask never reaches an untouched object's square.
      for (const auto& o : e.after.objects) {
        if (std::find(e.before.objects.begin(), e.before.objects.end(), o) ==
            e.before.objects.end())
          continue;
        const float r = size_radius(o.size);
        EXPECT_FALSE(b[0] < o.cx + r && o.cx - r < b[2] && b[1] < o.cy + r && o.cy - r < b[3])
            << e.instruction;
      }
    }
    if (e.kind == EditKind::kRemove) {
      EXPECT_EQ(e.after.objects.size() + 1, e.before.objects.size());
    }
    if (e.kind == EditKind::kAdd) {
      EXPECT_EQ(e.after.objects.size(), e.before.objects.size() + 1);
    }
  }
}

// Pixels outside the box are identical in the before and after renders; the edit changes some.
TEST(WorldEdits, UnchangedOutsideTheBox) {
  struct Size2 {
    int w, h;
    int n;
  };
  for (Size2 sz : {Size2{kSize, kSize, kSamples}, Size2{96, 64, 300}, Size2{48, 48, 300},
                   Size2{64, 128, 300}}) {
    int outside_diff = 0, unchanged = 0, boxes_smaller = 0;
    for (int i = 0; i < sz.n; ++i) {
      const auto& e = samples()[size_t(i)];
      const Image a = render(e.before, sz.w, sz.h), b = render(e.after, sz.w, sz.h);
      const Image m = box_mask(e.changed_box, sz.w, sz.h);
      int diff_out = 0, diff_in = 0;
      for (int y = 0; y < sz.h; ++y)
        for (int x = 0; x < sz.w; ++x) {
          const bool differs = !std::equal(a.at(x, y), a.at(x, y) + 3, b.at(x, y));
          if (!differs) continue;
          (*m.at(x, y) ? diff_in : diff_out)++;
        }
      if (diff_out > 0) {
        ++outside_diff;
        ADD_FAILURE() << sz.w << "x" << sz.h << " " << edit_kind_name(e.kind) << ": " << diff_out
                      << " pixels differ outside the box: " << e.instruction;
      }
      if (diff_in == 0) ++unchanged;
      if (!whole_image_kind(e.kind)) ++boxes_smaller;
    }
    std::printf(
        "%dx%d: %d/%d edits change pixels outside the box; %d leave the picture "
        "unchanged\n",
        sz.w, sz.h, outside_diff, sz.n, unchanged);
    EXPECT_EQ(unchanged, 0);
  }
}

// The headline figures: check_spec on the detected after/before renders, and preservation.
TEST(WorldEdits, DetectorSeesTheEdit) {
  struct Tally {
    int n = 0, after_pass = 0, before_fail = 0, preserved = 0;
  };
  std::map<EditKind, Tally> by_kind;
  Tally all, visible;  // visible: the 8 kinds whose edit must fail on the before picture
  int shown = 0;
  for (const auto& e : samples()) {
    const Scene da = detect(render(e.after, kSize, kSize));
    const Scene db = detect(render(e.before, kSize, kSize));
    const SpecCheck ca = check_spec(da, e.after_spec);
    const bool bf = !check_spec(db, e.after_spec).passed;
    const PreservationCheck pc = check_preserved(e, da);
    for (Tally* t : {&by_kind[e.kind], &all}) {
      ++t->n;
      t->after_pass += ca.passed;
      t->before_fail += bf;
      t->preserved += pc.passed;
    }
    if (e.kind != EditKind::kInpaint && e.kind != EditKind::kImageToImage) {
      ++visible.n;
      visible.before_fail += bf;
    }
    if ((!ca.passed || !pc.passed) && shown++ < 10) {
      std::printf("  failed [%s] %s:", edit_kind_name(e.kind), e.instruction.c_str());
      for (const auto& f : ca.failures) std::printf(" {%s}", f.c_str());
      for (const auto& f : pc.failures) std::printf(" {%s}", f.c_str());
      std::printf("\n");
    }
  }
  std::printf("%-11s %5s %12s %12s %12s\n", "kind", "n", "after pass", "before fail", "preserved");
  for (int k = 0; k < kNumEditKinds; ++k) {
    const Tally& t = by_kind[EditKind(k)];
    std::printf("%-11s %5d %11.2f%% %11.2f%% %11.2f%%\n", edit_kind_name(EditKind(k)), t.n,
                100.0 * t.after_pass / std::max(1, t.n), 100.0 * t.before_fail / std::max(1, t.n),
                100.0 * t.preserved / std::max(1, t.n));
  }
  std::printf(
      "all %d: after passes %.2f%%, preserved %.2f%%; before fails %.2f%% of the %d "
      "recolour/move/add/remove/replace/count/background/glyph edits\n",
      all.n, 100.0 * all.after_pass / all.n, 100.0 * all.preserved / all.n,
      100.0 * visible.before_fail / visible.n, visible.n);
  EXPECT_GE(all.after_pass, 0.99 * all.n);
  EXPECT_GE(all.preserved, 0.99 * all.n);
  EXPECT_GE(visible.before_fail, 0.95 * visible.n);
  for (int k = 0; k < kNumEditKinds; ++k) {
    const Tally& t = by_kind[EditKind(k)];
    EXPECT_GE(t.after_pass, 0.97 * t.n) << edit_kind_name(EditKind(k));
  }
}

TEST(WorldEdits, HeldOutPairs) {
  int only_created = 0;
  for (int i = 0; i < 600; ++i) {
    Rng rng(777, uint64_t(i));
    const EditKind k = EditKind(i % kNumEditKinds);
    const EditExample e = sample_edit(rng, k);  // default: exclude_held_out
    for (const Scene* s : {&e.before, &e.after})
      for (const auto& o : s->objects) EXPECT_FALSE(is_held_out(o)) << e.instruction;

    Rng r2(778, uint64_t(i));
    EditOptions only;
    only.only_held_out = true;
    const EditExample h = sample_edit(r2, k, only);
    bool any = false;
    for (const auto& o : h.after.objects) any |= is_held_out(o);
    EXPECT_TRUE(any) << edit_kind_name(k) << ": " << h.instruction;
    // Kinds that create content create the held-out pair, from a scene without one.
    if (k == EditKind::kRecolour || k == EditKind::kAdd || k == EditKind::kReplaceShape ||
        k == EditKind::kInpaint || k == EditKind::kImageToImage) {
      for (const auto& o : h.before.objects) EXPECT_FALSE(is_held_out(o)) << h.instruction;
      ++only_created;
    }

    Rng r3(779, uint64_t(i));
    EditOptions free;
    free.exclude_held_out = false;
    EXPECT_EQ(sample_edit(r3, k, free).kind, k);
  }
  EXPECT_EQ(only_created, 300);
  // Without exclusion, held-out pairs do occur.
  int seen = 0;
  EditOptions free;
  free.exclude_held_out = false;
  for (int i = 0; i < 400; ++i) {
    Rng rng(780, uint64_t(i));
    const EditExample e = sample_edit(rng, free);
    for (const auto& o : e.after.objects) seen += is_held_out(o);
  }
  EXPECT_GT(seen, 0);
}

TEST(WorldEdits, BoxMask) {
  const Image m = box_mask({0.25f, 0.5f, 0.75f, 1.0f}, 8, 4);
  ASSERT_EQ(m.channels, 1);
  ASSERT_EQ(m.width, 8);
  ASSERT_EQ(m.height, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) {
      const bool inside = x >= 2 && x <= 5 && y >= 2;
      EXPECT_EQ(*m.at(x, y), inside ? 255 : 0) << x << "," << y;
    }
  const Image all = box_mask({0, 0, 1, 1}, 5, 3);
  for (uint8_t v : all.pixels) EXPECT_EQ(v, 255);
}

// The preservation check notices an untouched object that moved, changed colour or vanished.
TEST(WorldEdits, PreservationCheckCatchesChanges) {
  int tried = 0, caught = 0;
  for (const auto& e : samples()) {
    if (tried >= 300) break;
    // An untouched object: in before and after alike.
    int u = -1;
    for (size_t j = 0; j < e.after.objects.size() && u < 0; ++j)
      for (const auto& o : e.before.objects)
        if (o == e.after.objects[j]) u = int(j);
    if (u < 0) continue;
    for (int variant = 0; variant < 3; ++variant) {
      Scene s = e.after;
      Object& o = s.objects[size_t(u)];
      if (variant == 0) s.objects.erase(s.objects.begin() + u);
      if (variant == 1) o.colour = Colour((int(o.colour) + 1) % kNumColours);
      if (variant == 2) {
        o.cx = o.cx > 0.5f ? o.cx - 0.08f : o.cx + 0.08f;
        if (!valid_layout(s)) continue;
      }
      ++tried;
      caught += !check_preserved(e, detect(render(s, kSize, kSize))).passed;
    }
  }
  std::printf("preservation check: %d/%d damaged pictures caught\n", caught, tried);
  EXPECT_GE(caught, tried * 99 / 100);
  EXPECT_GT(tried, 200);
}

// Referring expressions fit their object and no other.
TEST(WorldEdits, ReferencesAreUnambiguous) {
  using edit_phrases::Extreme;
  int refs = 0, positional = 0;
  for (int i = 0; i < 2000; ++i) {
    Rng rng(4242, uint64_t(i));
    SamplerOptions so;
    so.group_probability = 0.5;
    const Scene s = sample_scene(rng, so);
    for (size_t k = 0; k < s.objects.size(); ++k) {
      edit_phrases::RefPlan p;
      if (!edit_phrases::plan_ref(s, k, rng, p)) continue;
      ++refs;
      positional += p.extreme != Extreme::kNone;
      int fitting = 0;
      for (size_t j = 0; j < s.objects.size(); ++j) {
        const Object &a = s.objects[k], &b = s.objects[j];
        if (a.shape != b.shape || a.glyph != b.glyph) continue;
        if (p.colour && a.colour != b.colour) continue;
        if (p.size && a.size != b.size) continue;
        if (j != k && p.extreme != Extreme::kNone) {
          const float d = p.extreme == Extreme::kLeft    ? b.cx - a.cx
                          : p.extreme == Extreme::kRight ? a.cx - b.cx
                          : p.extreme == Extreme::kTop   ? b.cy - a.cy
                                                         : a.cy - b.cy;
          if (d >= edit_phrases::kExtremeMargin) continue;  // singled out by position
        }
        ++fitting;
      }
      EXPECT_EQ(fitting, 1);
    }
  }
  std::printf("references: %d planned, %d by position\n", refs, positional);
  EXPECT_GT(positional, 0);
}

// Several phrasings per kind: instructions with the object words masked out ("make the X X X").
TEST(WorldEdits, ManyPhrasingsPerKind) {
  std::set<std::string> content;
  for (const char* w :
       {"red",    "orange", "yellow",   "green",  "cyan",   "turquoise", "blue",      "purple",
        "violet", "pink",   "brown",    "black",  "grey",   "gray",      "white",     "cream",
        "beige",  "light",  "lavender", "small",  "little", "medium",    "sized",     "mid",
        "large",  "big",    "circle",   "disc",   "disk",   "square",    "box",       "triangle",
        "star",   "heart",  "ring",     "donut",  "hoop",   "diamond",   "rhombus",   "cross",
        "plus",   "sign",   "circles",  "discs",  "disks",  "squares",   "boxes",     "triangles",
        "stars",  "hearts", "rings",    "donuts", "hoops",  "diamonds",  "rhombuses", "crosses",
        "signs",  "one",    "two",      "three",  "four"})
    content.insert(w);
  std::map<EditKind, std::set<std::string>> skeletons;
  for (const auto& e : samples()) {
    if (e.kind == EditKind::kImageToImage) continue;  // captions: see test_captions
    std::string sk;
    for (const auto& w : tokenize_words(e.instruction)) {
      const bool masked = content.count(w) || (w.size() == 1 && std::isalnum(w[0]) && w != "a");
      const std::string t = masked ? "X" : w;
      if (t == "X" && sk.size() >= 1 && sk.back() == 'X') continue;
      sk += (sk.empty() ? "" : " ") + t;
    }
    skeletons[e.kind].insert(sk);
  }
  std::printf("distinct phrasings (object words masked):");
  for (const auto& [k, set] : skeletons) {
    std::printf(" %s %zu", edit_kind_name(k), set.size());
    EXPECT_GE(set.size(), 8u) << edit_kind_name(k);
  }
  std::printf("\n");
  // A few examples of each kind.
  std::map<EditKind, int> shown;
  for (const auto& e : samples())
    if (shown[e.kind]++ < 3)
      std::printf("  %-10s %s\n", edit_kind_name(e.kind), e.instruction.c_str());
}

}  // namespace
}  // namespace pictor::world
