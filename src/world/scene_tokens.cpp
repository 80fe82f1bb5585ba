#include "world/scene_tokens.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "world/scene_sampler.h"

namespace pictor::world {

namespace {

constexpr SceneTokenRange kRanges[] = {
    {3, 3},                                       // gradient: none, vertical, horizontal
    {6, kNumBackgroundColours},                   // from
    {12, kNumBackgroundColours},                  // to
    {18, kNumKinds},                              // kind
    {18 + kNumKinds, kNumColours},                // colour
    {18 + kNumKinds + kNumColours, kNumSizes},    // size
    {18 + kNumKinds + kNumColours + kNumSizes, kPositionBins},                  // x
    {18 + kNumKinds + kNumColours + kNumSizes + kPositionBins, kPositionBins},  // y
};
static_assert(18 + kNumKinds + kNumColours + kNumSizes + 2 * kPositionBins == kSceneTokenVocab);

int token(SceneTokenField f, int value) { return kRanges[int(f)].first + value; }
bool in_range(int tok, SceneTokenField f) {
  const auto r = kRanges[int(f)];
  return tok >= r.first && tok < r.first + r.count;
}
int value_of(int tok, SceneTokenField f) { return tok - kRanges[int(f)].first; }

// Field of the token at sequence index i (i ≥ 1; index 0 is BOS): background, then objects.
SceneTokenField field_at(size_t i) {
  if (i <= 3) return SceneTokenField(int(i) - 1);
  return SceneTokenField(int(SceneTokenField::kKind) + int((i - 4) % 5));
}

}  // namespace

SceneTokenRange scene_token_range(SceneTokenField f) { return kRanges[int(f)]; }

int kind_index(const Object& o) {
  if (o.shape != Shape::kGlyph) return int(o.shape);
  const char* p = std::strchr(glyph_chars(), o.glyph);
  return kNumGeometricShapes + (p && o.glyph ? int(p - glyph_chars()) : 0);
}

void set_kind(Object& o, int kind) {
  if (kind < kNumGeometricShapes) {
    o.shape = Shape(kind);
    o.glyph = 0;
  } else {
    o.shape = Shape::kGlyph;
    o.glyph = glyph_chars()[kind - kNumGeometricShapes];
  }
}

int position_bin(float v) { return std::clamp(int(v * kPositionBins), 0, kPositionBins - 1); }

std::vector<int> encode_scene_tokens(const Scene& scene) {
  std::vector<Object> objects = scene.objects;
  if (objects.size() > size_t(kMaxSceneObjects)) objects.resize(size_t(kMaxSceneObjects));
  std::sort(objects.begin(), objects.end(), [](const Object& a, const Object& b) {
    return std::make_tuple(kind_index(a), int(a.colour), int(a.size), a.cx, a.cy) <
           std::make_tuple(kind_index(b), int(b.colour), int(b.size), b.cx, b.cy);
  });
  const Background& bg = scene.background;
  std::vector<int> t = {kSceneTokenBos, token(SceneTokenField::kGradient, int(bg.gradient)),
                        token(SceneTokenField::kFrom, int(bg.from)),
                        token(SceneTokenField::kTo, int(bg.gradient == GradientDirection::kNone ? bg.from : bg.to))};
  for (const Object& o : objects) {
    t.push_back(token(SceneTokenField::kKind, kind_index(o)));
    t.push_back(token(SceneTokenField::kColour, int(o.colour)));
    t.push_back(token(SceneTokenField::kSize, int(o.size)));
    t.push_back(token(SceneTokenField::kX, position_bin(o.cx)));
    t.push_back(token(SceneTokenField::kY, position_bin(o.cy)));
  }
  t.push_back(kSceneTokenEos);
  return t;
}

std::vector<SceneTokenRange> next_scene_token_ranges(const std::vector<int>& prefix) {
  if (prefix.empty() || prefix.back() == kSceneTokenEos || prefix.size() >= size_t(kMaxSceneTokens)) return {};
  const size_t i = prefix.size();
  const SceneTokenField f = field_at(i);
  if (f != SceneTokenField::kKind) return {kRanges[int(f)]};
  const size_t objects = (i - 4) / 5;
  if (objects == 0) return {kRanges[int(f)]};
  if (objects >= size_t(kMaxSceneObjects)) return {{kSceneTokenEos, 1}};
  return {kRanges[int(f)], {kSceneTokenEos, 1}};
}

std::array<bool, kPositionBins> separated_position_bins(const std::vector<int>& prefix) {
  std::array<bool, kPositionBins> all;
  all.fill(true);
  const size_t i = prefix.size();
  if (i < 8) return all;
  const SceneTokenField f = field_at(i);
  if (f != SceneTokenField::kX && f != SceneTokenField::kY) return all;
  const size_t object_start = f == SceneTokenField::kX ? i - 3 : i - 4;  // index of the KIND token
  auto before = decode_scene_tokens(std::vector<int>(prefix.begin(), prefix.begin() + long(object_start)));
  if (!before.is_ok() || before->objects.empty()) return all;
  Object o;
  set_kind(o, value_of(prefix[object_start], SceneTokenField::kKind));
  o.colour = Colour(value_of(prefix[object_start + 1], SceneTokenField::kColour));
  o.size = Size(value_of(prefix[object_start + 2], SceneTokenField::kSize));
  const float r = size_radius(o.size);
  auto at = [&](int bin) { return std::clamp(float((bin + 0.5) / kPositionBins), r, 1.0f - r); };
  auto apart = [&] {
    return std::all_of(before->objects.begin(), before->objects.end(),
                       [&](const Object& p) { return well_separated(o, p); });
  };
  std::array<bool, kPositionBins> ok;
  bool any = false;
  for (int bin = 0; bin < kPositionBins; ++bin) {
    bool fine = false;
    if (f == SceneTokenField::kY) {
      o.cx = at(value_of(prefix[i - 1], SceneTokenField::kX));
      o.cy = at(bin);
      fine = apart();
    } else {
      o.cx = at(bin);
      for (int y = 0; y < kPositionBins && !fine; ++y) {
        o.cy = at(y);
        fine = apart();
      }
    }
    ok[size_t(bin)] = fine;
    any |= fine;
  }
  return any ? ok : all;
}

Result<Scene> decode_scene_tokens(const std::vector<int>& tokens, Rng* jitter) {
  if (tokens.empty() || tokens[0] != kSceneTokenBos) return invalid_argument("scene tokens must start with BOS");
  Scene scene;
  scene.objects.clear();
  Object current;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const int tok = tokens[i];
    if (tok == kSceneTokenEos) {
      if (i < 4 || (i - 4) % 5 != 0) return invalid_argument("EOS inside an object");
      break;
    }
    const SceneTokenField f = field_at(i);
    if (!in_range(tok, f) || (f == SceneTokenField::kKind && scene.objects.size() >= size_t(kMaxSceneObjects)))
      return invalid_argument("scene token " + std::to_string(tok) + " at " + std::to_string(i) + " breaks the grammar");
    const int v = value_of(tok, f);
    auto centre = [&](int bin) {
      double u = 0.5;
      if (jitter) u += jitter->uniform(-0.25, 0.25);
      return float((bin + u) / kPositionBins);
    };
    switch (f) {
      case SceneTokenField::kGradient: scene.background.gradient = GradientDirection(v); break;
      case SceneTokenField::kFrom: scene.background.from = BackgroundColour(v); break;
      case SceneTokenField::kTo: scene.background.to = BackgroundColour(v); break;
      case SceneTokenField::kKind: current = Object{}; set_kind(current, v); break;
      case SceneTokenField::kColour: current.colour = Colour(v); break;
      case SceneTokenField::kSize: current.size = Size(v); break;
      case SceneTokenField::kX: current.cx = centre(v); break;
      case SceneTokenField::kY: {
        current.cy = centre(v);
        const float r = size_radius(current.size);
        current.cx = std::clamp(current.cx, r, 1.0f - r);
        current.cy = std::clamp(current.cy, r, 1.0f - r);
        scene.objects.push_back(current);
        break;
      }
    }
  }
  if (scene.background.gradient == GradientDirection::kNone) scene.background.to = scene.background.from;
  return scene;
}

}  // namespace pictor::world
