#pragma once
// The scenes world: pictor's own procedural data. A Scene is a background plus 1–4 objects; every
// rendered image has its Scene as exact ground truth, and the detector reads a picture back into
// one. No torch here (DESIGN.md §2).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pictor::world {

// Geometric shapes. kGlyph is a rendered character (digit or capital letter) in Object::glyph.
enum class Shape : uint8_t {
  kCircle,
  kSquare,
  kTriangle,
  kStar,
  kHeart,
  kRing,
  kDiamond,
  kCross,
  kGlyph
};
inline constexpr int kNumGeometricShapes = 8;  // all but kGlyph

// Object colours: saturated or dark, far from every background colour.
enum class Colour : uint8_t {
  kRed,
  kOrange,
  kYellow,
  kGreen,
  kCyan,
  kBlue,
  kPurple,
  kPink,
  kBrown,
  kBlack,
  kGrey
};
inline constexpr int kNumColours = 11;

// Background colours: pale tones, named so that prompts and edits can ask for them.
enum class BackgroundColour : uint8_t {
  kWhite,
  kCream,
  kLightBlue,
  kLightGreen,
  kLavender,
  kLightGrey
};
inline constexpr int kNumBackgroundColours = 6;

enum class Size : uint8_t { kSmall, kMedium, kLarge };
inline constexpr int kNumSizes = 3;

enum class GradientDirection : uint8_t { kNone, kVertical, kHorizontal };

struct Background {
  BackgroundColour from = BackgroundColour::kWhite;  // the plain colour, or the top/left end
  BackgroundColour to = BackgroundColour::kWhite;    // the bottom/right end of a gradient
  GradientDirection gradient = GradientDirection::kNone;
  bool operator==(const Background&) const = default;
};

struct Object {
  Shape shape = Shape::kCircle;
  char glyph = 0;  // '0'–'9' or 'A'–'Z' when shape == kGlyph, else 0
  Colour colour = Colour::kRed;
  Size size = Size::kMedium;
  float cx = 0.5f, cy = 0.5f;  // centre, as a fraction of width / height (y grows downwards)
  bool operator==(const Object&) const = default;
};

struct Scene {
  Background background;
  std::vector<Object> objects;  // 1–4, never overlapping (the sampler keeps a gap between them)
  // Set by detect() only: foreground blobs that matched no shape or glyph well enough (smudges,
  // merged or malformed objects). They are not in `objects` but still count as "something there"
  // when a prompt states the number of objects. Always 0 for sampled scenes.
  int unrecognised = 0;
  // Set by detect() only: false when the background matched no named colour (or gradient) well.
  bool background_known = true;
};

// Spatial relation between two objects of a scene, by index.
enum class Relation : uint8_t { kLeftOf, kRightOf, kAbove, kBelow };
struct RelationFact {
  int a = 0, b = 0;  // "objects[a] is <relation> objects[b]"
  Relation relation = Relation::kLeftOf;
};

// Nine coarse regions a prompt can name ("at the top left", "in the centre").
enum class Region : uint8_t {
  kTopLeft,
  kTop,
  kTopRight,
  kLeft,
  kCentre,
  kRight,
  kBottomLeft,
  kBottom,
  kBottomRight
};

// What a prompt states about a scene: the facts that an image generated from that prompt must show,
// and the facts that evaluation checks. Unmentioned attributes are free.
struct ObjectMention {
  bool colour = true;
  bool size = false;
  bool region = false;
};
struct SceneSpec {
  Scene scene;                         // a scene that satisfies every stated fact
  std::vector<ObjectMention> mention;  // one per scene object
  std::vector<RelationFact> relations;
  bool mention_background = false;
  bool mention_count = true;  // the number of objects is stated ("three red stars", "two shapes")
};

// Names used in prompts and reports.
const char* shape_name(Shape s);                         // "circle"
const char* colour_name(Colour c);                       // "red"
const char* background_colour_name(BackgroundColour c);  // "light blue"
const char* size_name(Size s);                           // "small"
const char* region_name(Region r);                       // "top left"
const char* relation_name(Relation r);                   // "left of"
std::array<uint8_t, 3> colour_rgb(Colour c);
std::array<uint8_t, 3> background_rgb(BackgroundColour c);
Region region_of(const Object& o);

// Object radius as a fraction of min(width, height): every shape and glyph fits inside the square
// [cx-r, cx+r] x [cy-r, cy+r] (in units of min(width, height)). Chosen so that a small object is
// still ~13 px across at 64x64 and four large ones still fit.
float size_radius(Size s);
const char* glyph_chars();  // "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
inline constexpr int kNumGlyphs = 36;
// "small red circle", "large blue number 7": for reports and test messages.
std::string describe(const Object& o);

}  // namespace pictor::world
