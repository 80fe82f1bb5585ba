// Category rules (see prompt_category.h, category_keywords.cpp for the lists, docs/arena-axes.md).
//
// The skill categories come first because they say what a prompt tests whatever it depicts: text
// (quoted or named text, glyphs), counting (a number of things), spatial (where things are).
// Then the explicit framing categories, abstract and art (style or medium). Then colour (two or
// more colours bound to things, or a recolouring). Last the subject: the category of the main noun,
// the first subject keyword in head-first languages and the last one in head-final ones.
#include "arena/axes/prompt_category.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "arena/axes/category_keywords.h"
#include "arena/axes/prompt_language.h"
#include "arena/axes/text_fold.h"

namespace pictor::arena {
namespace {

// " w1 w2 … " for words[from, to): feeds the keyword matchers with a window of words.
std::string window(const std::vector<std::string>& words, std::size_t from, std::size_t to) {
  std::string s = " ";
  for (std::size_t i = from; i < std::min(to, words.size()); ++i) s += words[i] + " ";
  return s;
}

// The word is a keyword of the list, an English plural of one allowed ("stars").
bool word_in(const std::string& w, List list) {
  return contains_any(" " + w + " ", keywords(list));
}

// The word is exactly an entry of the list (or starts with a "word*" entry): for closed lists of
// function words and exceptions, where "glasses" must not count as "glass".
bool word_is(const std::string& w, List list) {
  for (const Keyword& kw : keywords(list))
    if (kw.prefix ? w.compare(0, kw.text.size(), kw.text) == 0 : w == kw.text) return true;
  return false;
}

bool all_digits(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A prompt as the rules read it.
struct Words {
  std::string folded;
  std::string plain;  // folded, with inherent colours ("blue sky", "black and white") blanked
  std::vector<std::string> list;  // the words of folded
};

std::string blank_idioms(std::string f) {
  for (const Keyword& kw : keywords(List::kColourIdioms))
    for (const Match& m : find_matches(f, kw)) std::fill_n(f.begin() + m.pos, m.len, ' ');
  return f;
}

// The tag of the list entry the word is exactly ("" when none): the language of a verb.
std::string tag_of(const std::string& w, List list) {
  for (const Keyword& kw : keywords(list))
    if (w == kw.text) return kw.tag;
  return "";
}

bool has_tagged(const std::string& w, List list, const std::string& tag) {
  for (const Keyword& kw : keywords(list))
    if (w == kw.text && kw.tag == tag) return true;
  return false;
}

// --- text ---------------------------------------------------------------------------------

// A quoted span: "…", “…”, „…“, «…», 「…」, 『…』, ‘…’, or '…' where the quote marks stand at word
// edges (so "the cat's toy" is not a quote).
bool has_quoted(std::string_view raw) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {"\"", "\""},         {"\u201C", "\u201D"}, {"\u201E", "\u201C"}, {"\u00AB", "\u00BB"},
      {"\u300C", "\u300D"}, {"\u300E", "\u300F"}, {"\u2018", "\u2019"}};
  for (const auto& [open, close] : kPairs) {
    const std::size_t a = raw.find(open);
    if (a == std::string_view::npos) continue;
    const std::size_t from = a + std::string_view(open).size();
    const std::size_t b = raw.find(close, from);
    if (b != std::string_view::npos && b > from) return true;
  }
  for (std::size_t a = 0; a < raw.size(); ++a) {
    if (raw[a] != '\'' || (a > 0 && !std::isspace(static_cast<unsigned char>(raw[a - 1])) &&
                           raw[a - 1] != '(' && raw[a - 1] != ':'))
      continue;
    for (std::size_t b = a + 2; b < raw.size(); ++b) {
      if (raw[b] != '\'') continue;
      const bool closes =
          !std::isspace(static_cast<unsigned char>(raw[b - 1])) &&
          (b + 1 == raw.size() || !std::isalnum(static_cast<unsigned char>(raw[b + 1])));
      if (closes) return true;
    }
  }
  return false;
}

// "a blue 7", "a big red A": a lone digit or capital right after a colour or size word.
bool has_bare_glyph(std::string_view raw) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += c;
    } else if (!cur.empty()) {
      tokens.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    const auto c0 = static_cast<unsigned char>(t[0]);
    if (t.size() != 1 || !(std::isdigit(c0) || std::isupper(c0))) continue;
    std::string prev = tokens[i - 1];
    for (char& c : prev) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (word_in(prev, List::kColourWords) || word_is(prev, List::kSizeWords)) return true;
  }
  return false;
}

bool is_text(std::string_view raw, const Words& w) {
  if (has_quoted(raw) || contains_any(w.folded, keywords(List::kTextPhrases)) ||
      has_bare_glyph(raw))
    return true;
  // "the number 7", "the letter A", "der Buchstabe B".
  for (std::size_t i = 0; i + 1 < w.list.size(); ++i) {
    const std::string& next = w.list[i + 1];
    if (all_digits(next) && word_is(w.list[i], List::kNumberNouns)) return true;
    if (next.size() == 1 && std::isalpha(static_cast<unsigned char>(next[0])) &&
        word_is(w.list[i], List::kLetterNouns))
      return true;
  }
  return false;
}

// --- counting ------------------------------------------------------------------------------

bool plural_like(const std::string& w) {
  if (word_is(w, List::kIrregularPlurals)) return true;
  if (w.size() < 3 || word_is(w, List::kNotPlural)) return false;
  const char last = w.back();
  const std::string tail2 = w.substr(w.size() - 2);
  if (last == 's') return tail2 != "ss" && tail2 != "us" && tail2 != "is";
  // German and Dutch plurals in -en, Italian ones in -i: "3 Katzen", "3 gatti".
  return w.size() >= 4 && (tail2 == "en" || last == 'i');
}

bool unspaced_count(std::string_view folded) {
  const auto& numerals = keywords(List::kCjkNumerals);
  const auto& classifiers = keywords(List::kCjkClassifiers);
  std::size_t i = 0;
  while (i < folded.size()) {
    const std::size_t start = i;
    next_code_point(folded, i);
    const std::string_view ch = folded.substr(start, i - start);
    const bool numeral = std::any_of(numerals.begin(), numerals.end(),
                                     [&](const Keyword& k) { return k.text == ch; });
    if (!numeral || i >= folded.size()) continue;
    std::size_t j = i;
    next_code_point(folded, j);
    const std::string_view after = folded.substr(i, j - i);
    if (std::any_of(classifiers.begin(), classifiers.end(),
                    [&](const Keyword& k) { return k.text == after; }))
      return true;
  }
  return false;
}

bool korean_count(const Words& w) {
  for (std::size_t i = 0; i < w.list.size(); ++i) {
    for (const Keyword& n : keywords(List::kKoreanNumbers)) {
      const std::string& word = w.list[i];
      if (word.compare(0, n.text.size(), n.text) != 0) continue;
      // "세 마리", or joined "세마리".
      std::string rest = word.substr(n.text.size());
      if (rest.empty() && i + 1 < w.list.size()) rest = w.list[i + 1];
      for (const Keyword& c : keywords(List::kKoreanCounters))
        if (rest.compare(0, c.text.size(), c.text) == 0 && !rest.empty()) return true;
    }
  }
  return false;
}

bool is_counting(const Words& w) {
  if (contains_any(w.folded, keywords(List::kCountPhrases))) return true;
  if (unspaced_count(w.folded) || korean_count(w)) return true;
  const auto& words = w.list;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (i > 0 && word_is(words[i - 1], List::kNumberNouns)) continue;  // "number 7" is text
    const bool digits =
        all_digits(word) && word.size() <= 3 && std::stoi(word) >= 2 && std::stoi(word) <= 100;
    const bool english = word_is(word, List::kEnglishNumbers);
    const bool other = !english && word_is(word, List::kOtherNumbers);
    if (!digits && !english && !other) continue;
    if (i + 1 >= words.size() || word_is(words[i + 1], List::kUnits)) continue;
    if (other) {
      if (!word_is(words[i + 1], List::kStopwords)) return true;
      continue;
    }
    for (std::size_t k = i + 1; k < std::min(words.size(), i + 5); ++k)
      if (plural_like(words[k])) return true;
  }
  return false;
}

// --- spatial -------------------------------------------------------------------------------

bool is_spatial(const Words& w) {
  const std::string& f = w.folded;
  if (contains_any(f, keywords(List::kSpatialStrong)) ||
      contains_any(f, keywords(List::kMoveVerbs)))
    return true;
  // "at the top" is a position; "at the top of a hill" is a place.
  for (const Keyword& kw : keywords(List::kSpatialAbsolute))
    for (const Match& m : find_matches(f, kw))
      if (f.compare(m.pos + m.len, 4, " of ") != 0) return true;
  // "above", "under", "behind": a relation only between shapes, coloured or counted things or
  // everyday objects ("a red ball under a blue box", "a lamp above a desk"), not in "a castle
  // above the clouds" or "a cat sleeping under a tree".
  for (const Keyword& kw : keywords(List::kSpatialSoft)) {
    for (const Match& m : find_matches(w.plain, kw)) {
      const auto next = split_words(std::string_view(w.plain).substr(m.pos + m.len));
      if (next.empty()) continue;
      const std::string& first = next[0];
      if (first == "it" || first == "them" || all_digits(first) ||
          word_is(first, List::kEnglishNumbers) || word_in(first, List::kColourWords))
        return true;
      const std::string rest = window(next, 1, 4);
      if (word_is(first, List::kSpatialFollowers) &&
          (contains_any(rest, keywords(List::kColourWords)) ||
           contains_any(rest, keywords(List::kShapeWords)) ||
           contains_any(rest, keywords(List::kObjects))))
        return true;
      // "below the red heart", "above the circle", not "under the stars".
      if (word_is(first, List::kRecolourDeterminers) &&
          (contains_any(window(next, 1, 3), keywords(List::kColourWords)) ||
           (next.size() > 1 && word_is(next[1], List::kShapeWords))))
        return true;
    }
  }
  return false;
}

// --- colour --------------------------------------------------------------------------------

bool is_colour(const Words& w) {
  if (contains_any(w.folded, keywords(List::kColourFocus))) return true;
  // Inherent or idiomatic colours ("blue sky", "black and white photo") bind nothing.
  const std::string& f = w.plain;
  std::set<std::string> colours;
  for (const Keyword& kw : keywords(List::kColourWords))
    if (!find_matches(f, kw).empty()) colours.insert(kw.tag);
  if (colours.size() >= 2) return true;
  if (colours.empty()) return false;
  // A recolouring: "make the background yellow", "turn it green", "rends le fond jaune".
  if (contains_any(f, keywords(List::kRecolourAnywhere))) return true;
  const auto words = split_words(f);
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    // Verb and article of one language: "make a red circle" is not "deixe a …".
    const std::string verb_lang = tag_of(words[i], List::kRecolourVerbs);
    if (verb_lang.empty() || !has_tagged(words[i + 1], List::kRecolourDeterminers, verb_lang))
      continue;
    if (contains_any(window(words, i + 2, words.size()), keywords(List::kColourWords))) return true;
  }
  return false;
}

// --- subject -------------------------------------------------------------------------------

struct Hit {
  std::size_t pos, len;
  int category;  // index into kSubjects
  bool weak;
};

struct Subject {
  const char* id;
  List strong, weak;
};
const Subject kSubjects[] = {
    {"people", List::kPeople, List::kPeopleWeak},
    {"animals", List::kAnimals, List::kAnimals},
    {"food", List::kFood, List::kFoodWeak},
    {"architecture", List::kArchitecture, List::kArchitectureWeak},
    {"nature", List::kNature, List::kNatureWeak},
    {"objects", List::kObjects, List::kObjectsWeak},
};

// Where the grammatical subject ends in head-final text: a subject or topic particle (ja が は,
// ko 가 는 은 이 at a word's end) or, in Chinese, the 在 that follows the subject ("一只猫在…").
std::size_t subject_end(const std::string& folded, const std::string& lang) {
  std::vector<std::string> markers;
  if (lang == "ja") markers = {"が", "は"};
  if (lang == "zh") markers = {"在"};
  if (lang == "ko") markers = {"가 ", "는 ", "은 ", "이 "};
  std::size_t end = std::string::npos;
  for (const std::string& m : markers) {
    for (std::size_t p = folded.find(m); p != std::string::npos; p = folded.find(m, p + 1)) {
      if (p == 0 || folded[p - 1] == ' ') continue;  // ko "이 " alone is "this"
      end = std::min(end, p);
      break;
    }
  }
  return end;
}

// Turkish and Hindi sentences (a verb at the end: "-yor", "है") put their subject first; only
// their noun phrases ("kanepede bir kedi", "सोफे पर बिल्ली") end with the head.
bool ends_with_verb(const std::vector<std::string>& words, const std::string& lang) {
  if (words.empty()) return false;
  const std::string& last = words.back();
  const auto ends = [&](std::string_view suffix) {
    return last.size() >= suffix.size() &&
           last.compare(last.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (lang == "tr")
    return ends("yor") || ends("yorlar") || ends("yordu") || ends("mis") || ends("du");
  if (lang == "hi") return last == "है" || last == "हैं" || last == "था" || last == "थी";
  return false;
}

std::string subject(const Words& w, const std::string& lang) {
  static const std::set<std::string> kHeadFinal = {"ja", "ko", "zh", "tr", "hi"};
  const bool head_final = kHeadFinal.count(lang) > 0 && !ends_with_verb(w.list, lang);
  const std::size_t cut = head_final ? subject_end(w.folded, lang) : std::string::npos;
  std::vector<Hit> hits;
  for (int c = 0; c < 6; ++c) {
    for (const Keyword& kw : keywords(kSubjects[c].strong))
      for (const Match& m : find_matches(w.folded, kw)) hits.push_back({m.pos, m.len, c, false});
    if (kSubjects[c].weak == kSubjects[c].strong) continue;
    for (const Keyword& kw : keywords(kSubjects[c].weak))
      for (const Match& m : find_matches(w.folded, kw)) hits.push_back({m.pos, m.len, c, true});
  }
  // A keyword inside a longer one is not a hit of its own ("hot dog", "teddy bear", 面包 in 包).
  std::vector<Hit> kept;
  for (const Hit& h : hits) {
    const bool inside = std::any_of(hits.begin(), hits.end(), [&](const Hit& o) {
      return o.len > h.len && o.pos <= h.pos && o.pos + o.len >= h.pos + h.len;
    });
    if (!inside) kept.push_back(h);
  }
  // Head-final: the last subject keyword before the subject particle, else the last one.
  if (cut != std::string::npos &&
      std::any_of(kept.begin(), kept.end(), [&](const Hit& h) { return h.pos + h.len <= cut; }))
    kept.erase(
        std::remove_if(kept.begin(), kept.end(), [&](const Hit& h) { return h.pos + h.len > cut; }),
        kept.end());
  const Hit* best = nullptr;
  for (int pass = 0; pass < 2 && !best; ++pass) {
    for (const Hit& h : kept) {
      if (h.weak != (pass == 1)) continue;
      const bool better =
          !best || (head_final ? h.pos > best->pos : h.pos < best->pos) ||
          (h.pos == best->pos &&
           (h.len > best->len || (h.len == best->len && h.category < best->category)));
      if (better) best = &h;
    }
  }
  if (!best) return "objects";
  // An English noun compound's head is its last noun: "street musician", "baby elephant".
  for (bool moved = lang == "en" || lang == "und"; moved;) {
    moved = false;
    for (const Hit& h : kept) {
      if (h.weak == best->weak && h.pos == best->pos + best->len + 1) {
        best = &h;
        moved = true;
        break;
      }
    }
  }
  return kSubjects[best->category].id;
}

}  // namespace

const std::vector<CategoryInfo>& categories() {
  static const std::vector<CategoryInfo> kCategories = {
      {"objects", "Objects & shapes",
       "Shapes and everyday things, and the fallback when no other rule applies"},
      {"counting", "Counting",
       "A number (2–100, two…twenty, CJK numeral + classifier) before a plural noun"},
      {"colour", "Colour",
       "Two or more colours bound to things, a colour palette or gradient, or a recolouring"},
      {"spatial", "Spatial",
       "Relations and positions: left of, next to, on top of, in the top left corner, move …"},
      {"text", "Text in image",
       "Quoted text, \"that says\", lettering, logos, the number 7, the letter A"},
      {"people", "People",
       "The main subject is a person: man, woman, child, chef, astronaut, portrait"},
      {"animals", "Animals", "The main subject is an animal or creature: cat, fox, bird, dragon"},
      {"nature", "Landscape & nature",
       "The main subject is a landscape or natural thing: mountain, forest, sea, flowers, sky"},
      {"food", "Food", "The main subject is food or drink: pizza, ramen, cake, fruit, coffee"},
      {"architecture", "Architecture",
       "The main subject is a building, street, city or interior: castle, temple, skyline, room"},
      {"art", "Art & style",
       "An explicit medium or style: oil painting, watercolour, in the style of, anime, pixel art"},
      {"abstract", "Abstract",
       "Abstract, fractal, surreal, patterns, or an idea or feeling rather than a thing"},
  };
  return kCategories;
}

std::string classify_category(std::string_view prompt) {
  Words w;
  w.folded = fold_text(prompt);
  w.plain = blank_idioms(w.folded);
  w.list = split_words(w.folded);
  if (is_text(prompt, w)) return "text";
  if (is_counting(w)) return "counting";
  if (is_spatial(w)) return "spatial";
  if (contains_any(w.folded, keywords(List::kAbstract))) return "abstract";
  if (contains_any(w.folded, keywords(List::kArt))) return "art";
  if (is_colour(w)) return "colour";
  // Modifiers precede the noun they modify in head-final languages: "沙发上的猫" is a cat.
  return subject(w, detect_language(prompt));
}

}  // namespace pictor::arena
