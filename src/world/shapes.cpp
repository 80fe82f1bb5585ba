// Exact or near-exact 2D signed distances (after Inigo Quilez's well-known formulas), tuned so that
// the eight silhouettes stay distinct at 13 px: the ring's hole is half its radius, the star's
// points are deep, the diamond is taller than wide, the cross's arms are a third as thick as long.
#include "world/shapes.h"

#include <algorithm>
#include <cmath>

#include "world/glyph_font.h"

namespace pictor::world {
namespace {

float length(float x, float y) { return std::sqrt(x * x + y * y); }

float sd_box(float x, float y, float hx, float hy) {
  float dx = std::fabs(x) - hx, dy = std::fabs(y) - hy;
  return length(std::max(dx, 0.0f), std::max(dy, 0.0f)) + std::min(std::max(dx, dy), 0.0f);
}

// Triangle through three points (iq's sdTriangle).
float sd_triangle(float px, float py, float x0, float y0, float x1, float y1, float x2, float y2) {
  float e0x = x1 - x0, e0y = y1 - y0, e1x = x2 - x1, e1y = y2 - y1, e2x = x0 - x2, e2y = y0 - y2;
  float v0x = px - x0, v0y = py - y0, v1x = px - x1, v1y = py - y1, v2x = px - x2, v2y = py - y2;
  auto proj = [](float vx, float vy, float ex, float ey, float& qx, float& qy) {
    float t = std::clamp((vx * ex + vy * ey) / (ex * ex + ey * ey), 0.0f, 1.0f);
    qx = vx - ex * t;
    qy = vy - ey * t;
  };
  float q0x, q0y, q1x, q1y, q2x, q2y;
  proj(v0x, v0y, e0x, e0y, q0x, q0y);
  proj(v1x, v1y, e1x, e1y, q1x, q1y);
  proj(v2x, v2y, e2x, e2y, q2x, q2y);
  float s = (e0x * e2y - e0y * e2x) > 0 ? 1.0f : -1.0f;
  float d0 = q0x * q0x + q0y * q0y, s0 = s * (v0x * e0y - v0y * e0x);
  float d1 = q1x * q1x + q1y * q1y, s1 = s * (v1x * e1y - v1y * e1x);
  float d2 = q2x * q2x + q2y * q2y, s2 = s * (v2x * e2y - v2y * e2x);
  float d = std::min({d0, d1, d2});
  float sg = std::min({s0, s1, s2});
  return -std::sqrt(d) * (sg > 0 ? 1.0f : -1.0f);
}

// Five-pointed star, one point up (iq's sdStar5; his y axis points up, ours down).
float sd_star5(float x, float y, float r, float rf) {
  const float k1x = 0.809016994375f, k1y = -0.587785252292f;
  const float k2x = -k1x, k2y = k1y;
  float px = std::fabs(x), py = -y;
  float d1 = std::max(k1x * px + k1y * py, 0.0f);
  px -= 2 * d1 * k1x;
  py -= 2 * d1 * k1y;
  float d2 = std::max(k2x * px + k2y * py, 0.0f);
  px -= 2 * d2 * k2x;
  py -= 2 * d2 * k2y;
  px = std::fabs(px);
  py -= r;
  float bax = rf * -k1y, bay = rf * k1x - 1.0f;
  float h = std::clamp((px * bax + py * bay) / (bax * bax + bay * bay), 0.0f, r);
  float s = (py * bax - px * bay) > 0 ? 1.0f : -1.0f;
  return length(px - bax * h, py - bay * h) * s;
}

// Heart with the tip down (iq's sdHeart, unit heart spans x in [-0.6, 0.6], y in [0, 1.1] upwards).
float sd_heart(float x, float y) {
  const float s = 1.8f / 1.104f;  // scale so that the heart spans y in [-0.9, 0.9]
  float px = std::fabs(x) / s, py = (0.9f - y) / s;
  float d;
  if (py + px > 1.0f) {
    d = length(px - 0.25f, py - 0.75f) - 0.35355339f;
  } else {
    float m = 0.5f * std::max(px + py, 0.0f);
    float a = (px * px + (py - 1) * (py - 1));
    float b = (px - m) * (px - m) + (py - m) * (py - m);
    d = std::sqrt(std::min(a, b)) * (px - py > 0 ? 1.0f : -1.0f);
  }
  return d * s;
}

// Rhombus with half-diagonals (bx, by) (iq's sdRhombus).
float sd_rhombus(float x, float y, float bx, float by) {
  float px = std::fabs(x), py = std::fabs(y);
  float h =
      std::clamp(((bx - 2 * px) * bx - (by - 2 * py) * by) / (bx * bx + by * by), -1.0f, 1.0f);
  float d = length(px - 0.5f * bx * (1 - h), py - 0.5f * by * (1 + h));
  return d * ((px * by + py * bx - bx * by) > 0 ? 1.0f : -1.0f);
}

}  // namespace

float unit_sdf(Shape shape, char glyph, float x, float y) {
  switch (shape) {
    case Shape::kCircle:
      return length(x, y) - 0.95f;
    case Shape::kSquare:
      return sd_box(x, y, 0.82f, 0.82f);
    case Shape::kTriangle:
      return sd_triangle(x, y, 0.0f, -0.92f, 0.98f, 0.8f, -0.98f, 0.8f);
    case Shape::kStar:
      return sd_star5(x, y - 0.095f, 1.0f, 0.45f);
    case Shape::kHeart:
      return sd_heart(x, y);
    case Shape::kRing:
      return std::fabs(length(x, y) - 0.76f) - 0.22f;
    case Shape::kDiamond:
      return sd_rhombus(x, y, 0.78f, 0.98f);
    case Shape::kCross:
      return std::min(sd_box(x, y, 0.95f, 0.3f), sd_box(x, y, 0.3f, 0.95f));
    case Shape::kGlyph:
      return glyph_unit_sdf(glyph, x, y);
  }
  return 1e9f;
}

}  // namespace pictor::world
