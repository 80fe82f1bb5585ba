#pragma once
// Keyword and pattern lists behind classify_category (data in category_keywords.cpp, parsing and
// matching in keyword_match.cpp). A keyword is matched against fold_text() output: whole words,
// an English plural (s, es, y→ies) allowed; "word*" matches as a prefix; keywords in scripts
// without word spaces or with attached particles (CJK, Hangul, Arabic, Devanagari) match as
// substrings.
#include <string>
#include <string_view>
#include <vector>

namespace pictor::arena {

struct Keyword {
  std::string text;     // folded
  bool prefix = false;  // written "word*"
  bool substring = false;
  std::string tag;  // colour lists: the canonical colour ("red"); number lists: the value
};

// One match: byte offset and length in the folded text.
struct Match {
  std::size_t pos = 0;
  std::size_t len = 0;
};

// Every match of kw in the folded text t.
std::vector<Match> find_matches(std::string_view t, const Keyword& kw);
bool contains_any(std::string_view t, const std::vector<Keyword>& list);

// Named lists (see category_keywords.cpp for their contents and docs/arena-axes.md for the rules).
enum class List {
  kTextPhrases,
  kNumberNouns,
  kLetterNouns,
  kCountPhrases,
  kEnglishNumbers,
  kOtherNumbers,
  kUnits,
  kNotPlural,
  kIrregularPlurals,
  kStopwords,
  kCjkNumerals,
  kCjkClassifiers,
  kKoreanNumbers,
  kKoreanCounters,
  kSpatialStrong,
  kSpatialSoft,
  kSpatialAbsolute,
  kSpatialFollowers,
  kShapeWords,
  kMoveVerbs,
  kAbstract,
  kArt,
  kColourWords,
  kColourIdioms,
  kColourFocus,
  kRecolourVerbs,
  kRecolourDeterminers,
  kRecolourAnywhere,
  kSizeWords,
  kPeople,
  kPeopleWeak,
  kAnimals,
  kFood,
  kFoodWeak,
  kArchitecture,
  kArchitectureWeak,
  kNature,
  kNatureWeak,
  kObjects,
  kObjectsWeak,
};
const std::vector<Keyword>& keywords(List list);

// The list as written in category_keywords.cpp: "a, b, c" or "tag: a, b; tag2: c".
const char* keyword_source(List list);

}  // namespace pictor::arena
