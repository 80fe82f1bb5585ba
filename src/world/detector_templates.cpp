#include "world/detector_templates.h"

#include <algorithm>
#include <cmath>

#include "world/shapes.h"

namespace pictor::world::detection {
namespace {

// Unit statistics by sampling the coverage on a fine grid (the renderer's own anti-aliasing).
TemplateInfo measure(Shape shape, char glyph) {
  constexpr int kGrid = 240;
  constexpr float kSpan = 1.2f;  // sample [-1.2, 1.2]^2
  const float step = 2 * kSpan / kGrid, r_px = 1.0f / step;
  TemplateInfo t{shape, glyph, 0, 0, 0, 1e9f, -1e9f, 1e9f, -1e9f, 0, 0, 0};
  double sum = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int j = 0; j < kGrid; ++j) {
    const float y = -kSpan + (float(j) + 0.5f) * step;
    for (int i = 0; i < kGrid; ++i) {
      const float x = -kSpan + (float(i) + 0.5f) * step;
      const float a = coverage_from_sdf(unit_sdf(shape, glyph, x, y), r_px);
      if (a <= 0) continue;
      sum += a;
      sx += a * x;
      sy += a * y;
      sxx += a * x * x;
      syy += a * y * y;
      sxy += a * x * y;
      if (a >= 0.5f) {
        t.min_x = std::min(t.min_x, x);
        t.max_x = std::max(t.max_x, x);
        t.min_y = std::min(t.min_y, y);
        t.max_y = std::max(t.max_y, y);
      }
    }
  }
  t.area = float(sum * step * step);
  t.ox = float(sx / sum);
  t.oy = float(sy / sum);
  t.m20 = float(sxx / sum - double(t.ox) * t.ox);
  t.m02 = float(syy / sum - double(t.oy) * t.oy);
  t.m11 = float(sxy / sum - double(t.ox) * t.oy);
  return t;
}

}  // namespace

const std::vector<TemplateInfo>& templates() {
  static const std::vector<TemplateInfo> kTemplates = [] {
    std::vector<TemplateInfo> v;
    for (int s = 0; s < kNumGeometricShapes; ++s) v.push_back(measure(Shape(s), 0));
    for (const char* g = glyph_chars(); *g; ++g) v.push_back(measure(Shape::kGlyph, *g));
    return v;
  }();
  return kTemplates;
}

float template_iou(const TemplateInfo& t, const AlphaPatch& patch, float cx, float cy, float r_px,
                   int width, int height, float edge) {
  // Union of the template's box (with a pixel of blur) and the patch, clipped to the image.
  const float blur = 1.0f + 0.5f * edge;
  int x0 = std::min(patch.x0, int(std::floor(cx + t.min_x * r_px - blur)));
  int x1 = std::max(patch.x1, int(std::ceil(cx + t.max_x * r_px + blur)));
  int y0 = std::min(patch.y0, int(std::floor(cy + t.min_y * r_px - blur)));
  int y1 = std::max(patch.y1, int(std::ceil(cy + t.max_y * r_px + blur)));
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, width - 1);
  y1 = std::min(y1, height - 1);
  const float inv_r = 1.0f / r_px, r_edge = r_px / edge;
  double inter = 0, uni = 0;
  for (int y = y0; y <= y1; ++y) {
    const float uy = (float(y) + 0.5f - cy) * inv_r;
    for (int x = x0; x <= x1; ++x) {
      const float a = patch.at(x, y);
      const float ux = (float(x) + 0.5f - cx) * inv_r;
      // Far outside the unit box the template is empty: skip the distance evaluation.
      const float b = (std::fabs(ux) > 1.3f + blur * inv_r || std::fabs(uy) > 1.3f + blur * inv_r)
                          ? 0.0f
                          : coverage_from_sdf(unit_sdf(t.shape, t.glyph, ux, uy), r_edge);
      inter += std::min(a, b);
      uni += std::max(a, b);
    }
  }
  return uni > 0 ? float(inter / uni) : 0.0f;
}

}  // namespace pictor::world::detection
