#pragma once
// Shape and glyph templates for the detector: unit-scale statistics of every shape and glyph
// (area, centroid, extent), and the soft IoU of a template against a recovered coverage map.
#include <vector>

#include "world/scene.h"

namespace pictor::world::detection {

struct TemplateInfo {
  Shape shape;
  char glyph;
  float area;          // in units of r^2
  float ox, oy;        // centroid relative to the object's centre, units of r
  float min_x, max_x;  // extent of the covered area, units of r
  float min_y, max_y;
  float m20, m02, m11;  // central second moments per unit area, units of r^2
};

// The 8 geometric shapes, then the 36 glyphs.
const std::vector<TemplateInfo>& templates();

// Coverage (alpha in [0, 1]) of a component on the pixel box [x0, x1] x [y0, y1]; zero outside.
struct AlphaPatch {
  int x0 = 0, y0 = 0, x1 = -1, y1 = -1;
  std::vector<float> alpha;  // row-major over the box
  float at(int x, int y) const {
    if (x < x0 || x > x1 || y < y0 || y > y1) return 0.0f;
    return alpha[size_t(y - y0) * size_t(x1 - x0 + 1) + size_t(x - x0)];
  }
};

// Soft IoU (sum of min / sum of max) between `patch` and template `t` rendered with radius r_px
// and centre (cx, cy) in pixels, over the union of both boxes clipped to the image. `edge` is the
// width in pixels of the template's anti-aliasing ramp: 1 is the renderer's own; wider ramps model
// the soft edges of generated (slightly blurred) pictures.
float template_iou(const TemplateInfo& t, const AlphaPatch& patch, float cx, float cy, float r_px,
                   int width, int height, float edge = 1.0f);

}  // namespace pictor::world::detection
