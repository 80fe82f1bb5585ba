#include "world/caption_phrases.h"

#include <cstring>

namespace pictor::world::phrases {
namespace {

bool is_digit(char g) { return g >= '0' && g <= '9'; }
std::string join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

}  // namespace

const char* Chooser::pick(std::initializer_list<const char*> options) {
  if (terse || options.size() == 1) return *options.begin();
  return options.begin()[rng->below(int(options.size()))];
}

std::string article_for(const std::string& next) {
  if (next.empty()) return "a";
  // Single capitals and digits are read by their names: "an A", "an F", "an 8".
  if (next.size() == 1 || !std::isalpha(static_cast<unsigned char>(next[1]))) {
    return std::strchr("AEFHILMNORSX8", next[0]) ? "an" : "a";
  }
  return std::strchr("aeiou", next[0]) ? "an" : "a";
}

std::string with_article(const std::string& phrase) { return article_for(phrase) + " " + phrase; }

std::string count_word(int n, Chooser& c) {
  static const char* const kWords[] = {"zero", "one", "two", "three", "four"};
  if (n >= 0 && n <= 4 && !c.chance(0.2)) return kWords[n];
  return std::to_string(n);
}

std::string times_word(int n) {
  static const char* const kWords[] = {"", "once", "twice", "three times", "four times"};
  return n >= 1 && n <= 4 ? kWords[n] : std::to_string(n) + " times";
}

std::string shape_noun(Shape s, bool plural, Chooser& c) {
  switch (s) {
    case Shape::kCircle:
      return plural ? c.pick({"circles", "discs", "disks"}) : c.pick({"circle", "disc", "disk"});
    case Shape::kSquare:
      return plural ? c.pick({"squares", "boxes"}) : c.pick({"square", "box"});
    case Shape::kTriangle:
      return plural ? "triangles" : "triangle";
    case Shape::kStar:
      return plural ? "stars" : "star";
    case Shape::kHeart:
      return plural ? "hearts" : "heart";
    case Shape::kRing:
      return plural ? c.pick({"rings", "donuts", "hoops"}) : c.pick({"ring", "donut", "hoop"});
    case Shape::kDiamond:
      return plural ? c.pick({"diamonds", "rhombuses"}) : c.pick({"diamond", "rhombus"});
    case Shape::kCross:
      return plural ? c.pick({"crosses", "plus signs"}) : c.pick({"cross", "plus sign"});
    case Shape::kGlyph:
      return plural ? "glyphs" : "glyph";
  }
  return "shape";
}

std::string colour_word(Colour col, Chooser& c) {
  switch (col) {
    case Colour::kGrey:
      return c.pick({"grey", "gray"});
    case Colour::kPurple:
      return c.pick({"purple", "violet"});
    case Colour::kCyan:
      return c.pick({"cyan", "turquoise"});
    default:
      return colour_name(col);
  }
}

std::string size_word(Size s, Chooser& c) {
  switch (s) {
    case Size::kSmall:
      return c.pick({"small", "little"});
    case Size::kMedium:
      return c.pick({"medium", "medium sized", "mid sized"});
    case Size::kLarge:
      return c.pick({"large", "big"});
  }
  return "";
}

std::string background_colour_word(BackgroundColour b, Chooser& c) {
  switch (b) {
    case BackgroundColour::kLightGrey:
      return c.pick({"light grey", "light gray"});
    case BackgroundColour::kCream:
      return c.pick({"cream", "beige"});
    default:
      return background_colour_name(b);
  }
}

std::string region_phrase(Region r, Chooser& c) {
  switch (r) {
    case Region::kTopLeft:
      return c.pick({"at the top left", "in the top left corner", "in the upper left",
                     "in the upper left corner"});
    case Region::kTop:
      return c.pick({"at the top", "at the top centre", "at the top center", "in the top middle",
                     "near the top"});
    case Region::kTopRight:
      return c.pick({"at the top right", "in the top right corner", "in the upper right",
                     "in the upper right corner"});
    case Region::kLeft:
      return c.pick({"on the left", "at the left", "at the middle left", "on the left side"});
    case Region::kCentre:
      return c.pick({"in the centre", "in the center", "in the middle", "at the centre"});
    case Region::kRight:
      return c.pick({"on the right", "at the right", "at the middle right", "on the right side"});
    case Region::kBottomLeft:
      return c.pick({"at the bottom left", "in the bottom left corner", "in the lower left",
                     "in the lower left corner"});
    case Region::kBottom:
      return c.pick({"at the bottom", "at the bottom centre", "at the bottom center",
                     "in the bottom middle", "near the bottom"});
    case Region::kBottomRight:
      return c.pick({"at the bottom right", "in the bottom right corner", "in the lower right",
                     "in the lower right corner"});
  }
  return "";
}

std::string relation_phrase(Relation r, Chooser& c) {
  switch (r) {
    case Relation::kLeftOf:
      return c.pick({"left of", "to the left of"});
    case Relation::kRightOf:
      return c.pick({"right of", "to the right of"});
    case Relation::kAbove:
      return c.pick({"above", "over", "higher than"});
    case Relation::kBelow:
      return c.pick({"below", "under", "beneath", "underneath", "lower than"});
  }
  return "";
}

std::string relation_it_phrase(Relation r, Chooser& c) {
  switch (r) {
    case Relation::kLeftOf:
      return c.pick({"to its left", "on its left", "left of it"});
    case Relation::kRightOf:
      return c.pick({"to its right", "on its right", "right of it"});
    case Relation::kAbove:
      return c.pick({"above it", "over it"});
    case Relation::kBelow:
      return c.pick({"below it", "under it", "beneath it"});
  }
  return "";
}

namespace {

// Glyph phrases. The article-less core is e.g. "number 7", "letter A", "7", "capital A".
std::string glyph_np_one(const Object& o, const ObjectMention& m, bool definite, Chooser& c) {
  const std::string g(1, o.glyph);
  const std::string size = m.size ? size_word(o.size, c) : "";
  const std::string colour = m.colour ? colour_word(o.colour, c) : "";
  const bool digit = is_digit(o.glyph);
  const char* kind = digit ? c.pick({"number", "digit", "numeral"})
                           : c.pick({"letter", "capital", "capital letter"});
  std::string core;
  switch (c.below(3)) {
    case 0:  // "a blue 7" (the tersest)
      core = join({size, colour, g});
      break;
    case 1:  // "a blue number 7"
      core = join({size, colour, kind, g});
      break;
    default:  // "the number 7 in blue"
      core = join({size, kind, g}) + (colour.empty() ? "" : " in " + colour);
      return "the " + core;
  }
  return definite ? "the " + core : with_article(core);
}

}  // namespace

std::string object_np(const Object& o, const ObjectMention& m, int count, Chooser& c) {
  std::string np;
  if (o.shape == Shape::kGlyph) {
    if (count == 1) {
      np = glyph_np_one(o, m, false, c);
    } else if (c.chance(0.5)) {  // "the letter A in red, three times"
      ObjectMention mm = m;
      np = glyph_np_one(o, mm, true, c) + ", " + times_word(count) + ",";
    } else {  // "three copies of the number 7 in blue"
      np = count_word(count, c) + " copies of " + glyph_np_one(o, m, true, c);
    }
  } else {
    const std::string size = m.size ? size_word(o.size, c) : "";
    const std::string colour = m.colour ? colour_word(o.colour, c) : "";
    const std::string noun = shape_noun(o.shape, count > 1, c);
    const bool postpose = !colour.empty() && c.chance(0.15);  // "a star in red"
    std::string core = postpose ? join({size, noun}) + " in " + colour : join({size, colour, noun});
    np = count == 1 ? (c.chance(0.1) ? "one " + core : with_article(core))
                    : count_word(count, c) + " " + core;
  }
  if (m.region && count == 1) {
    if (!np.empty() && np.back() == ',') np.pop_back();
    np += ' ';
    np += region_phrase(region_of(o), c);
  }
  return np;
}

std::string object_ref(const Object& o, const ObjectMention& m, Chooser& c, bool plural) {
  if (o.shape == Shape::kGlyph) return glyph_np_one(o, m, true, c);
  return "the " + join({m.size ? size_word(o.size, c) : "",
                        m.colour ? colour_word(o.colour, c) : "", shape_noun(o.shape, plural, c)});
}

namespace {

std::string gradient_core(const Background& b, Chooser& c, bool with_noun) {
  const std::string from = background_colour_word(b.from, c), to = background_colour_word(b.to, c);
  const bool vertical = b.gradient == GradientDirection::kVertical;
  const char* head = with_noun ? "a gradient" : "";
  switch (c.below(3)) {
    case 0:
      return std::string(with_noun ? "a " : "") + (vertical ? "vertical" : "horizontal") +
             " gradient from " + from + " to " + to;
    case 1:
      return std::string(with_noun ? "a " : "") + (vertical ? "top to bottom" : "left to right") +
             " gradient from " + from + " to " + to;
    default:
      return join({head, "from " + from + (vertical ? " at the top to " : " on the left to ") + to +
                             (vertical ? " at the bottom" : " on the right")});
  }
}

}  // namespace

std::string background_np(const Background& b, Chooser& c) {
  if (b.gradient == GradientDirection::kNone) {
    const std::string col = background_colour_word(b.from, c);
    return with_article(col + " " + c.pick({"background", "backdrop"}));
  }
  return gradient_core(b, c, true);
}

std::string background_pp(const Background& b, Chooser& c) {
  if (b.gradient == GradientDirection::kNone) {
    const std::string col = background_colour_word(b.from, c);
    switch (c.below(4)) {
      case 0:
        return "on a " + col + " background";
      case 1:
        return "against a " + col + " background";
      case 2:
        return "on a plain " + col + " background";
      default:
        return "against a " + col + " backdrop";
    }
  }
  return std::string(c.pick({"on ", "against "})) + background_np(b, c);
}

std::string background_sentence(const Background& b, Chooser& c) {
  if (b.gradient == GradientDirection::kNone)
    return std::string(
               c.pick({"the background is ", "the backdrop is ", "the background is plain "})) +
           background_colour_word(b.from, c);
  switch (c.below(2)) {
    case 0:
      return "the background is " + background_np(b, c);
    default: {
      const std::string from = background_colour_word(b.from, c),
                        to = background_colour_word(b.to, c);
      const bool vertical = b.gradient == GradientDirection::kVertical;
      return "the background fades from " + from +
             (vertical ? " at the top to " : " on the left to ") + to +
             (vertical ? " at the bottom" : " on the right");
    }
  }
}

}  // namespace pictor::world::phrases
