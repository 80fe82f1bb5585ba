// Word and phrase matchers behind parse_prompt() (see prompt_lexicon.h).
#include "world/prompt_lexicon.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>

#include "world/captions.h"
#include "world/facts.h"

namespace pictor::world::lexicon {
namespace {

struct Entry {
  const char* text;
  int value;
};

// Longest match of `table` at i; the table lists longer phrases first where they share a start.
size_t match_table(const Words& w, size_t i, std::initializer_list<Entry> table, int& value) {
  size_t best = 0;
  for (const Entry& e : table) {
    const size_t len = phrase_at(w, i, e.text);
    if (len > best) best = len, value = e.value;
  }
  return best;
}

}  // namespace

const std::string& at(const Words& w, size_t i) {
  static const std::string kEmpty;
  return i < w.size() ? w[i] : kEmpty;
}

bool is(const Words& w, size_t i, std::initializer_list<const char*> options) {
  const std::string& s = at(w, i);
  if (s.empty()) return false;
  return std::any_of(options.begin(), options.end(), [&](const char* o) { return s == o; });
}

size_t phrase_at(const Words& w, size_t i, const char* phrase) {
  std::string_view rest(phrase);
  size_t n = 0;
  while (!rest.empty()) {
    const size_t sp = rest.find(' ');
    const std::string_view word = rest.substr(0, sp);
    if (at(w, i + n) != word) return 0;
    ++n;
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  }
  return n;
}

std::optional<int> count_at(const Words& w, size_t i) {
  static const char* const kWords[] = {"zero", "one", "two",   "three", "four", "five",
                                       "six",  "seven", "eight", "nine", "ten"};
  const std::string& s = at(w, i);
  for (int n = 0; n <= 10; ++n)
    if (s == kWords[n] || s == std::to_string(n)) return n;
  return std::nullopt;
}

bool is_digit_word(const std::string& s) { return s.size() == 1 && s[0] >= '0' && s[0] <= '9'; }

bool is_total_noun(const std::string& s) {
  return s == "object" || s == "objects" || s == "shape" || s == "shapes" || s == "thing" ||
         s == "things" || s == "item" || s == "items";
}

bool starts_phrase_body(const Words& w, size_t i, bool glyph_ok) {
  size_t len = 0;
  bool plural = false;
  std::string bad;
  if (size_at(w, i, len) || colour_at(w, i, len, bad) || !bad.empty() ||
      shape_at(w, i, len, plural))
    return true;
  if (is(w, i, {"number", "numbers", "digit", "digits", "numeral", "numerals", "letter", "letters",
                "capital", "capitals", "single"}))
    return true;
  return glyph_ok && glyph_at(w, i, len, plural).has_value();
}

std::optional<Size> size_at(const Words& w, size_t i, size_t& len) {
  int v = 0;
  len = match_table(w, i,
                    {{"small", 0}, {"little", 0}, {"medium sized", 1}, {"mid sized", 1},
                     {"medium", 1}, {"large", 2}, {"big", 2}},
                    v);
  return len ? std::optional<Size>(Size(v)) : std::nullopt;
}

std::optional<Colour> colour_at(const Words& w, size_t i, size_t& len, std::string& bad) {
  const std::string& s = at(w, i);
  len = 0;
  if (s == "light") {
    // "light blue" names a background colour; "light red" no colour of the world.
    if (is(w, i + 1, {"red", "orange", "yellow", "green", "cyan", "turquoise", "blue", "purple",
                      "violet", "pink", "brown", "black", "grey", "gray"})) {
      bad = s + " " + at(w, i + 1);
      len = 2;
    }
    return std::nullopt;
  }
  if (s == "white" || s == "cream" || s == "beige" || s == "lavender") {
    bad = s;
    len = 1;
    return std::nullopt;
  }
  static const Entry kColours[] = {
      {"red", int(Colour::kRed)},       {"orange", int(Colour::kOrange)},
      {"yellow", int(Colour::kYellow)}, {"green", int(Colour::kGreen)},
      {"cyan", int(Colour::kCyan)},     {"turquoise", int(Colour::kCyan)},
      {"blue", int(Colour::kBlue)},     {"purple", int(Colour::kPurple)},
      {"violet", int(Colour::kPurple)}, {"pink", int(Colour::kPink)},
      {"brown", int(Colour::kBrown)},   {"black", int(Colour::kBlack)},
      {"grey", int(Colour::kGrey)},     {"gray", int(Colour::kGrey)}};
  for (const Entry& e : kColours)
    if (s == e.text) {
      len = 1;
      return Colour(e.value);
    }
  return std::nullopt;
}

std::optional<Shape> shape_at(const Words& w, size_t i, size_t& len, bool& plural) {
  struct Noun {
    const char* singular;
    const char* plural;
    Shape shape;
  };
  static const Noun kNouns[] = {
      {"circle", "circles", Shape::kCircle},     {"disc", "discs", Shape::kCircle},
      {"disk", "disks", Shape::kCircle},         {"square", "squares", Shape::kSquare},
      {"box", "boxes", Shape::kSquare},          {"triangle", "triangles", Shape::kTriangle},
      {"star", "stars", Shape::kStar},           {"heart", "hearts", Shape::kHeart},
      {"ring", "rings", Shape::kRing},           {"donut", "donuts", Shape::kRing},
      {"hoop", "hoops", Shape::kRing},           {"diamond", "diamonds", Shape::kDiamond},
      {"rhombus", "rhombuses", Shape::kDiamond}, {"cross", "crosses", Shape::kCross},
      {"plus sign", "plus signs", Shape::kCross}};
  for (const Noun& n : kNouns) {
    for (bool pl : {false, true}) {
      if (size_t l = phrase_at(w, i, pl ? n.plural : n.singular)) {
        len = l;
        plural = pl;
        return n.shape;
      }
    }
  }
  return std::nullopt;
}

std::optional<char> glyph_at(const Words& w, size_t i, size_t& len, bool& plural) {
  const std::string& s = at(w, i);
  auto digit = [](const std::string& t) { return is_digit_word(t); };
  auto capital = [](const std::string& t) { return t.size() == 1 && t[0] >= 'A' && t[0] <= 'Z'; };
  auto any_letter = [&](const std::string& t) {
    return capital(t) || (t.size() == 1 && t[0] >= 'a' && t[0] <= 'z');
  };
  plural = false;
  if (is(w, i, {"number", "numbers", "digit", "digits", "numeral", "numerals"}) &&
      digit(at(w, i + 1))) {
    plural = s.back() == 's';
    len = 2;
    return at(w, i + 1)[0];
  }
  size_t j = i;
  if (is(w, j, {"capital", "capitals"})) ++j;
  if (is(w, j, {"letter", "letters"})) ++j;
  if (j > i && any_letter(at(w, j))) {
    plural = at(w, j - 1).back() == 's';
    len = j - i + 1;
    return char(std::toupper(static_cast<unsigned char>(at(w, j)[0])));
  }
  if (digit(s) || capital(s)) {
    len = 1;
    return s[0];
  }
  return std::nullopt;
}

std::optional<BackgroundColour> background_colour_at(const Words& w, size_t& j,
                                                     std::string& bad) {
  int v = 0;
  if (size_t len = match_table(w, j,
                               {{"white", int(BackgroundColour::kWhite)},
                                {"cream", int(BackgroundColour::kCream)},
                                {"beige", int(BackgroundColour::kCream)},
                                {"lavender", int(BackgroundColour::kLavender)},
                                {"light blue", int(BackgroundColour::kLightBlue)},
                                {"light green", int(BackgroundColour::kLightGreen)},
                                {"light grey", int(BackgroundColour::kLightGrey)},
                                {"light gray", int(BackgroundColour::kLightGrey)}},
                               v)) {
    j += len;
    return BackgroundColour(v);
  }
  size_t len = 0;
  std::string ignored;
  if (colour_at(w, j, len, ignored)) {
    bad = at(w, j);
    j += len;
  }
  return std::nullopt;
}

std::optional<Background> gradient_at(const Words& w, size_t& j, std::string& bad) {
  size_t k = j;
  int dir = int(GradientDirection::kNone);
  bool reversed = false;
  int v = 0;
  if (size_t len = match_table(w, k,
                               {{"vertical", 1},
                                {"top to bottom", 1},
                                {"bottom to top", 3},
                                {"horizontal", 2},
                                {"left to right", 2},
                                {"right to left", 4}},
                               v)) {
    k += len;
    reversed = v > 2;
    dir = v > 2 ? v - 2 : v;
  }
  if (at(w, k) != "gradient") return std::nullopt;
  ++k;
  if (is(w, k, {"background", "backdrop"})) ++k;
  auto bg = gradient_from(w, k, GradientDirection(dir), bad);
  if (!bg && bad.empty()) return std::nullopt;
  j = k;
  if (bg && reversed) std::swap(bg->from, bg->to);
  return bg;
}

std::optional<Background> gradient_from(const Words& w, size_t& j, GradientDirection direction,
                                        std::string& bad) {
  size_t k = j;
  if (at(w, k) != "from") return std::nullopt;
  ++k;
  // End markers: 1 top, 2 bottom, 3 left, 4 right.
  auto end_at = [&](size_t& p) {
    int v = 0;
    if (size_t len = match_table(w, p,
                                 {{"at the top", 1},
                                  {"on the top", 1},
                                  {"at the bottom", 2},
                                  {"on the bottom", 2},
                                  {"on the left", 3},
                                  {"at the left", 3},
                                  {"on the right", 4},
                                  {"at the right", 4}},
                                 v)) {
      p += len;
      return v;
    }
    return 0;
  };
  std::string bad_from, bad_to;
  auto from = background_colour_at(w, k, bad_from);
  if (!from && bad_from.empty()) return std::nullopt;
  const int end_from = end_at(k);
  if (at(w, k) != "to") return std::nullopt;
  ++k;
  auto to = background_colour_at(w, k, bad_to);
  if (!to && bad_to.empty()) return std::nullopt;
  const int end_to = end_at(k);
  j = k;
  if (!from || !to) {
    bad = !bad_from.empty() ? bad_from : bad_to;
    return std::nullopt;
  }
  Background bg{*from, *to, direction};
  const int end = end_from ? end_from : end_to;
  if (end == 1 || end == 2) bg.gradient = GradientDirection::kVertical;
  if (end == 3 || end == 4) bg.gradient = GradientDirection::kHorizontal;
  if (bg.gradient == GradientDirection::kNone) bg.gradient = GradientDirection::kVertical;
  if (end_from == 2 || end_from == 4 || end_to == 1 || end_to == 3) std::swap(bg.from, bg.to);
  if (bg.from == bg.to) bg.gradient = GradientDirection::kNone;
  return bg;
}

size_t relation_at(const Words& w, size_t i, Relation& r, bool& it) {
  // value: relation * 2 + (1 for the "it" forms)
  int v = 0;
  const size_t len =
      match_table(w, i,
                  {{"to the left of", 0},  {"on the left of", 0}, {"left of it", 1},
                   {"to its left", 1},     {"on its left", 1},    {"left of", 0},
                   {"to the right of", 2}, {"on the right of", 2}, {"right of it", 3},
                   {"to its right", 3},    {"on its right", 3},   {"right of", 2},
                   {"above it", 5},        {"over it", 5},        {"on top of", 4},
                   {"higher than", 4},     {"above", 4},          {"over", 4},
                   {"below it", 7},        {"under it", 7},       {"beneath it", 7},
                   {"underneath it", 7},   {"lower than", 6},     {"below", 6},
                   {"under", 6},           {"beneath", 6},        {"underneath", 6}},
                  v);
  if (!len) return 0;
  r = Relation(v / 2);
  it = v % 2 == 1;
  return len;
}

size_t region_at(const Words& w, size_t i, Region& r) {
  if (!is(w, i, {"at", "in", "on", "near"}) || at(w, i + 1) != "the") return 0;
  size_t j = i + 2;
  auto row_of = [](const std::string& s) {
    return s == "top" || s == "upper" ? 0 : (s == "bottom" || s == "lower" ? 2 : -1);
  };
  auto col_of = [](const std::string& s) { return s == "left" ? 0 : (s == "right" ? 2 : -1); };
  auto mid = [](const std::string& s) { return s == "middle" || s == "centre" || s == "center"; };
  int row = -1, col = -1;
  const std::string& a = at(w, j);
  const std::string& b = at(w, j + 1);
  if (row_of(a) >= 0) {
    row = row_of(a);
    ++j;
    if (col_of(b) >= 0) col = col_of(b), ++j;
    else if (mid(b)) col = 1, ++j;
    else col = 1;
  } else if (col_of(a) >= 0) {
    row = 1, col = col_of(a), ++j;
  } else if (mid(a)) {
    ++j;
    row = 1, col = 1;
    if (col_of(b) >= 0) col = col_of(b), ++j;
    else if (row_of(b) >= 0) row = row_of(b), ++j;
  } else {
    return 0;
  }
  if (is(w, j, {"corner", "side"})) ++j;
  r = Region(row * 3 + col);
  return j - i;
}

const std::vector<std::string>& filler_words() {
  static const std::vector<std::string> kFillers = {
      "a",       "an",       "the",    "of",      "picture", "image",   "showing", "drawing",
      "draw",    "show",     "render", "there",   "is",      "are",     "make",    "with",
      "please",  "generate", "create", "scene",   "paint",   "simple",  "illustration",
      "can",     "you",      "give",   "me",      "graphic", "holding", "and",     "plus",
      "along",   "together", "namely", "sits",    "should",  "be",      "appears", "placed",
      "has",     "also",     "both",   "each",    "next",    "then"};
  return kFillers;
}

bool is_filler(const std::string& word) {
  static const std::set<std::string> kSet(filler_words().begin(), filler_words().end());
  return kSet.count(word) > 0;
}

bool is_known_word(const std::string& word) {
  static const std::set<std::string> kKnown = [] {
    const auto v = vocabulary();
    std::set<std::string> s(v.begin(), v.end());
    for (const char* extra : {"thrice", "five", "six", "seven", "eight", "nine", "ten", "numerals",
                              "capitals"})
      s.insert(extra);
    return s;
  }();
  return kKnown.count(word) > 0;
}

void lay_out(SceneSpec& spec, const std::vector<std::optional<Region>>& fixed) {
  auto& objs = spec.scene.objects;
  const int n = int(objs.size());
  auto centre = [](int cell, Object& o) {
    o.cx = (float(cell % 3) + 0.5f) / 3;
    o.cy = (float(cell / 3) + 0.5f) / 3;
  };
  // Left, right, top, bottom first: two objects sit side by side, one in the middle.
  static const int kOrder[] = {3, 5, 1, 7, 0, 2, 6, 8, 4};
  if (n == 1) {
    centre(fixed[0] ? int(*fixed[0]) : 4, objs[0]);
    return;
  }
  std::vector<bool> used(9, false);
  auto consistent = [&](int upto) {
    for (const auto& f : spec.relations) {
      if (f.a > upto || f.b > upto || f.a < 0 || f.b < 0 || f.a >= n || f.b >= n) continue;
      if (!relation_holds(objs[size_t(f.a)], objs[size_t(f.b)], f.relation, 0.3f)) return false;
    }
    return true;
  };
  int budget = 20000;  // placements tried; n > 4 only happens outside the world
  auto place = [&](auto&& self, int i) -> bool {
    if (i == n) return true;
    if (--budget < 0) return false;
    for (int c : kOrder) {
      if (fixed[size_t(i)] ? c != int(*fixed[size_t(i)]) : used[size_t(c)]) continue;
      centre(c, objs[size_t(i)]);
      if (!consistent(i)) continue;
      const bool was = used[size_t(c)];
      used[size_t(c)] = true;
      if (self(self, i + 1)) return true;
      used[size_t(c)] = was;
    }
    return false;
  };
  if (place(place, 0)) return;
  for (int i = 0; i < n; ++i)
    centre(fixed[size_t(i)] ? int(*fixed[size_t(i)]) : kOrder[i % 9], objs[size_t(i)]);
}

}  // namespace pictor::world::lexicon
