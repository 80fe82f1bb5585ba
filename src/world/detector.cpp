// detect(): background model, foreground components, template fitting (see detector.h).
#include "world/detector.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "world/detector_templates.h"

namespace pictor::world {
namespace {

using detection::AlphaPatch;
using detection::TemplateInfo;

constexpr int kMaxWorkingSide = 128;       // larger pictures are shrunk (area average) first
constexpr float kForegroundDistance = 40;  // RGB distance from the background model
constexpr float kMaxBackgroundDistance = 35;
// Templates whose second moments differ from the component's by more than this fraction of the
// template's spread are not worth an IoU (generous: an IoU >= 0.85 match is far inside it).
constexpr double kMomentTolerance = 0.25;

// colour(x, y) = a + b * t, t along the gradient axis (t = 0 for a plain background).
struct BackgroundModel {
  std::array<float, 3> a{}, b{};
  GradientDirection dir = GradientDirection::kNone;
  void at(int x, int y, int w, int h, float out[3]) const {
    float t = 0;
    if (dir == GradientDirection::kVertical) t = (float(y) + 0.5f) / float(h);
    if (dir == GradientDirection::kHorizontal) t = (float(x) + 0.5f) / float(w);
    for (int k = 0; k < 3; ++k) out[k] = a[k] + b[k] * t;
  }
};

struct Sample {
  float tv, th;
  std::array<float, 3> rgb;
};

float distance3(const float* p, const float* q) {
  float s = 0;
  for (int k = 0; k < 3; ++k) s += (p[k] - q[k]) * (p[k] - q[k]);
  return std::sqrt(s);
}

// Least squares of colour against t over the samples with weight 1 (inliers).
BackgroundModel fit_line(const std::vector<Sample>& s, const std::vector<char>& use,
                         GradientDirection dir) {
  BackgroundModel m;
  m.dir = dir;
  double n = 0, st = 0, stt = 0;
  std::array<double, 3> sc{}, stc{};
  for (size_t i = 0; i < s.size(); ++i) {
    if (!use[i]) continue;
    const double t = dir == GradientDirection::kVertical ? s[i].tv : s[i].th;
    n += 1;
    st += t;
    stt += t * t;
    for (int k = 0; k < 3; ++k) {
      sc[size_t(k)] += s[i].rgb[size_t(k)];
      stc[size_t(k)] += t * s[i].rgb[size_t(k)];
    }
  }
  if (n < 2) return m;
  const double det = n * stt - st * st;
  for (int k = 0; k < 3; ++k) {
    if (dir == GradientDirection::kNone || std::fabs(det) < 1e-9) {
      m.a[size_t(k)] = float(sc[size_t(k)] / n);
      m.b[size_t(k)] = 0;
    } else {
      const double b = (n * stc[size_t(k)] - st * sc[size_t(k)]) / det;
      m.a[size_t(k)] = float((sc[size_t(k)] - b * st) / n);
      m.b[size_t(k)] = float(b);
    }
  }
  return m;
}

float residual(const BackgroundModel& m, const Sample& s) {
  float c[3];
  const float t = m.dir == GradientDirection::kVertical
                      ? s.tv
                      : (m.dir == GradientDirection::kHorizontal ? s.th : 0.0f);
  for (int k = 0; k < 3; ++k) c[k] = m.a[size_t(k)] + m.b[size_t(k)] * t;
  return distance3(c, s.rgb.data());
}

// Robust fit: least squares, drop outliers (objects or noise at the border), refit; the score is
// the mean residual capped at 30, so a few outliers cannot dominate.
BackgroundModel fit_robust(const std::vector<Sample>& s, GradientDirection dir, float& score) {
  std::vector<char> use(s.size(), 1);
  BackgroundModel m = fit_line(s, use, dir);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < s.size(); ++i) use[i] = residual(m, s[i]) < 12.0f;
    m = fit_line(s, use, dir);
  }
  double total = 0;
  for (const auto& x : s) total += std::min(residual(m, x), 30.0f);
  score = float(total / double(std::max<size_t>(1, s.size())));
  return m;
}

BackgroundColour nearest_background(const float* c, float& dist) {
  dist = 1e9f;
  BackgroundColour best = BackgroundColour::kWhite;
  for (int i = 0; i < kNumBackgroundColours; ++i) {
    auto rgb = background_rgb(BackgroundColour(i));
    const float q[3] = {float(rgb[0]), float(rgb[1]), float(rgb[2])};
    const float d = distance3(c, q);
    if (d < dist) dist = d, best = BackgroundColour(i);
  }
  return best;
}

BackgroundModel fit_background(const Image& img, Background& named, bool& known) {
  const int w = img.width, h = img.height;
  const int ring = std::max(1, std::min(w, h) / 64);
  std::vector<Sample> samples;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (x >= ring && x < w - ring && y >= ring && y < h - ring) continue;
      const uint8_t* p = img.at(x, y);
      samples.push_back({(float(y) + 0.5f) / float(h),
                         (float(x) + 0.5f) / float(w),
                         {float(p[0]), float(p[1]), float(p[2])}});
    }
  }
  float s_plain, s_v, s_h;
  BackgroundModel plain = fit_robust(samples, GradientDirection::kNone, s_plain);
  BackgroundModel vert = fit_robust(samples, GradientDirection::kVertical, s_v);
  BackgroundModel horiz = fit_robust(samples, GradientDirection::kHorizontal, s_h);
  BackgroundModel best = plain;
  float best_score = s_plain;
  // A gradient must explain the border clearly better than a plain colour.
  if (s_v + 1.5f < best_score) best = vert, best_score = s_v;
  if (s_h + 1.5f < best_score && s_h < s_v) best = horiz, best_score = s_h;

  float from[3], to[3];
  for (int k = 0; k < 3; ++k) {
    from[k] = best.a[size_t(k)];
    to[k] = best.a[size_t(k)] + best.b[size_t(k)];
  }
  float d_from, d_to;
  named.from = nearest_background(from, d_from);
  named.to = nearest_background(to, d_to);
  named.gradient = best.dir;
  if (best.dir == GradientDirection::kNone || named.from == named.to) {
    named.gradient = GradientDirection::kNone;
    named.to = named.from;
    if (best.dir != GradientDirection::kNone) {  // both ends name one colour: judge the plain fit
      float mid[3];
      for (int k = 0; k < 3; ++k) mid[k] = plain.a[size_t(k)];
      named.from = named.to = nearest_background(mid, d_from);
      d_to = d_from;
    }
  }
  known = d_from <= kMaxBackgroundDistance && d_to <= kMaxBackgroundDistance && best_score < 12.0f;
  return best;
}

}  // namespace

namespace {

float median(std::vector<float>& v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Names the colour of an object whose most solid pixels look like `core` over background `bg`.
// Thin or blurred strokes never reach full coverage, so `core` may be a blend bg + a (c - bg)
// with a < 1: a named colour c is judged by the distance of `core` from the ray bg -> c
// (perpendicular) plus, lightly weighted, how far short of c the blend stops; a colour the core
// overshoots (a > 1.08) cannot be it. The returned distance is that judgement (0 = exact).
Colour name_colour(const float* core, const float* bg, float& distance) {
  distance = 1e9f;
  Colour best = Colour::kRed;
  for (int i = 0; i < kNumColours; ++i) {
    const auto rgb = colour_rgb(Colour(i));
    float dir[3], off[3], dd = 0, dot = 0;
    for (int k = 0; k < 3; ++k) {
      dir[k] = float(rgb[size_t(k)]) - bg[k];
      off[k] = core[k] - bg[k];
      dd += dir[k] * dir[k];
      dot += dir[k] * off[k];
    }
    if (dd <= 0) continue;
    const float a = dot / dd;
    if (a > 1.08f || a < 0.5f) continue;
    float perp = 0;
    for (int k = 0; k < 3; ++k) perp += (off[k] - a * dir[k]) * (off[k] - a * dir[k]);
    const float score = std::sqrt(perp) + 0.3f * std::max(0.0f, 1.0f - a) * std::sqrt(dd);
    if (score < distance) distance = score, best = Colour(i);
  }
  return best;
}

struct Component {
  std::vector<int> pixels;  // indices y * w + x
  int x0, y0, x1, y1;
};

// Reads one component: colour, coverage, best template, size, centre.
DetectedComponent classify(const Image& img, const std::vector<float>& bg,
                           const std::vector<float>& dist, const std::vector<int>& label, int id,
                           const Component& comp) {
  const int w = img.width, h = img.height;
  const float scale = float(std::min(w, h));
  DetectedComponent out;
  out.pixels = int(comp.pixels.size());

  // Colour: median of the pixels farthest from the background (the solid interior).
  std::vector<float> d;
  d.reserve(comp.pixels.size());
  for (int i : comp.pixels) d.push_back(dist[size_t(i)]);
  std::vector<float> sorted = d;
  const size_t p90 = sorted.size() * 9 / 10;
  std::nth_element(sorted.begin(), sorted.begin() + long(p90), sorted.end());
  const float cut = 0.9f * sorted[p90];
  std::array<std::vector<float>, 3> chans, bgs;
  for (size_t j = 0; j < comp.pixels.size(); ++j) {
    if (d[j] < cut) continue;
    const size_t i = size_t(comp.pixels[j]);
    for (int k = 0; k < 3; ++k) {
      chans[size_t(k)].push_back(float(img.pixels[i * 3 + size_t(k)]));
      bgs[size_t(k)].push_back(bg[i * 3 + size_t(k)]);
    }
  }
  float core[3], local_bg[3];
  for (int k = 0; k < 3; ++k) {
    core[k] = median(chans[size_t(k)]);
    local_bg[k] = median(bgs[size_t(k)]);
  }
  float colour[3];
  out.object.colour = name_colour(core, local_bg, out.colour_distance);
  const auto named = colour_rgb(out.object.colour);
  for (int k = 0; k < 3; ++k) colour[k] = float(named[size_t(k)]);

  // Coverage: un-blend each pixel against the background, over the component and its fringe
  // (soft edges below the foreground threshold): unlabelled pixels within 2 px of the component
  // and not next to another component.
  AlphaPatch patch;
  patch.x0 = std::max(0, comp.x0 - 2);
  patch.y0 = std::max(0, comp.y0 - 2);
  patch.x1 = std::min(w - 1, comp.x1 + 2);
  patch.y1 = std::min(h - 1, comp.y1 + 2);
  const int pw = patch.x1 - patch.x0 + 1;
  patch.alpha.assign(size_t(pw) * size_t(patch.y1 - patch.y0 + 1), 0.0f);
  double mass = 0, mx = 0, my = 0;
  for (int y = patch.y0; y <= patch.y1; ++y) {
    for (int x = patch.x0; x <= patch.x1; ++x) {
      const size_t i = size_t(y) * size_t(w) + size_t(x);
      bool mine = label[i] == id;
      if (!mine && label[i] == 0) {
        bool near_other = false;
        for (int dy = -2; dy <= 2; ++dy)
          for (int dx = -2; dx <= 2; ++dx) {
            const int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            const int l = label[size_t(yy) * size_t(w) + size_t(xx)];
            if (l == id) mine = true;
            if (l != 0 && l != id && std::abs(dx) <= 1 && std::abs(dy) <= 1) near_other = true;
          }
        mine = mine && !near_other;
      }
      if (!mine) continue;
      const uint8_t* p = &img.pixels[i * 3];
      const float* b = &bg[i * 3];
      float num = 0, den = 0;
      for (int k = 0; k < 3; ++k) {
        num += (float(p[k]) - b[k]) * (colour[k] - b[k]);
        den += (colour[k] - b[k]) * (colour[k] - b[k]);
      }
      const float a = den > 0 ? std::clamp(num / den, 0.0f, 1.0f) : 0.0f;
      patch.alpha[size_t(y - patch.y0) * size_t(pw) + size_t(x - patch.x0)] = a;
      mass += a;
      mx += a * (float(x) + 0.5f);
      my += a * (float(y) + 0.5f);
    }
  }
  if (mass <= 0) return out;
  mx /= mass;
  my /= mass;
  // Second moments (pixels^2): a cheap shape signature to skip hopeless templates.
  double c20 = 0, c02 = 0, c11 = 0;
  for (int y = patch.y0; y <= patch.y1; ++y)
    for (int x = patch.x0; x <= patch.x1; ++x) {
      const float a = patch.at(x, y);
      if (a <= 0) continue;
      const double dx = double(x) + 0.5 - mx, dy = double(y) + 0.5 - my;
      c20 += a * dx * dx;
      c02 += a * dy * dy;
      c11 += a * dx * dy;
    }
  c20 /= mass;
  c02 /= mass;
  c11 /= mass;

  // Templates: scale from the mass, position from the centroid; the best soft IoU wins.
  struct Candidate {
    const TemplateInfo* t;
    float iou, r, cx, cy;
  };
  std::vector<Candidate> cands;
  const float bw = float(comp.x1 - comp.x0 + 1), bh = float(comp.y1 - comp.y0 + 1);
  for (const TemplateInfo& t : detection::templates()) {
    const float r = float(std::sqrt(mass / t.area));
    // Cheap rejects: the template's extent and second moments at that scale must resemble the
    // component's.
    const float tw = (t.max_x - t.min_x) * r, th = (t.max_y - t.min_y) * r;
    if (std::fabs(tw - bw) > 0.25f * bw + 2.5f || std::fabs(th - bh) > 0.25f * bh + 2.5f) continue;
    const double r2 = double(r) * r, tol = kMomentTolerance * (t.m20 + t.m02) * r2 + 0.5;
    if (std::fabs(c20 - t.m20 * r2) > tol || std::fabs(c02 - t.m02 * r2) > tol ||
        std::fabs(c11 - t.m11 * r2) > tol)
      continue;
    const float cx = float(mx) - t.ox * r, cy = float(my) - t.oy * r;
    cands.push_back({&t, detection::template_iou(t, patch, cx, cy, r, w, h), r, cx, cy});
  }
  if (cands.empty()) return out;
  // Generated pictures have softer edges than the renderer's: the leading candidates also try
  // wider edge ramps and keep their best fit, so blur costs a correct reading little.
  std::sort(cands.begin(), cands.end(),
            [](const Candidate& a, const Candidate& b) { return a.iou > b.iou; });
  for (size_t k = 0; k < std::min<size_t>(cands.size(), 3); ++k)
    for (float edge : {1.75f, 2.5f, 3.5f})
      cands[k].iou =
          std::max(cands[k].iou, detection::template_iou(*cands[k].t, patch, cands[k].cx,
                                                         cands[k].cy, cands[k].r, w, h, edge));
  std::sort(cands.begin(), cands.end(),
            [](const Candidate& a, const Candidate& b) { return a.iou > b.iou; });
  const Candidate& top = cands[0];
  const float best = top.iou, best_r = top.r, best_cx = top.cx, best_cy = top.cy;
  const TemplateInfo* best_t = top.t;
  out.second_iou = cands.size() > 1 ? cands[1].iou : 0.0f;
  if (!best_t) return out;
  out.iou = best;
  out.object.shape = best_t->shape;
  out.object.glyph = best_t->glyph;
  out.object.cx = best_cx / float(w);
  out.object.cy = best_cy / float(h);
  const float rf = best_r / scale;
  const float small_medium = std::sqrt(size_radius(Size::kSmall) * size_radius(Size::kMedium));
  const float medium_large = std::sqrt(size_radius(Size::kMedium) * size_radius(Size::kLarge));
  out.object.size =
      rf < small_medium ? Size::kSmall : (rf < medium_large ? Size::kMedium : Size::kLarge);
  const bool size_ok =
      rf >= 0.7f * size_radius(Size::kSmall) && rf <= 1.4f * size_radius(Size::kLarge);
  out.recognised = best >= kMinTemplateIou && best - out.second_iou >= kMinIouMargin &&
                   out.colour_distance <= kMaxColourDistance && size_ok;
  return out;
}

}  // namespace

Detection detect_detailed(const Image& input) {
  Detection result;
  if (input.empty() || input.width <= 0 || input.height <= 0) return result;
  Image img = input.channels == 3 ? input : convert_channels(input, 3);
  const int side = std::min(img.width, img.height);
  if (side > kMaxWorkingSide) {
    const float f = float(kMaxWorkingSide) / float(side);
    img = resize_image(img, std::max(1, int(std::lround(img.width * f))),
                       std::max(1, int(std::lround(img.height * f))));
  }
  const int w = img.width, h = img.height;
  bool known = true;
  const BackgroundModel model = fit_background(img, result.scene.background, known);
  result.scene.background_known = known;

  const size_t n = size_t(w) * size_t(h);
  std::vector<float> bg(n * 3), dist(n);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t i = size_t(y) * size_t(w) + size_t(x);
      model.at(x, y, w, h, &bg[i * 3]);
      const uint8_t* p = img.at(x, y);
      const float q[3] = {float(p[0]), float(p[1]), float(p[2])};
      dist[i] = distance3(q, &bg[i * 3]);
    }

  // 8-connected components of the foreground.
  std::vector<int> label(n, 0);
  std::vector<Component> comps;
  std::vector<int> stack;
  for (size_t start = 0; start < n; ++start) {
    if (label[start] != 0 || dist[start] <= kForegroundDistance) continue;
    const int id = int(comps.size()) + 1;
    Component c{{}, w, h, -1, -1};
    label[start] = id;
    stack.assign(1, int(start));
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      c.pixels.push_back(i);
      const int x = i % w, y = i / w;
      c.x0 = std::min(c.x0, x), c.x1 = std::max(c.x1, x);
      c.y0 = std::min(c.y0, y), c.y1 = std::max(c.y1, y);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const size_t j = size_t(yy) * size_t(w) + size_t(xx);
          if (label[j] == 0 && dist[j] > kForegroundDistance) {
            label[j] = id;
            stack.push_back(int(j));
          }
        }
    }
    comps.push_back(std::move(c));
  }

  // Specks below a quarter of a small circle's area are noise, not objects.
  const float small_r = 0.95f * size_radius(Size::kSmall) * float(std::min(w, h));
  const float min_pixels = 0.25f * 3.14159265f * small_r * small_r;
  for (size_t k = 0; k < comps.size(); ++k) {
    if (float(comps[k].pixels.size()) < min_pixels) continue;
    DetectedComponent dc = classify(img, bg, dist, label, int(k) + 1, comps[k]);
    if (dc.recognised) {
      result.scene.objects.push_back(dc.object);
    } else {
      ++result.scene.unrecognised;
    }
    result.components.push_back(dc);
  }
  return result;
}

Scene detect(const Image& image) { return detect_detailed(image).scene; }

}  // namespace pictor::world
