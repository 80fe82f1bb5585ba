#include "world/facts.h"

#include <algorithm>
#include <cmath>

namespace pictor::world {

bool relation_holds(const Object& a, const Object& b, Relation r, float margin) {
  switch (r) {
    case Relation::kLeftOf:
      return b.cx - a.cx >= margin;
    case Relation::kRightOf:
      return a.cx - b.cx >= margin;
    case Relation::kAbove:
      return b.cy - a.cy >= margin;  // y grows downwards
    case Relation::kBelow:
      return a.cy - b.cy >= margin;
  }
  return false;
}

bool relation_clear(const Object& a, const Object& b, Relation r) {
  return relation_holds(a, b, r, std::max(0.15f, size_radius(a.size) + size_radius(b.size)));
}

bool region_clear(const Object& o, float margin) {
  auto clear = [margin](float v) {
    return std::fabs(v - 1.0f / 3) >= margin && std::fabs(v - 2.0f / 3) >= margin;
  };
  return clear(o.cx) && clear(o.cy);
}

Relation inverse(Relation r) {
  switch (r) {
    case Relation::kLeftOf:
      return Relation::kRightOf;
    case Relation::kRightOf:
      return Relation::kLeftOf;
    case Relation::kAbove:
      return Relation::kBelow;
    case Relation::kBelow:
      return Relation::kAbove;
  }
  return r;
}

}  // namespace pictor::world
