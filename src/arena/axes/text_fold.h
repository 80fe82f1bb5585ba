#pragma once
// UTF-8 helpers shared by the prompt classifiers: decoding, script of a code point, and the
// folded form that keyword lists are matched against.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::arena {

// Writing systems the classifiers tell apart.
enum class Script {
  kNone,
  kLatin,
  kCyrillic,
  kGreek,
  kArabic,
  kHebrew,
  kDevanagari,
  kThai,
  kHan,
  kKana,
  kHangul,
  kOther
};

// Decodes the code point at s[i] and advances i; an invalid byte yields U+FFFD and advances by one.
char32_t next_code_point(std::string_view s, std::size_t& i);
void append_utf8(std::string& out, char32_t cp);

// kNone for digits, punctuation, spaces, symbols and marks.
Script script_of(char32_t cp);

// Scripts whose words are written without spaces between them (keywords match as substrings).
bool is_unspaced(char32_t cp);

// Lower-cased, diacritics stripped (é→e, ß→ss, ё→е), fullwidth forms and Arabic/Devanagari digits
// made ASCII, punctuation and symbols turned into spaces. Words are separated by one space and the
// result starts and ends with a space (" un chat sur un canape "), so " word " finds whole words.
std::string fold_text(std::string_view text);

// The words of a folded text.
std::vector<std::string> split_words(std::string_view folded);

// Letters per script in the raw text, and the most frequent script (kNone when there are none).
struct ScriptCounts {
  int counts[12] = {};
  int letters = 0;
  int of(Script s) const { return counts[static_cast<int>(s)]; }
  Script dominant() const;
};
ScriptCounts count_scripts(std::string_view text);

}  // namespace pictor::arena
