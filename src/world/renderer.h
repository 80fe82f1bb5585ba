#pragma once
// The scenes renderer: a Scene -> an RGB picture, anti-aliased, deterministic, fast enough to feed
// training on the fly (tens of thousands of 64x64 pictures per second on one core).
#include "core/image.h"
#include "world/scene.h"

namespace pictor::world {

// Renders `scene` at width x height (RGB). Object radii and positions scale with min(width,
// height) and with width/height respectively (see size_radius()). Coverage is analytic: each
// pixel's alpha is 0.5 - (signed distance in pixels), clamped to [0, 1]; colours are blended in
// sRGB space (the detector inverts exactly this blend).
Image render(const Scene& scene, int width, int height);

// The background alone (plain or gradient), the first step of render().
Image render_background(const Background& background, int width, int height);

// Background colour at pixel (x, y) as floats, before rounding: t = (y + 0.5) / height for a
// vertical gradient (top -> bottom), (x + 0.5) / width for a horizontal one (left -> right).
void background_at(const Background& background, int x, int y, int width, int height, float out[3]);

// Draws one object onto `image` (RGB), for edits and tests.
void draw_object(Image& image, const Object& object);

}  // namespace pictor::world
