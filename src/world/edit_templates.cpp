// Instruction templates of the edit data, several paraphrases per kind (see edit_phrases.h).
#include <string>

#include "world/edit_phrases.h"

namespace pictor::world::edit_phrases {
namespace {

bool is_digit(char g) { return g >= '0' && g <= '9'; }

// Adds "please" or a full stop now and then.
std::string finish(std::string s, Chooser& c) {
  const int r = c.below(20);
  const bool polite = s.find("please") != std::string::npos;
  if (r == 0 && !polite) s = "please " + s;
  if (r == 1 && !polite && s.back() != '?') s += ", please";
  if (r >= 2 && r <= 4 && s.back() != '?') s += '.';
  return s;
}

}  // namespace

std::string recolour_text(const std::string& ref, Colour to, Chooser& c) {
  const std::string col = phrases::colour_word(to, c);
  std::string s;
  switch (c.below(12)) {
    case 0:
      s = "make " + ref + " " + col;
      break;
    case 1:
      s = "turn " + ref + " " + col;
      break;
    case 2:
      s = std::string(c.pick({"recolour ", "recolor "})) + ref + " to " + col;
      break;
    case 3:
      s = std::string(c.pick({"recolour ", "recolor "})) + ref + " " + col;
      break;
    case 4:
      s = std::string("change the ") + c.pick({"colour", "color"}) + " of " + ref + " to " + col;
      break;
    case 5:
      s = "change " + ref + " to " + col;
      break;
    case 6:
      s = std::string(c.pick({"colour ", "color "})) + ref + " " + col;
      break;
    case 7:
      s = "paint " + ref + " " + col;
      break;
    case 8:
      s = ref + " should be " + col;
      break;
    case 9:
      s = "make " + ref + " " + col + " instead";
      break;
    case 10:
      s = "can you make " + ref + " " + col + "?";
      break;
    default:
      s = "now " + std::string(c.pick({"make ", "turn "})) + ref + " " + col;
      break;
  }
  return finish(s, c);
}

std::string move_region_text(const std::string& ref, Region dest, Chooser& c) {
  std::string s;
  switch (c.below(9)) {
    case 0:
      s = "move " + ref + " " + destination_phrase(dest, c);
      break;
    case 1:
      s = "shift " + ref + " " + destination_phrase(dest, c);
      break;
    case 2:
      s = "put " + ref + " " + phrases::region_phrase(dest, c);
      break;
    case 3:
      s = "place " + ref + " " + phrases::region_phrase(dest, c);
      break;
    case 4:
      s = ref + " should be " + phrases::region_phrase(dest, c);
      break;
    case 5:
      s = "move " + ref + " so that it is " + phrases::region_phrase(dest, c);
      break;
    case 6:
      s = "take " + ref + " " + destination_phrase(dest, c);
      break;
    case 7:
      s = "now move " + ref + " " + destination_phrase(dest, c);
      break;
    default:
      s = "can you move " + ref + " " + destination_phrase(dest, c) + "?";
      break;
  }
  return finish(s, c);
}

std::string move_relation_text(const std::string& ref, Relation r, const std::string& anchor,
                               Chooser& c) {
  const std::string rel = phrases::relation_phrase(r, c);
  std::string s;
  switch (c.below(7)) {
    case 0:
      s = "put " + ref + " " + rel + " " + anchor;
      break;
    case 1:
      s = "move " + ref + " " + rel + " " + anchor;
      break;
    case 2:
      s = "place " + ref + " " + rel + " " + anchor;
      break;
    case 3:
      s = ref + " should be " + rel + " " + anchor;
      break;
    case 4:
      s = "move " + ref + " so that it is " + rel + " " + anchor;
      break;
    case 5:
      s = "shift " + ref + " so it sits " + rel + " " + anchor;
      break;
    default:
      s = "now put " + ref + " " + rel + " " + anchor;
      break;
  }
  return finish(s, c);
}

std::string add_text(const std::string& np, const std::string& where, Chooser& c) {
  const std::string w = where.empty() ? "" : " " + where;
  std::string s;
  switch (c.below(9)) {
    case 0:
      s = "add " + np + w;
      break;
    case 1:
      s = "put " + np +
          (where.empty() ? std::string(" in the ") + c.pick({"picture", "image", "scene"}) : w);
      break;
    case 2:
      s = "insert " + np + w;
      break;
    case 3:
      s = "draw " + np + w;
      break;
    case 4:
      s = "place " + np +
          (where.empty() ? std::string(" in the ") + c.pick({"picture", "image", "scene"}) : w);
      break;
    case 5:
      s = "also add " + np + w;
      break;
    case 6:
      s = "there should also be " + np + w;
      break;
    case 7:
      s = "can you add " + np + w + "?";
      break;
    default:
      s = "add " + np +
          (where.empty() ? std::string(" to the ") + c.pick({"picture", "image", "scene"}) : w);
      break;
  }
  return finish(s, c);
}

std::string remove_text(const std::string& ref, Chooser& c) {
  std::string s;
  switch (c.below(9)) {
    case 0:
      s = "remove " + ref;
      break;
    case 1:
      s = "delete " + ref;
      break;
    case 2:
      s = "erase " + ref;
      break;
    case 3:
      s = "take away " + ref;
      break;
    case 4:
      s = "take " + ref + " away";
      break;
    case 5:
      s = "take " + ref + " out";
      break;
    case 6:
      s = "get rid of " + ref;
      break;
    case 7:
      s = "remove " + ref + " from the " + c.pick({"picture", "image", "scene"});
      break;
    default:
      s = "can you remove " + ref + "?";
      break;
  }
  return finish(s, c);
}

std::string replace_text(const std::string& ref, const std::string& new_np, Chooser& c) {
  std::string s;
  switch (c.below(9)) {
    case 0:
      s = "replace " + ref + " with " + new_np;
      break;
    case 1:
      s = "replace " + ref + " by " + new_np;
      break;
    case 2:
      s = "swap " + ref + " for " + new_np;
      break;
    case 3:
      s = "turn " + ref + " into " + new_np;
      break;
    case 4:
      s = "change " + ref + " into " + new_np;
      break;
    case 5:
      s = "change " + ref + " to " + new_np;
      break;
    case 6:
      s = "make " + ref + " " + new_np;
      break;
    case 7:
      s = ref + " should be " + new_np + " instead";
      break;
    default:
      s = "use " + new_np + " instead of " + ref;
      break;
  }
  return finish(s, c);
}

std::string count_text(const Object& kind, bool colour, int from, int to, Chooser& c) {
  std::string s;
  if (to == from + 1 && c.chance(0.5)) {
    const std::string one = group_singular(kind, colour, c);
    static const char* const kOrdinal[] = {"", "", "second", "third", "fourth"};
    switch (c.below(5)) {
      case 0:
        s = "add another " + one;
        break;
      case 1:
        s = "add one more " + one;
        break;
      case 2:
        s = "add an extra " + one;
        break;
      case 3:
        s = "one more " + one + ", please";
        break;
      default:
        s = "add " + phrases::with_article(std::string(kOrdinal[to]) + " " + one);
        break;
    }
    return finish(s, c);
  }
  if (to == from - 1 && c.chance(0.5)) {
    const std::string many = group_plural(kind, colour, c);
    switch (c.below(5)) {
      case 0:
        s = "remove one of the " + many;
        break;
      case 1:
        s = "delete one of the " + many;
        break;
      case 2:
        s = "take away one of the " + many;
        break;
      case 3:
        s = "get rid of one of the " + many;
        break;
      default:
        s = "erase one of the " + many;
        break;
    }
    return finish(s, c);
  }
  std::string target;
  if (to == 1) {
    target = std::string(c.pick({"one ", "a single ", "just one ", "only one "})) +
             group_singular(kind, colour, c);
  } else {
    target = phrases::count_word(to, c) + " " + group_plural(kind, colour, c);
  }
  switch (c.below(6)) {
    case 0:
      s = "make it " + target;
      break;
    case 1:
      s = "make that " + target;
      break;
    case 2:
      s = "there should be " + target;
      break;
    case 3:
      s = "change the number of " + group_plural(kind, colour, c) + " to " +
          phrases::count_word(to, c);
      break;
    case 4:
      s = target + " instead of " + phrases::count_word(from, c);
      break;
    default:
      s = "let there be " + target;
      break;
  }
  return finish(s, c);
}

std::string background_text(const Background& b, Chooser& c) {
  std::string s;
  if (b.gradient == GradientDirection::kNone) {
    const std::string col = phrases::background_colour_word(b.from, c);
    switch (c.below(11)) {
      case 0:
        s = "change the background to " + col;
        break;
      case 1:
        s = "make the background " + col;
        break;
      case 2:
        s = "turn the background " + col;
        break;
      case 3:
        s = "set the background to " + col;
        break;
      case 4:
        s = "use " + phrases::with_article(col) + " background";
        break;
      case 5:
        s = "give it " + phrases::with_article(col) + " background";
        break;
      case 6:
        s = "the background should be " + col;
        break;
      case 7:
        s = "paint the background " + col;
        break;
      case 8:
        s = "switch the background to " + col;
        break;
      case 9:
        s = "change the backdrop to " + col;
        break;
      default:
        s = std::string(c.pick({"recolour", "recolor"})) + " the background " + col;
        break;
    }
    return finish(s, c);
  }
  const bool vertical = b.gradient == GradientDirection::kVertical;
  switch (c.below(8)) {
    case 0:
      s = "make the background " + phrases::background_np(b, c);
      break;
    case 1:
      s = "change the background to " + phrases::background_np(b, c);
      break;
    case 2:
      s = "use " + phrases::background_np(b, c) + " as the background";
      break;
    case 3:
      s = "replace the background with " + phrases::background_np(b, c);
      break;
    case 4:
      s = "the background should be " + phrases::background_np(b, c);
      break;
    case 5: {
      const std::string from = phrases::background_colour_word(b.from, c);
      const std::string to = phrases::background_colour_word(b.to, c);
      s = "let the background fade from " + from +
          (vertical ? " at the top to " : " on the left to ") + to +
          (vertical ? " at the bottom" : " on the right");
      break;
    }
    case 6:
      s = "turn the background into " + phrases::background_np(b, c);
      break;
    default:
      s = "set the background to " + phrases::background_np(b, c);
      break;
  }
  return finish(s, c);
}

std::string glyph_write_text(const std::string& np, const std::string& where, Chooser& c) {
  const std::string w = where.empty() ? "" : " " + where;
  std::string s;
  switch (c.below(7)) {
    case 0:
      s = "write " + np + w;
      break;
    case 1:
      s = "add " + np + w;
      break;
    case 2:
      s = "draw " + np + w;
      break;
    case 3:
      s = "put " + np +
          (where.empty() ? std::string(" in the ") + c.pick({"picture", "image", "scene"}) : w);
      break;
    case 4:
      s = "insert " + np + w;
      break;
    case 5:
      s = "can you write " + np + w + "?";
      break;
    default:
      s = "also write " + np + w;
      break;
  }
  return finish(s, c);
}

std::string glyph_replace_text(const std::string& ref, char to, Chooser& c) {
  const std::string g(1, to);
  std::string np;
  if (is_digit(to)) {
    np = c.chance(0.5) ? phrases::with_article(g)
                       : std::string(c.pick({"the number ", "the digit ", "a number "})) + g;
  } else {
    np = c.chance(0.5) ? phrases::with_article(g)
                       : std::string(c.pick({"the letter ", "a capital ", "a letter "})) + g;
  }
  std::string s;
  switch (c.below(7)) {
    case 0:
      s = "change " + ref + " to " + np;
      break;
    case 1:
      s = "replace " + ref + " with " + np;
      break;
    case 2:
      s = "turn " + ref + " into " + np;
      break;
    case 3:
      s = "make " + ref + " " + np;
      break;
    case 4:
      s = "swap " + ref + " for " + np;
      break;
    case 5:
      s = ref + " should be " + np + " instead";
      break;
    default:
      s = "write " + np + " instead of " + ref;
      break;
  }
  return finish(s, c);
}

std::string inpaint_text(const std::string& np, Chooser& c) {
  switch (c.below(12)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      return np;
    case 5:
      return "fill the masked area with " + np;
    case 6:
      return "fill the mask with " + np;
    case 7:
      return np + " in the masked " + c.pick({"area", "region"});
    case 8:
      return "inpaint " + np;
    case 9:
      return std::string(c.pick({"draw ", "put "})) + np + " here";
    case 10:
      return "paint " + np + " in the masked region";
    default:
      return np + ".";
  }
}

}  // namespace pictor::world::edit_phrases
