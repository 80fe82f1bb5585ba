// Inline SVG charts: the quality tracker's lines and the per-axis score bars. No script, no
// library: each series differs in marker shape and dash as well as colour, and every value is
// written in a <title> (and in the table beside the chart).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "server/web_html.h"

namespace pictor::server::web {

namespace {

std::string f1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Marker `kind` (0 circle, 1 square, 2 triangle, 3 diamond) centred on (x, y).
std::string marker(int kind, double x, double y, const std::string& cls) {
  const double r = 4;
  switch (kind % 4) {
    case 0: return "<circle class=\"" + cls + "\" cx=\"" + f1(x) + "\" cy=\"" + f1(y) + "\" r=\"" + f1(r) + "\"";
    case 1: return "<rect class=\"" + cls + "\" x=\"" + f1(x - r) + "\" y=\"" + f1(y - r) + "\" width=\"" + f1(2 * r) +
                   "\" height=\"" + f1(2 * r) + "\"";
    case 2: return "<polygon class=\"" + cls + "\" points=\"" + f1(x) + "," + f1(y - r - 1) + " " + f1(x + r + 1) + "," +
                   f1(y + r) + " " + f1(x - r - 1) + "," + f1(y + r) + "\"";
    default: return "<polygon class=\"" + cls + "\" points=\"" + f1(x) + "," + f1(y - r - 1) + " " + f1(x + r + 1) + "," +
                    f1(y) + " " + f1(x) + "," + f1(y + r + 1) + " " + f1(x - r - 1) + "," + f1(y) + "\"";
  }
}

const char* kDash[] = {"", "7 4", "2 3", "10 3 2 3"};
const char* kGlyph[] = {"●", "■", "▲", "◆"};

}  // namespace

std::string line_chart(const std::vector<ChartSeries>& series, const LineChartOptions& o) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  size_t points = 0;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      ++points;
    }
  if (points == 0) return "";
  if (y1 - y0 < 1e-9) y0 -= 1, y1 += 1;
  if (o.integer_y) y0 = std::floor(y0), y1 = std::ceil(y1);
  const double pad = (y1 - y0) * 0.08;
  if (!o.integer_y) y0 -= pad, y1 += pad;
  const double W = 640, H = 220, L = 48, R = 16, T = 14, B = 34;
  auto px = [&](double x) { return x1 - x0 < 1 ? L + (W - L - R) / 2 : L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) {
    const double f = (y - y0) / (y1 - y0);
    return o.invert_y ? T + f * (H - T - B) : H - B - f * (H - T - B);
  };
  std::string s = "<svg class=\"chart\" viewBox=\"0 0 640 220\" role=\"img\" aria-label=\"" + esc(o.title) + "\">";
  s += "<title>" + esc(o.title) + "</title>";
  // Grid: three horizontal lines with their values.
  for (int k = 0; k <= 2; ++k) {
    const double v = y0 + (y1 - y0) * k / 2.0;
    const double y = py(v);
    s += "<line class=\"grid\" x1=\"" + f1(L) + "\" x2=\"" + f1(W - R) + "\" y1=\"" + f1(y) + "\" y2=\"" + f1(y) + "\"/>";
    s += "<text class=\"tick\" x=\"" + f1(L - 6) + "\" y=\"" + f1(y + 4) + "\" text-anchor=\"end\">" +
         (o.integer_y ? std::to_string(int(std::lround(v))) : score(v)) + "</text>";
  }
  s += "<text class=\"tick\" x=\"" + f1(L) + "\" y=\"" + f1(H - 10) + "\">" + date(int64_t(x0)) + "</text>";
  if (x1 - x0 >= 1)
    s += "<text class=\"tick\" x=\"" + f1(W - R) + "\" y=\"" + f1(H - 10) + "\" text-anchor=\"end\">" + date(int64_t(x1)) + "</text>";
  if (!o.y_label.empty())
    s += "<text class=\"tick\" x=\"12\" y=\"" + f1(T + (H - T - B) / 2) + "\" transform=\"rotate(-90 12 " + f1(T + (H - T - B) / 2) +
         ")\" text-anchor=\"middle\">" + esc(o.y_label) + "</text>";
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& sr = series[k];
    const std::string cls = "s" + std::to_string(k % 4);
    std::string path;
    for (size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i)
      if (std::isfinite(sr.y[i])) path += (path.empty() ? "M" : " L") + f1(px(sr.x[i])) + " " + f1(py(sr.y[i]));
    s += "<path class=\"line " + cls + "\" d=\"" + path + "\"";
    if (*kDash[k % 4]) s += " stroke-dasharray=\"" + std::string(kDash[k % 4]) + "\"";
    s += "/>";
    for (size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) {
      if (!std::isfinite(sr.y[i])) continue;
      s += marker(int(k), px(sr.x[i]), py(sr.y[i]), "dot " + cls) + "><title>" + esc(sr.label) + ", " + date(int64_t(sr.x[i])) +
           ": " + (o.integer_y ? std::to_string(int(std::lround(sr.y[i]))) : score(sr.y[i])) + "</title></" +
           (k % 4 == 0 ? "circle" : k % 4 == 1 ? "rect" : "polygon") + ">";
    }
  }
  s += "</svg>";
  if (series.size() > 1 || !series.empty()) {
    s += "<ul class=\"legend\">";
    for (size_t k = 0; k < series.size(); ++k)
      s += "<li><span class=\"glyph s" + std::to_string(k % 4) + "\" aria-hidden=\"true\">" + kGlyph[k % 4] + "</span> " +
           esc(series[k].label) + "</li>";
    s += "</ul>";
  }
  return s;
}

std::string bar_chart(const std::vector<Bar>& bars, const std::string& title) {
  if (bars.empty()) return "";
  double lo = 0, hi = 0;
  for (const auto& b : bars) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  if (hi - lo < 1e-9) hi = lo + 1;
  const double W = 640, label_w = 170, value_w = 120, row = 26;
  const double H = row * double(bars.size()) + 8;
  const double x_zero = label_w + (0 - lo) / (hi - lo) * (W - label_w - value_w);
  std::string s = "<svg class=\"chart bars\" viewBox=\"0 0 640 " + f1(H) + "\" role=\"img\" aria-label=\"" + esc(title) + "\">";
  s += "<title>" + esc(title) + "</title>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = 4 + row * double(i);
    const double xv = label_w + (b.value - lo) / (hi - lo) * (W - label_w - value_w);
    const double x = std::min(x_zero, xv), w = std::max(1.0, std::fabs(xv - x_zero));
    s += "<text class=\"tick\" x=\"" + f1(label_w - 8) + "\" y=\"" + f1(y + 16) + "\" text-anchor=\"end\">" + esc(b.label) + "</text>";
    s += "<rect class=\"bar\" x=\"" + f1(x) + "\" y=\"" + f1(y + 4) + "\" width=\"" + f1(w) + "\" height=\"16\"><title>" +
         esc(b.label) + ": " + score(b.value) + (b.note.empty() ? "" : " (" + esc(b.note) + ")") + "</title></rect>";
    s += "<text class=\"tick value\" x=\"" + f1(std::max(x_zero, xv) + 6) + "\" y=\"" + f1(y + 16) + "\">" + score(b.value) +
         (b.note.empty() ? "" : " · " + esc(b.note)) + "</text>";
  }
  s += "<line class=\"axis\" x1=\"" + f1(x_zero) + "\" x2=\"" + f1(x_zero) + "\" y1=\"0\" y2=\"" + f1(H) + "\"/>";
  s += "</svg>";
  return s;
}

}  // namespace pictor::server::web
