// Names, colours and geometry helpers of the scenes world.
#include "world/scene.h"

namespace pictor::world {

const char* shape_name(Shape s) {
  switch (s) {
    case Shape::kCircle:
      return "circle";
    case Shape::kSquare:
      return "square";
    case Shape::kTriangle:
      return "triangle";
    case Shape::kStar:
      return "star";
    case Shape::kHeart:
      return "heart";
    case Shape::kRing:
      return "ring";
    case Shape::kDiamond:
      return "diamond";
    case Shape::kCross:
      return "cross";
    case Shape::kGlyph:
      return "glyph";
  }
  return "?";
}

const char* colour_name(Colour c) {
  static const char* const kNames[kNumColours] = {"red",   "orange", "yellow", "green",
                                                  "cyan",  "blue",   "purple", "pink",
                                                  "brown", "black",  "grey"};
  return int(c) < kNumColours ? kNames[int(c)] : "?";
}

const char* background_colour_name(BackgroundColour c) {
  static const char* const kNames[kNumBackgroundColours] = {
      "white", "cream", "light blue", "light green", "lavender", "light grey"};
  return int(c) < kNumBackgroundColours ? kNames[int(c)] : "?";
}

const char* size_name(Size s) {
  switch (s) {
    case Size::kSmall:
      return "small";
    case Size::kMedium:
      return "medium";
    case Size::kLarge:
      return "large";
  }
  return "?";
}

const char* region_name(Region r) {
  static const char* const kNames[9] = {"top left",    "top",    "top right",
                                        "left",        "centre", "right",
                                        "bottom left", "bottom", "bottom right"};
  return int(r) < 9 ? kNames[int(r)] : "?";
}

const char* relation_name(Relation r) {
  switch (r) {
    case Relation::kLeftOf:
      return "left of";
    case Relation::kRightOf:
      return "right of";
    case Relation::kAbove:
      return "above";
    case Relation::kBelow:
      return "below";
  }
  return "?";
}

// Object colours are saturated or dark and at least ~90 apart (RGB distance) from each other;
// background colours are pale, ~40 apart from each other and >= 120 from every object colour, so
// that the detector can separate foreground from background and name colours without doubt.
std::array<uint8_t, 3> colour_rgb(Colour c) {
  static const std::array<uint8_t, 3> kRgb[kNumColours] = {
      {215, 35, 35},   // red
      {240, 120, 0},   // orange
      {240, 210, 20},  // yellow
      {30, 140, 50},   // green
      {0, 170, 190},   // cyan
      {35, 70, 215},   // blue
      {125, 45, 175},  // purple
      {235, 85, 175},  // pink
      {115, 65, 25},   // brown
      {25, 25, 25},    // black
      {125, 125, 125}  // grey
  };
  return kRgb[int(c) % kNumColours];
}

std::array<uint8_t, 3> background_rgb(BackgroundColour c) {
  static const std::array<uint8_t, 3> kRgb[kNumBackgroundColours] = {
      {255, 255, 255},  // white
      {250, 238, 195},  // cream
      {185, 215, 250},  // light blue
      {200, 240, 195},  // light green
      {230, 200, 250},  // lavender
      {200, 200, 205},  // light grey
  };
  return kRgb[int(c) % kNumBackgroundColours];
}

Region region_of(const Object& o) {
  auto third = [](float v) { return v < 1.0f / 3 ? 0 : (v < 2.0f / 3 ? 1 : 2); };
  return Region(third(o.cy) * 3 + third(o.cx));
}

float size_radius(Size s) {
  switch (s) {
    case Size::kSmall:
      return 0.10f;
    case Size::kMedium:
      return 0.145f;
    case Size::kLarge:
      return 0.20f;
  }
  return 0.145f;
}

const char* glyph_chars() { return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"; }

std::string describe(const Object& o) {
  std::string s = size_name(o.size);
  s += ' ';
  s += colour_name(o.colour);
  s += ' ';
  if (o.shape == Shape::kGlyph) {
    bool digit = o.glyph >= '0' && o.glyph <= '9';
    s += digit ? "number " : "letter ";
    s += o.glyph;
  } else {
    s += shape_name(o.shape);
  }
  return s;
}

}  // namespace pictor::world
