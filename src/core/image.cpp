#include "core/image.h"

#include <algorithm>
#include <cmath>

#include "core/status.h"

namespace pictor {

namespace {
// Box filter over the source footprint of one destination pixel when shrinking, bilinear when
// enlarging: good enough for previews and model inputs, and fully deterministic.
void sample_area(const Image& s, double x0, double y0, double x1, double y1, float* out) {
  int c = s.channels;
  for (int k = 0; k < c; ++k) out[k] = 0;
  double total = 0;
  int ix0 = std::max(0, int(std::floor(x0))), ix1 = std::min(s.width, int(std::ceil(x1)));
  int iy0 = std::max(0, int(std::floor(y0))), iy1 = std::min(s.height, int(std::ceil(y1)));
  for (int y = iy0; y < iy1; ++y) {
    double wy = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
    if (wy <= 0) continue;
    for (int x = ix0; x < ix1; ++x) {
      double wx = std::min<double>(x + 1, x1) - std::max<double>(x, x0);
      if (wx <= 0) continue;
      const uint8_t* p = s.at(x, y);
      for (int k = 0; k < c; ++k) out[k] += float(wx * wy * p[k]);
      total += wx * wy;
    }
  }
  if (total > 0)
    for (int k = 0; k < c; ++k) out[k] = float(out[k] / total);
}
}  // namespace

Image resize_image(const Image& src, int width, int height) {
  PICTOR_ASSERT(width > 0 && height > 0 && !src.empty());
  if (src.width == width && src.height == height) return src;
  Image dst(width, height, src.channels);
  double sx = double(src.width) / width, sy = double(src.height) / height;
  float acc[4];
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* d = dst.at(x, y);
      if (sx > 1.0 || sy > 1.0) {
        sample_area(src, x * sx, y * sy, (x + 1) * sx, (y + 1) * sy, acc);
      } else {
        double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, src.width - 1.0);
        double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, src.height - 1.0);
        int x0 = int(fx), y0 = int(fy);
        int x1 = std::min(x0 + 1, src.width - 1), y1 = std::min(y0 + 1, src.height - 1);
        double ax = fx - x0, ay = fy - y0;
        for (int k = 0; k < src.channels; ++k) {
          double top = src.at(x0, y0)[k] * (1 - ax) + src.at(x1, y0)[k] * ax;
          double bot = src.at(x0, y1)[k] * (1 - ax) + src.at(x1, y1)[k] * ax;
          acc[k] = float(top * (1 - ay) + bot * ay);
        }
      }
      for (int k = 0; k < src.channels; ++k)
        d[k] = uint8_t(std::clamp(std::lround(acc[k]), 0L, 255L));
    }
  }
  return dst;
}

Image convert_channels(const Image& src, int channels) {
  if (src.channels == channels) return src;
  Image dst(src.width, src.height, channels);
  size_t n = size_t(src.width) * src.height;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* s = &src.pixels[i * src.channels];
    uint8_t* d = &dst.pixels[i * channels];
    uint8_t rgb[3] = {s[0], src.channels >= 3 ? s[1] : s[0], src.channels >= 3 ? s[2] : s[0]};
    uint8_t a = src.channels == 4 ? s[3] : (src.channels == 2 ? s[1] : 255);
    if (channels == 1) {
      d[0] = uint8_t((rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 + 500) / 1000);
    } else {
      d[0] = rgb[0]; d[1] = rgb[1]; d[2] = rgb[2];
      if (channels == 4) d[3] = a;
    }
  }
  return dst;
}

}  // namespace pictor
