#pragma once
// A Scene as a short sequence of tokens: the language pictor-mini's layout planner speaks
// (docs/models/pictor-mini.md). Grammar:
//   BOS GRADIENT FROM TO (KIND COLOUR SIZE X Y){1..4} EOS
// KIND is one of the 8 shapes or 36 glyphs; X and Y are the centre in 16 bins per axis; FROM/TO
// are the background's ends (TO = FROM for a plain background). Objects are sorted by (kind,
// colour, size, x, y), an order a caption determines as far as it states them: a model reading
// "a red circle and a blue square" knows that slot 1 is the circle. No torch here.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/status.h"
#include "world/scene.h"

namespace pictor::world {

inline constexpr int kSceneTokenPad = 0, kSceneTokenBos = 1, kSceneTokenEos = 2;
inline constexpr int kPositionBins = 16;
inline constexpr int kNumKinds = kNumGeometricShapes + kNumGlyphs;  // 44
inline constexpr int kMaxSceneObjects = 4;

// What a token at some position may be.
enum class SceneTokenField : uint8_t { kGradient, kFrom, kTo, kKind, kColour, kSize, kX, kY };
struct SceneTokenRange {
  int first = 0, count = 0;  // tokens [first, first + count)
};
SceneTokenRange scene_token_range(SceneTokenField f);
inline constexpr int kSceneTokenVocab = 108;
// Longest sequence: BOS + 3 background tokens + 5 per object + EOS.
inline constexpr int kMaxSceneTokens = 1 + 3 + 5 * kMaxSceneObjects + 1;

int kind_index(const Object& o);                 // 0..43
void set_kind(Object& o, int kind);              // inverse of kind_index
int position_bin(float v);                       // [0, 1] → 0..15

// BOS … EOS for `scene` (at most kMaxSceneObjects objects; more are dropped).
std::vector<int> encode_scene_tokens(const Scene& scene);

// The fields a next token may take after `prefix` (which starts with BOS), as up to two ranges:
// after the background, either a KIND (another object) or EOS (when at least one object is
// there); after four objects only EOS. Empty when the sequence is complete.
std::vector<SceneTokenRange> next_scene_token_ranges(const std::vector<int>& prefix);

// For a prefix that ends in an object's SIZE token (next: X) or X token (next: Y): which bins of
// the next field keep that object well separated from the objects before it, at bin centres
// (world::well_separated: the world's scenes never overlap, so neither may a plan). An X bin is
// allowed when some Y bin then is. All true for any other prefix, and when no bin would (the
// planner then chooses freely).
std::array<bool, kPositionBins> separated_position_bins(const std::vector<int>& prefix);

// Scene of a complete or truncated token sequence. Bin → centre: the bin's middle, moved by up
// to a quarter bin with `jitter` when given (so layouts vary below the bin size), then clamped so
// the object stays inside the picture. Fails on a sequence that breaks the grammar.
Result<Scene> decode_scene_tokens(const std::vector<int>& tokens, Rng* jitter = nullptr);

}  // namespace pictor::world
