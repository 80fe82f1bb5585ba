#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace pictor::world {
namespace {

double rgb_distance(std::array<uint8_t, 3> a, std::array<uint8_t, 3> b) {
  double s = 0;
  for (int k = 0; k < 3; ++k) s += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
  return std::sqrt(s);
}

// Writes a binary PPM when PICTOR_WORLD_DUMP names a folder (for looking at pictures by eye).
void maybe_dump(const Image& img, const std::string& name) {
  const char* dir = std::getenv("PICTOR_WORLD_DUMP");
  if (!dir) return;
  std::string path = std::string(dir) + "/" + name + ".ppm";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  std::fprintf(f, "P6\n%d %d\n255\n", img.width, img.height);
  std::fwrite(img.pixels.data(), 1, img.pixels.size(), f);
  std::fclose(f);
}

TEST(WorldColours, ObjectColoursFarApartAndFarFromBackgrounds) {
  for (int i = 0; i < kNumColours; ++i) {
    for (int j = 0; j < i; ++j)
      EXPECT_GE(rgb_distance(colour_rgb(Colour(i)), colour_rgb(Colour(j))), 90.0)
          << colour_name(Colour(i)) << " vs " << colour_name(Colour(j));
    for (int b = 0; b < kNumBackgroundColours; ++b)
      EXPECT_GE(rgb_distance(colour_rgb(Colour(i)), background_rgb(BackgroundColour(b))), 120.0)
          << colour_name(Colour(i)) << " vs " << background_colour_name(BackgroundColour(b));
  }
  for (int i = 0; i < kNumBackgroundColours; ++i)
    for (int j = 0; j < i; ++j)
      EXPECT_GE(
          rgb_distance(background_rgb(BackgroundColour(i)), background_rgb(BackgroundColour(j))),
          35.0);
}

TEST(WorldSampler, DeterministicAndValid) {
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Rng a(seed), b(seed);
    Scene s = sample_scene(a), t = sample_scene(b);
    ASSERT_EQ(s.background, t.background);
    ASSERT_EQ(s.objects, t.objects);
    ASSERT_GE(s.objects.size(), 1u);
    ASSERT_LE(s.objects.size(), 4u);
    EXPECT_TRUE(valid_layout(s)) << "seed " << seed;
    if (s.background.gradient != GradientDirection::kNone) {
      EXPECT_NE(s.background.from, s.background.to);
    }
    for (const auto& o : s.objects) {
      if (o.shape == Shape::kGlyph) {
        EXPECT_NE(o.size, Size::kSmall);
        EXPECT_TRUE((o.glyph >= '0' && o.glyph <= '9') || (o.glyph >= 'A' && o.glyph <= 'Z'));
      } else {
        EXPECT_EQ(o.glyph, 0);
      }
    }
  }
}

TEST(WorldSampler, CoversCountsGroupsAndGlyphs) {
  Rng rng(7);
  std::set<size_t> counts;
  int groups = 0, glyphs = 0, gradients = 0, four_large = 0;
  for (int i = 0; i < 3000; ++i) {
    Scene s = sample_scene(rng);
    counts.insert(s.objects.size());
    gradients += s.background.gradient != GradientDirection::kNone;
    int large = 0;
    for (size_t a = 0; a < s.objects.size(); ++a) {
      glyphs += s.objects[a].shape == Shape::kGlyph;
      large += s.objects[a].size == Size::kLarge;
      for (size_t b = 0; b < a; ++b)
        groups += s.objects[a].shape == s.objects[b].shape &&
                  s.objects[a].colour == s.objects[b].colour &&
                  s.objects[a].glyph == s.objects[b].glyph;
    }
    four_large += large == 4;
  }
  EXPECT_EQ(counts.size(), 4u);
  EXPECT_GT(groups, 300);
  EXPECT_GT(glyphs, 300);
  EXPECT_GT(gradients, 600);
  std::printf("scenes with four large objects: %d / 3000\n", four_large);
}

TEST(WorldSampler, HeldOutPairs) {
  SamplerOptions train;
  train.exclude_held_out = true;
  SamplerOptions eval;
  eval.only_held_out = true;
  Rng rng(11);
  for (int i = 0; i < 5000; ++i) {
    for (const auto& o : sample_scene(rng, train).objects) ASSERT_FALSE(is_held_out(o));
    Scene e = sample_scene(rng, eval);
    int held = 0;
    for (const auto& o : e.objects) held += is_held_out(o);
    ASSERT_GE(held, 1);
    EXPECT_TRUE(valid_layout(e));
  }
  // Without options, held-out pairs do occur.
  int seen = 0;
  for (int i = 0; i < 2000; ++i)
    for (const auto& o : sample_scene(rng).objects) seen += is_held_out(o);
  EXPECT_GT(seen, 20);
}

TEST(WorldRenderer, DrawsObjectsInsideTheImageAndKeepsBackground) {
  Scene s;
  s.background.from = s.background.to = BackgroundColour::kLightBlue;
  s.objects.push_back(Object{Shape::kSquare, 0, Colour::kRed, Size::kLarge, 0.5f, 0.5f});
  Image img = render(s, 64, 64);
  ASSERT_EQ(img.width, 64);
  auto bg = background_rgb(BackgroundColour::kLightBlue);
  auto red = colour_rgb(Colour::kRed);
  EXPECT_EQ(img.at(0, 0)[0], bg[0]);
  EXPECT_EQ(img.at(32, 32)[0], red[0]);
  EXPECT_EQ(img.at(32, 32)[1], red[1]);
  // Gradient ends.
  Scene g;
  g.background = {BackgroundColour::kWhite, BackgroundColour::kLavender,
                  GradientDirection::kVertical};
  Image gi = render(g, 64, 64);
  EXPECT_GT(gi.at(5, 0)[1], gi.at(5, 63)[1]);
  EXPECT_EQ(gi.at(0, 10)[1], gi.at(63, 10)[1]);
}

TEST(WorldRenderer, DumpGallery) {
  // Every shape and glyph in each size, for a look by eye (PICTOR_WORLD_DUMP=/tmp/dir).
  if (!std::getenv("PICTOR_WORLD_DUMP")) GTEST_SKIP() << "set PICTOR_WORLD_DUMP to write pictures";
  Image sheet(64 * 8, 64 * 6, 3);
  Rng rng(3);
  for (int i = 0; i < 48; ++i) {
    Scene s = sample_scene(rng);
    Image img = render(s, 64, 64);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        for (int k = 0; k < 3; ++k)
          sheet.at((i % 8) * 64 + x, (i / 8) * 64 + y)[k] = img.at(x, y)[k];
  }
  maybe_dump(sheet, "scenes");
  Image shapes(64 * 11, 64 * 4, 3);
  for (int i = 0; i < 44; ++i) {
    Scene s;
    s.background.from = s.background.to = BackgroundColour::kWhite;
    Object o;
    o.colour = Colour(i % kNumColours);
    if (i < 8) {
      o.shape = Shape(i);
    } else {
      o.shape = Shape::kGlyph;
      o.glyph = glyph_chars()[i - 8];
    }
    for (int z = 0; z < 3; ++z) {
      o.size = Size(z);
      o.cx = (z == 0 ? 0.15f : z == 1 ? 0.4f : 0.75f);
      o.cy = 0.5f;
      s.objects.push_back(o);
    }
    Image img = render(s, 64, 64);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        for (int k = 0; k < 3; ++k)
          shapes.at((i % 11) * 64 + x, (i / 11) * 64 + y)[k] = img.at(x, y)[k];
  }
  maybe_dump(shapes, "shapes");
}

TEST(WorldRenderer, Speed) {
#ifdef PICTOR_SANITIZE
  GTEST_SKIP() << "no speed floor under ASan + UBSan (scripts/sanitize.sh)";
#endif
  Rng rng(5);
  std::vector<Scene> scenes;
  for (int i = 0; i < 500; ++i) scenes.push_back(sample_scene(rng));
  auto t0 = std::chrono::steady_clock::now();
  size_t checksum = 0;
  int n = 0;
  for (int rep = 0; rep < 10; ++rep)
    for (const auto& s : scenes) {
      checksum += render(s, 64, 64).pixels[100];
      ++n;
    }
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("render 64x64: %.0f scenes/s (single thread, checksum %zu)\n", n / sec, checksum);
  EXPECT_GT(n / sec, 2000.0);
}

}  // namespace
}  // namespace pictor::world
