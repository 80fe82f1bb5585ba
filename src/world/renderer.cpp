#include "world/renderer.h"

#include <algorithm>
#include <cmath>

#include "world/shapes.h"

namespace pictor::world {
namespace {

uint8_t to_byte(float v) { return uint8_t(std::clamp(int(std::lround(v)), 0, 255)); }

}  // namespace

void background_at(const Background& bg, int x, int y, int width, int height, float out[3]) {
  auto a = background_rgb(bg.from), b = background_rgb(bg.to);
  float t = 0;
  if (bg.gradient == GradientDirection::kVertical) t = (float(y) + 0.5f) / float(height);
  if (bg.gradient == GradientDirection::kHorizontal) t = (float(x) + 0.5f) / float(width);
  for (int c = 0; c < 3; ++c) out[c] = float(a[c]) + (float(b[c]) - float(a[c])) * t;
}

Image render_background(const Background& bg, int width, int height) {
  Image img(width, height, 3);
  if (width <= 0 || height <= 0) return img;
  // Colour varies along one axis at most: compute the first row, then recompute (vertical
  // gradient) or copy it for the other rows.
  const bool per_row = bg.gradient == GradientDirection::kVertical;
  for (int y = 0; y < height; ++y) {
    uint8_t* row = img.at(0, y);
    if (y > 0 && !per_row) {
      std::copy(img.at(0, 0), img.at(0, 0) + size_t(width) * 3, row);
      continue;
    }
    for (int x = 0; x < width; ++x) {
      float c[3];
      background_at(bg, x, y, width, height, c);
      for (int k = 0; k < 3; ++k) row[x * 3 + k] = to_byte(c[k]);
    }
  }
  return img;
}

void draw_object(Image& img, const Object& o) {
  if (img.channels < 3 || img.empty()) return;
  const float scale = float(std::min(img.width, img.height));
  const float r = size_radius(o.size) * scale;
  const float cx = o.cx * float(img.width), cy = o.cy * float(img.height);
  // Pixel centres are at integer + 0.5; the shape fits in [-r, r]^2 (+ one pixel of blur).
  int x0 = std::max(0, int(std::floor(cx - r - 1.5f))),
      x1 = std::min(img.width - 1, int(cx + r + 1.5f));
  int y0 = std::max(0, int(std::floor(cy - r - 1.5f))),
      y1 = std::min(img.height - 1, int(cy + r + 1.5f));
  const auto col = colour_rgb(o.colour);
  const float inv_r = 1.0f / r;
  for (int y = y0; y <= y1; ++y) {
    float uy = (float(y) + 0.5f - cy) * inv_r;
    uint8_t* p = img.at(0, y);
    for (int x = x0; x <= x1; ++x) {
      float ux = (float(x) + 0.5f - cx) * inv_r;
      float a = coverage_from_sdf(unit_sdf(o.shape, o.glyph, ux, uy), r);
      if (a <= 0) continue;
      uint8_t* q = p + x * 3;
      for (int k = 0; k < 3; ++k) q[k] = to_byte(float(q[k]) + (float(col[k]) - float(q[k])) * a);
    }
  }
}

Image render(const Scene& scene, int width, int height) {
  Image img = render_background(scene.background, width, height);
  for (const Object& o : scene.objects) draw_object(img, o);
  return img;
}

}  // namespace pictor::world
