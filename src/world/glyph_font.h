#pragma once
// The embedded stroke font: digits 0–9 and capitals A–Z as polylines, rendered as thick strokes
// through distance-to-segment. No font files, identical pixels on every platform.
#include <vector>

namespace pictor::world {

struct Segment {
  float ax, ay, bx, by;
};

// Stroke half-width, in units of the object radius r.
inline constexpr float kGlyphStrokeHalfWidth = 0.13f;

// The strokes of `c` in object units: centre at the origin, y down, the character's design box
// spanning about [-0.57, 0.57] x [-0.85, 0.85] (so strokes stay inside [-1, 1]^2). Empty for a
// character the font does not have.
const std::vector<Segment>& glyph_segments(char c);
bool glyph_supported(char c);

// Signed distance (object units, negative inside the stroke) from (x, y) to the glyph outline.
float glyph_unit_sdf(char c, float x, float y);

}  // namespace pictor::world
