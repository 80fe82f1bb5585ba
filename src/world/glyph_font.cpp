// Stroke font design. Each character is drawn on an 8 x 12 grid (x right, y down); arcs are
// flattened into short segments once, at first use. Designs keep confusable pairs apart: the digit
// 0 is narrow and slashed (letter O is a full oval), 1 has a flag and a foot (I has two bars), 5
// has a flat top and a corner (S is two arcs), 2 has a round top (Z is straight), B has a straight
// back.
#include "world/glyph_font.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>

namespace pictor::world {
namespace {

struct Pt {
  float x, y;
};
using Polyline = std::vector<Pt>;

constexpr float kPi = 3.14159265358979f;
constexpr float kGridScale = 1.7f / 12.0f;  // grid units -> object units (12 grid = 1.7 r)

// Points on an ellipse arc; angles in degrees, 0 = right, 90 = down (y grows downwards).
Polyline arc(float cx, float cy, float rx, float ry, float a0, float a1) {
  int n = std::max(3, int(std::ceil(std::fabs(a1 - a0) / 15.0f)));
  Polyline p;
  for (int i = 0; i <= n; ++i) {
    float a = (a0 + (a1 - a0) * float(i) / float(n)) * kPi / 180.0f;
    p.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
  }
  return p;
}
Polyline cat(std::initializer_list<Polyline> parts) {
  Polyline out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Polyline line(std::initializer_list<Pt> pts) { return Polyline(pts); }

std::vector<Polyline> design(char c) {
  switch (c) {
    case '0':
      return {arc(4, 6, 3.3f, 6, 0, 360), line({{6.2f, 2.2f}, {1.8f, 9.8f}})};
    case '1':
      return {line({{1.5f, 2.5f}, {4.5f, 0}, {4.5f, 12}}), line({{1.5f, 12}, {7.5f, 12}})};
    case '2':
      return {cat({arc(4, 4, 4, 4, 180, 390), line({{0, 12}, {8, 12}})})};
    case '3':
      return {arc(4, 3, 3.8f, 3, 200, 450), arc(4, 9, 4, 3, -90, 160)};
    case '4':
      return {line({{6, 12}, {6, 0}, {0, 8.5f}, {8, 8.5f}})};
    case '5':
      return {cat({line({{7.5f, 0}, {1, 0}, {0.6f, 5.3f}}), arc(4, 8.2f, 4, 3.8f, -125, 160)})};
    case '6':
      return {arc(4, 8.3f, 4, 3.7f, 0, 360), arc(6.5f, 8.3f, 6.5f, 8.3f, 180, 262)};
    case '7':
      return {line({{0, 0}, {8, 0}, {2.5f, 12}})};
    case '8':
      return {arc(4, 3, 3.4f, 3, 0, 360), arc(4, 9, 4, 3, 0, 360)};
    case '9': {
      auto six = design('6');  // 9 is 6 turned half a turn
      for (auto& pl : six)
        for (auto& p : pl) p = {8 - p.x, 12 - p.y};
      return six;
    }
    case 'A':
      return {line({{0, 12}, {4, 0}, {8, 12}}), line({{1.33f, 8}, {6.67f, 8}})};
    case 'B':
      return {cat({line({{0, 6}, {0, 0}, {4.6f, 0}}), arc(4.6f, 3, 3, 3, -90, 90),
                   line({{0, 6}, {5, 6}}), arc(5, 9, 3, 3, -90, 90), line({{0, 12}, {0, 6}})})};
    case 'C':
      return {arc(4.2f, 6, 4.2f, 6, -40, -320)};
    case 'D':
      return {cat({line({{0, 12}, {0, 0}, {3, 0}}), arc(3, 6, 5, 6, -90, 90), line({{0, 12}})})};
    case 'E':
      return {line({{8, 0}, {0, 0}, {0, 12}, {8, 12}}), line({{0, 6}, {6, 6}})};
    case 'F':
      return {line({{8, 0}, {0, 0}, {0, 12}}), line({{0, 6}, {6, 6}})};
    case 'G':
      return {cat({arc(4, 6, 4, 6, -45, -360), line({{4.5f, 6}})})};
    case 'H':
      return {line({{0, 0}, {0, 12}}), line({{8, 0}, {8, 12}}), line({{0, 6}, {8, 6}})};
    case 'I':
      return {line({{4, 0}, {4, 12}}), line({{1, 0}, {7, 0}}), line({{1, 12}, {7, 12}})};
    case 'J':
      return {line({{2.5f, 0}, {8, 0}}), cat({line({{8, 0}}), arc(4, 8.5f, 4, 3.5f, 0, 180)})};
    case 'K':
      return {line({{0, 0}, {0, 12}}), line({{8, 0}, {0, 7}}), line({{2.5f, 4.8f}, {8, 12}})};
    case 'L':
      return {line({{0, 0}, {0, 12}, {8, 12}})};
    case 'M':
      return {line({{0, 12}, {0, 0}, {4, 7}, {8, 0}, {8, 12}})};
    case 'N':
      return {line({{0, 12}, {0, 0}, {8, 12}, {8, 0}})};
    case 'O':
      return {arc(4, 6, 4, 6, 0, 360)};
    case 'P':
      return {cat(
          {line({{0, 12}, {0, 0}, {5, 0}}), arc(5, 3.25f, 3, 3.25f, -90, 90), line({{0, 6.5f}})})};
    case 'Q':
      return {arc(4, 6, 4, 6, 0, 360), line({{5, 8.5f}, {8, 12}})};
    case 'R':
      return {cat({line({{0, 12}, {0, 0}, {5, 0}}), arc(5, 3.25f, 3, 3.25f, -90, 90),
                   line({{0, 6.5f}})}),
              line({{3.5f, 6.5f}, {8, 12}})};
    case 'S':
      return {cat({arc(4, 3, 4, 3, -20, -270), arc(4, 9, 4, 3, -90, 160)})};
    case 'T':
      return {line({{0, 0}, {8, 0}}), line({{4, 0}, {4, 12}})};
    case 'U':
      return {cat({line({{0, 0}}), arc(4, 8, 4, 4, 180, 0), line({{8, 0}})})};
    case 'V':
      return {line({{0, 0}, {4, 12}, {8, 0}})};
    case 'W':
      return {line({{0, 0}, {2, 12}, {4, 4}, {6, 12}, {8, 0}})};
    case 'X':
      return {line({{0, 0}, {8, 12}}), line({{8, 0}, {0, 12}})};
    case 'Y':
      return {line({{0, 0}, {4, 6}, {8, 0}}), line({{4, 6}, {4, 12}})};
    case 'Z':
      return {line({{0, 0}, {8, 0}, {0, 12}, {8, 12}})};
    default:
      return {};
  }
}

float segment_distance2(const Segment& s, float x, float y) {
  float dx = s.bx - s.ax, dy = s.by - s.ay;
  float px = x - s.ax, py = y - s.ay;
  float len2 = dx * dx + dy * dy;
  float t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0f, 1.0f) : 0.0f;
  float ex = px - t * dx, ey = py - t * dy;
  return ex * ex + ey * ey;
}

// Acceleration grid: for each cell, the segments that can be nearest to some point of the cell
// (distance to the cell centre <= nearest distance to the centre + the cell's diagonal). The
// distance stays exact; only hopeless segments are skipped.
constexpr int kCells = 24;
constexpr float kGridHalf = 1.3f;
constexpr float kCell = 2 * kGridHalf / kCells;

struct CellLists {
  std::vector<uint16_t> start;  // kCells^2 + 1 offsets into index
  std::vector<uint8_t> index;
};

struct Font {
  std::array<std::vector<Segment>, 128> segments;
  std::array<CellLists, 128> cells;
  Font() {
    for (int c = 0; c < 128; ++c) {
      for (const auto& pl : design(char(c))) {
        for (size_t i = 0; i + 1 < pl.size(); ++i) {
          auto to_unit = [](Pt p) { return Pt{(p.x - 4) * kGridScale, (p.y - 6) * kGridScale}; };
          Pt a = to_unit(pl[i]), b = to_unit(pl[i + 1]);
          segments[c].push_back({a.x, a.y, b.x, b.y});
        }
      }
      build_cells(segments[c], cells[c]);
    }
  }
  static void build_cells(const std::vector<Segment>& segs, CellLists& out) {
    out.start.assign(1, 0);
    if (segs.empty()) return;
    const float diag = kCell * std::sqrt(2.0f);
    for (int j = 0; j < kCells; ++j) {
      for (int i = 0; i < kCells; ++i) {
        const float cx = -kGridHalf + (float(i) + 0.5f) * kCell,
                    cy = -kGridHalf + (float(j) + 0.5f) * kCell;
        float best = 1e9f;
        std::vector<float> d(segs.size());
        for (size_t k = 0; k < segs.size(); ++k)
          best = std::min(best, d[k] = std::sqrt(segment_distance2(segs[k], cx, cy)));
        for (size_t k = 0; k < segs.size(); ++k)
          if (d[k] <= best + diag + 1e-4f) out.index.push_back(uint8_t(k));
        out.start.push_back(uint16_t(out.index.size()));
      }
    }
  }
};

const Font& font() {
  static const Font kFont;  // thread-safe lazy init
  return kFont;
}

}  // namespace

const std::vector<Segment>& glyph_segments(char c) {
  return font().segments[static_cast<unsigned char>(c) & 127];
}

bool glyph_supported(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

float glyph_unit_sdf(char c, float x, float y) {
  const Font& f = font();
  const int ci = static_cast<unsigned char>(c) & 127;
  const std::vector<Segment>& segs = f.segments[size_t(ci)];
  float best = 1e9f;
  const int i = int(std::floor((x + kGridHalf) / kCell)),
            j = int(std::floor((y + kGridHalf) / kCell));
  if (i >= 0 && j >= 0 && i < kCells && j < kCells && !segs.empty()) {
    const CellLists& cl = f.cells[size_t(ci)];
    const int cell = j * kCells + i;
    for (int k = cl.start[size_t(cell)]; k < cl.start[size_t(cell) + 1]; ++k)
      best = std::min(best, segment_distance2(segs[cl.index[size_t(k)]], x, y));
  } else {
    for (const Segment& s : segs) best = std::min(best, segment_distance2(s, x, y));
  }
  return std::sqrt(best) - kGlyphStrokeHalfWidth;
}

}  // namespace pictor::world
