#pragma once
// Shape geometry as signed distance functions. One definition serves both the renderer (coverage
// = clamp(0.5 - distance_in_pixels, 0, 1), an analytic box-filter anti-aliasing) and the detector
// (templates), so that a rendered picture and the detector's template agree to the pixel.
#include "world/scene.h"

namespace pictor::world {

// Signed distance from (x, y) to the outline of `shape` (negative inside). Coordinates and result
// are in object units: origin at the object's centre, 1 = the object's radius, y down. Every shape
// fits inside [-1, 1]^2.
float unit_sdf(Shape shape, char glyph, float x, float y);

// Pixel coverage of an object at (x, y) for an object of radius r_px pixels centred at (cx, cy).
inline float coverage_from_sdf(float unit_distance, float r_px) {
  float v = 0.5f - unit_distance * r_px;
  return v <= 0 ? 0.0f : (v >= 1 ? 1.0f : v);
}

}  // namespace pictor::world
