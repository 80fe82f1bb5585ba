#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "world/captions.h"
#include "world/detector.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace pictor::world {
namespace {

std::string scene_text(const Scene& s) {
  std::string out = std::string(background_colour_name(s.background.from)) + "/" +
                    background_colour_name(s.background.to) + " g" +
                    std::to_string(int(s.background.gradient)) + ":";
  for (const auto& o : s.objects) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " [%s @%.3f,%.3f]", describe(o).c_str(), o.cx, o.cy);
    out += buf;
  }
  if (s.unrecognised) out += " +" + std::to_string(s.unrecognised) + " unrecognised";
  return out;
}

// Render -> detect on sampled scenes (mixed sizes, glyphs, gradients, groups) at 64x64.
TEST(WorldDetector, RoundTrip2000Scenes) {
  Rng rng(12345);
  SamplerOptions opt;
  opt.glyph_probability = 0.3;
  int exact = 0, total = 2000, shown = 0;
  double seconds = 0;
  for (int i = 0; i < total; ++i) {
    Scene s = sample_scene(rng, opt);
    Image img = render(s, 64, 64);
    auto t0 = std::chrono::steady_clock::now();
    Detection d = detect_detailed(img);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (same_scene(d.scene, s)) {
      ++exact;
    } else if (shown++ < 15) {
      std::printf("miss %d\n  want %s\n  got  %s\n", i, scene_text(s).c_str(),
                  scene_text(d.scene).c_str());
      for (const auto& c : d.components)
        std::printf("    comp %s iou %.3f second %.3f colour %.1f px %d ok %d\n",
                    describe(c.object).c_str(), c.iou, c.second_iou, c.colour_distance, c.pixels,
                    c.recognised);
    }
  }
  const double acc = double(exact) / total;
  std::printf("render->detect exact-scene accuracy at 64x64: %.2f%% (%d/%d), %.0f detections/s\n",
              100 * acc, exact, total, total / seconds);
  EXPECT_GE(acc, 0.99);
}

// Other resolutions: objects scale with min(width, height).
TEST(WorldDetector, RoundTripOtherSizes) {
  const int sizes[][2] = {{32, 32}, {48, 48}, {96, 96}, {128, 128}, {256, 256}, {96, 64}};
  for (const auto& wh : sizes) {
    Rng rng(777);
    int exact = 0;
    const int total = wh[0] >= 256 ? 60 : 200;
    for (int i = 0; i < total; ++i) {
      Scene s = sample_scene(rng);
      exact += same_scene(detect(render(s, wh[0], wh[1])), s, 0.04f);
    }
    std::printf("%dx%d: %d/%d exact\n", wh[0], wh[1], exact, total);
    if (wh[0] >= 48) {
      EXPECT_GE(exact, total * 97 / 100) << wh[0] << "x" << wh[1];
    }
  }
}

// Mild pixel noise (a generated picture is never exact) must not break detection.
TEST(WorldDetector, RobustToMildNoise) {
  Rng rng(99);
  int exact = 0;
  const int total = 300;
  for (int i = 0; i < total; ++i) {
    Scene s = sample_scene(rng);
    Image img = render(s, 64, 64);
    for (auto& p : img.pixels)
      p = uint8_t(std::clamp(int(p) + int(std::lround(rng.normal() * 6)), 0, 255));
    exact += same_scene(detect(img), s, 0.04f);
  }
  std::printf("with noise sigma 6: %d/%d exact\n", exact, total);
  EXPECT_GE(exact, total * 9 / 10);
}

// Soft edges (a 3x3 blur, as from a slightly blurry generator) must not break detection.
TEST(WorldDetector, RobustToSoftEdges) {
  Rng rng(31);
  for (float side : {0.25f, 1.0f}) {
    int exact = 0;
    const int total = 300;
    for (int i = 0; i < total; ++i) {
      Scene s = sample_scene(rng);
      const Image img = render(s, 64, 64);
      Image soft = img;
      for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x)
          for (int k = 0; k < 3; ++k) {
            float sum = 0, wsum = 0;
            for (int dy = -1; dy <= 1; ++dy)
              for (int dx = -1; dx <= 1; ++dx) {
                const float wgt = (dx == 0 && dy == 0) ? 1.0f : side;
                sum += wgt * img.at(std::clamp(x + dx, 0, 63), std::clamp(y + dy, 0, 63))[k];
                wsum += wgt;
              }
            soft.at(x, y)[k] = uint8_t(std::lround(sum / wsum));
          }
      exact += same_scene(detect(soft), s, 0.04f);
    }
    std::printf("3x3 blur (neighbour weight %.2f): %d/%d exact\n", side, exact, total);
    EXPECT_GE(exact, total * (side < 0.5f ? 97 : 85) / 100);
  }
}

// Colours far from every named colour are not read as objects.
TEST(WorldDetector, OffPaletteColoursAreUnrecognised) {
  Scene s;
  s.background.from = s.background.to = BackgroundColour::kWhite;
  s.objects.push_back(Object{Shape::kCircle, 0, Colour::kRed, Size::kLarge, 0.5f, 0.5f});
  const std::array<uint8_t, 3> odd[] = {
      {128, 128, 0}, {250, 185, 215}, {0, 90, 90}, {170, 220, 60}};
  for (const auto& rgb : odd) {
    Image img = render(s, 64, 64);
    const auto red = colour_rgb(Colour::kRed);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        uint8_t* p = img.at(x, y);
        const float a = float(255 - p[1]) / float(255 - red[1]);  // the circle's coverage
        for (int k = 0; k < 3; ++k)
          p[k] = uint8_t(std::lround(255 + (float(rgb[size_t(k)]) - 255) * a));
      }
    Scene d = detect(img);
    EXPECT_TRUE(d.objects.empty())
        << int(rgb[0]) << "," << int(rgb[1]) << "," << int(rgb[2]) << " read as "
        << (d.objects.empty() ? "" : describe(d.objects[0]));
    EXPECT_EQ(d.unrecognised, 1);
  }
}

TEST(WorldDetector, EmptyNoiseAndSmudges) {
  Scene empty;
  empty.background.from = empty.background.to = BackgroundColour::kCream;
  Scene d = detect(render(empty, 64, 64));
  EXPECT_TRUE(d.objects.empty());
  EXPECT_EQ(d.unrecognised, 0);
  EXPECT_EQ(d.background, empty.background);
  EXPECT_TRUE(d.background_known);

  // Uniform random noise: nothing recognisable.
  Rng rng(5);
  int recognised = 0;
  for (int k = 0; k < 20; ++k) {
    Image noise(64, 64, 3);
    for (auto& p : noise.pixels) p = uint8_t(rng.below(256));
    recognised += int(detect(noise).objects.size());
  }
  EXPECT_EQ(recognised, 0);

  // Smudges that are no shape: peanuts (two overlapping discs) and bent thick strokes.
  int recognised_smudges = 0, smudges = 0;
  for (int k = 0; k < 200; ++k) {
    Image img = render(empty, 64, 64);
    const float cx = 22 + float(rng.below(20)), cy = 22 + float(rng.below(20));
    const float r = float(rng.uniform(4.5, 7)), angle = float(rng.uniform(0, 6.283));
    const float sep = r * float(rng.uniform(1.1, 1.7));
    const float ax = cx - 0.5f * sep * std::cos(angle), ay = cy - 0.5f * sep * std::sin(angle);
    const float bx = cx + 0.5f * sep * std::cos(angle), by = cy + 0.5f * sep * std::sin(angle);
    const bool peanut = k % 2 == 0;
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const float px = x + 0.5f, py = y + 0.5f;
        bool in;
        if (peanut) {
          in = std::hypot(px - ax, py - ay) < r || std::hypot(px - bx, py - by) < r;
        } else {  // a thick "V": two strokes from (ax, ay) via (cx, cy + r) to (bx, by)
          auto seg = [&](float x0, float y0, float x1, float y1) {
            const float dx = x1 - x0, dy = y1 - y0;
            const float t =
                std::clamp(((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy), 0.0f, 1.0f);
            return std::hypot(px - x0 - t * dx, py - y0 - t * dy);
          };
          in = std::min(seg(ax - 4, ay - 6, cx, cy + r), seg(cx, cy + r, bx + 6, by - 8)) < 1.8f;
        }
        if (in) {
          uint8_t* p = img.at(x, y);
          p[0] = 35, p[1] = 70, p[2] = 215;
        }
      }
    Detection det = detect_detailed(img);
    smudges += int(det.components.size());
    for (const auto& c : det.components) {
      if (c.recognised && recognised_smudges < 5)
        std::printf("  smudge read as %s (iou %.3f)\n", describe(c.object).c_str(), c.iou);
      recognised_smudges += c.recognised;
    }
  }
  std::printf("smudges recognised as objects: %d of %d\n", recognised_smudges, smudges);
  EXPECT_LT(recognised_smudges, smudges / 10);
}

TEST(WorldCheckSpec, OwnSpecPassesOthersFail) {
  Rng rng(4242);
  std::vector<SceneSpec> specs;
  std::vector<Scene> detected;
  for (int i = 0; i < 1000; ++i) {
    Scene s = sample_scene(rng);
    specs.push_back(make_spec(s, rng));
    detected.push_back(detect(render(s, 64, 64)));
  }
  int own = 0, shuffled = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    SpecCheck c = check_spec(detected[i], specs[i]);
    own += c.passed;
    if (!c.passed && own + 5 > int(i)) {
      for (const auto& f : c.failures) std::printf("  own-spec failure: %s\n", f.c_str());
    }
    shuffled += check_spec(detected[i], specs[(i + 333) % specs.size()]).passed;
  }
  std::printf("check_spec: own spec %d/1000 pass, another scene's spec %d/1000 pass\n", own,
              shuffled);
  EXPECT_GE(own, 990);
  EXPECT_LE(shuffled, 100);
}

TEST(WorldCheckSpec, ReportsEachKindOfFailure) {
  Scene s;
  s.background.from = s.background.to = BackgroundColour::kWhite;
  s.objects.push_back(Object{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.25f, 0.5f});
  s.objects.push_back(Object{Shape::kSquare, 0, Colour::kBlue, Size::kLarge, 0.72f, 0.5f});
  const Scene d = detect(render(s, 64, 64));
  ASSERT_TRUE(same_scene(d, s));
  SceneSpec spec;
  spec.scene = s;
  spec.mention.assign(2, ObjectMention{});
  spec.relations.push_back({0, 1, Relation::kLeftOf});
  spec.mention_background = true;
  EXPECT_TRUE(check_spec(d, spec).passed);

  SceneSpec wrong_rel = spec;
  wrong_rel.relations[0].relation = Relation::kRightOf;
  auto c = check_spec(d, wrong_rel);
  EXPECT_FALSE(c.passed);
  ASSERT_FALSE(c.failures.empty());
  EXPECT_NE(c.failures[0].find("relation"), std::string::npos) << c.failures[0];

  SceneSpec wrong_colour = spec;
  wrong_colour.scene.objects[0].colour = Colour::kGreen;
  EXPECT_FALSE(check_spec(d, wrong_colour).passed);
  wrong_colour.mention[0].colour = false;  // colour not stated: free
  EXPECT_TRUE(check_spec(d, wrong_colour).passed);

  SceneSpec wrong_size = spec;
  wrong_size.scene.objects[1].size = Size::kSmall;
  wrong_size.mention[1].size = true;
  EXPECT_FALSE(check_spec(d, wrong_size).passed);

  SceneSpec wrong_bg = spec;
  wrong_bg.scene.background = {BackgroundColour::kWhite, BackgroundColour::kCream,
                               GradientDirection::kVertical};
  EXPECT_FALSE(check_spec(d, wrong_bg).passed);

  SceneSpec three = spec;
  three.scene.objects.push_back(Object{Shape::kStar, 0, Colour::kRed, Size::kSmall, 0.5f, 0.1f});
  three.mention.push_back(ObjectMention{});
  EXPECT_FALSE(check_spec(d, three).passed);

  SceneSpec one = spec;  // one object stated: a count mismatch only when the count is stated
  one.scene.objects.resize(1);
  one.mention.resize(1);
  one.relations.clear();
  one.mention_count = false;
  EXPECT_TRUE(check_spec(d, one).passed);
  one.mention_count = true;
  EXPECT_FALSE(check_spec(d, one).passed);

  SceneSpec region = spec;
  region.mention[0].region = true;  // the circle's centre is at (0.25, 0.5): region "left"
  EXPECT_TRUE(check_spec(d, region).passed);
  region.scene.objects[0].cy = 0.1f;
  EXPECT_FALSE(check_spec(d, region).passed);
}

TEST(WorldCheckSpec, SameScene) {
  Rng rng(8);
  Scene a = sample_scene(rng);
  Scene b = a;
  EXPECT_TRUE(same_scene(a, b));
  std::reverse(b.objects.begin(), b.objects.end());
  EXPECT_TRUE(same_scene(a, b));
  b.objects[0].cx += 0.1f;
  EXPECT_FALSE(same_scene(a, b));
  b = a;
  b.objects[0].colour = Colour((int(a.objects[0].colour) + 1) % kNumColours);
  EXPECT_FALSE(same_scene(a, b));
  b = a;
  b.background.gradient = GradientDirection::kVertical;
  EXPECT_FALSE(same_scene(a, b));
}

}  // namespace
}  // namespace pictor::world
