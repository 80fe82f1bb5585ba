// The closed vocabulary and the word-splitting rule (see captions.h).
#include <algorithm>
#include <cctype>

#include "world/captions.h"

namespace pictor::world {

std::vector<std::string> tokenize_words(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (cur.empty()) return;
    const bool glyph_letter = cur.size() == 1 && cur[0] >= 'A' && cur[0] <= 'Z';
    if (!glyph_letter)
      for (char& ch : cur)
        if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
    words.push_back(std::move(cur));
    cur.clear();
  };
  for (char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (u >= 0x80 || std::isalnum(u)) {
      cur += ch;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

std::vector<std::string> vocabulary() {
  // Caption words (captions.cpp, caption_phrases.cpp) and edit-instruction words. Appending is
  // safe: a trained model stores the vocabulary it was trained with.
  // clang-format off
  static const char* const kWords[] = {
      // glyph tokens
      "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F", "G", "H", "I",
      "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
      // shapes and glyph words
      "circle", "circles", "disc", "discs", "disk", "disks", "square", "squares", "box", "boxes",
      "triangle", "triangles", "star", "stars", "heart", "hearts", "ring", "rings", "donut",
      "donuts", "hoop", "hoops", "diamond", "diamonds", "rhombus", "rhombuses", "cross", "crosses",
      "plus", "sign", "signs", "glyph", "glyphs", "number", "numbers", "digit", "digits", "numeral",
      "letter", "letters", "capital", "copies", "copy", "shape", "shapes", "object", "objects",
      "thing", "things", "item", "items",
      // colours, sizes
      "red", "orange", "yellow", "green", "cyan", "turquoise", "blue", "purple", "violet", "pink",
      "brown", "black", "grey", "gray", "white", "cream", "beige", "light", "lavender", "small",
      "little", "medium", "sized", "mid", "large", "big", "plain",
      // counts
      "zero", "one", "two", "three", "four", "once", "twice", "times", "exactly", "only", "just",
      "single", "nothing", "else", "total", "all", "altogether", "namely",
      // positions and relations
      "top", "bottom", "left", "right", "centre", "center", "middle", "upper", "lower", "corner",
      "side", "near", "above", "below", "over", "under", "beneath", "underneath", "higher", "than",
      "its", "it", "of", "to", "on", "at", "in", "the", "a", "an",
      // backgrounds
      "background", "backdrop", "gradient", "vertical", "horizontal", "from", "fades", "against",
      // frames and glue
      "and", "with", "along", "together", "is", "are", "there", "sits", "should", "be", "appears",
      "placed", "has", "picture", "image", "showing", "drawing", "draw", "show", "render", "make",
      "please", "generate", "create", "scene", "paint", "simple", "illustration", "can", "you",
      "give", "me", "graphic", "holding",
      // edit instructions
      "change", "turn", "into", "recolour", "recolor", "colour", "color", "move", "shift", "put",
      "place", "add", "insert", "remove", "delete", "erase", "take", "away", "out", "replace",
      "swap", "instead", "more", "fewer", "less", "another", "extra", "bigger", "smaller", "larger",
      "them", "their", "that", "so", "now", "keep", "rest", "same", "everything", "other", "others",
      "both", "each", "every", "also", "but", "then", "up", "down", "further", "towards", "toward",
      "edge", "mask", "masked", "region", "area", "inside", "outside", "fill", "inpaint", "new",
      "make", "become", "becomes", "let", "should", "by", "for", "into", "onto", "next", "beside",
      "between", "around", "move", "elsewhere", "position", "size", "count", "empty", "space",
      // edit instructions (world/edit_phrases.cpp, world/edit_templates.cpp)
      "write", "use", "as", "set", "switch", "fade", "get", "rid", "here", "second", "third",
      "fourth", "leftmost", "rightmost", "topmost", "bottommost", "highest", "lowest",
  };
  // clang-format on
  std::vector<std::string> v(std::begin(kWords), std::end(kWords));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace pictor::world
