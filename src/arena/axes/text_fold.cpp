// UTF-8 decoding and the folded form of a prompt (see text_fold.h).
#include "arena/axes/text_fold.h"

namespace pictor::arena {
namespace {

// ASCII spelling of U+00C0..U+017F, lower case (generated from Unicode's NFKD; æ ø ß ł by hand).
// clang-format off
const char* const kLatinFold[0x180 - 0xC0] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o",
    "o", "o", "o", "o", " ", "o", "u", "u", "u", "u", "y", "th", "ss", "a", "a", "a", "a", "a",
    "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", " ",
    "o", "u", "u", "u", "u", "y", "th", "y", "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c",
    "c", "c", "c", "d", "d", "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g",
    "g", "g", "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l",
    "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", "o", "o", "oe", "oe", "r",
    "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t",
    "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z",
    "z", "z", "z", "z", "s",
};
// clang-format on

bool is_separator(char32_t cp) {
  if (cp < 0x80)
    return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));
  if (cp < 0xC0) return true;                     // Latin-1 punctuation: « » ¿ ¡ ° ·
  if (cp >= 0x2000 && cp <= 0x2BFF) return true;  // general punctuation, arrows, symbols
  if (cp >= 0x2E00 && cp <= 0x2E7F) return true;
  if (cp >= 0x3000 && cp <= 0x3004) return true;  // 、。〃 (keeps 々 〆 〇)
  if (cp >= 0x3008 && cp <= 0x303F) return true;  // 「」『』【】〜
  if (cp == 0x30FB) return true;                  // ・
  if (cp >= 0xFE30 && cp <= 0xFE4F) return true;
  if (cp >= 0xFF01 && cp <= 0xFF0F) return true;  // fullwidth ！＂＃ … ／
  if (cp >= 0xFF1A && cp <= 0xFF20) return true;
  if (cp >= 0xFF3B && cp <= 0xFF40) return true;
  if (cp >= 0xFF5B && cp <= 0xFF65) return true;
  if (cp == 0x060C || cp == 0x061B || cp == 0x061F || cp == 0x06D4) return true;  // Arabic ، ؛ ؟
  if (cp == 0x0964 || cp == 0x0965) return true;  // Devanagari danda
  if (cp >= 0x1F000) return true;                 // emoji and pictographs
  if (cp == 0xFFFD || cp == 0xFEFF) return true;
  return false;
}

bool is_mark(char32_t cp) { return (cp >= 0x300 && cp <= 0x36F) || cp == 0x200D || cp == 0xFE0F; }

}  // namespace

char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6) != 0x2) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

Script script_of(char32_t cp) {
  if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return Script::kLatin;
  if (cp < 0xC0) return Script::kNone;
  if (cp <= 0x24F && cp != 0xD7 && cp != 0xF7) return Script::kLatin;
  if (cp >= 0x1E00 && cp <= 0x1EFF) return Script::kLatin;
  if (cp >= 0x300 && cp <= 0x36F) return Script::kNone;
  if (cp >= 0x370 && cp <= 0x3FF) return Script::kGreek;
  if (cp >= 0x400 && cp <= 0x52F) return Script::kCyrillic;
  if (cp >= 0x590 && cp <= 0x5FF) return Script::kHebrew;
  if (cp >= 0x660 && cp <= 0x669) return Script::kNone;  // Arabic-Indic digits
  if ((cp >= 0x600 && cp <= 0x6FF) || (cp >= 0x750 && cp <= 0x77F) ||
      (cp >= 0xFB50 && cp <= 0xFEFC))
    return Script::kArabic;
  if (cp >= 0x966 && cp <= 0x96F) return Script::kNone;  // Devanagari digits
  if (cp >= 0x900 && cp <= 0x97F) return Script::kDevanagari;
  if (cp >= 0xE00 && cp <= 0xE7F) return Script::kThai;
  if ((cp >= 0x3040 && cp <= 0x30FF && cp != 0x30FB) || (cp >= 0x31F0 && cp <= 0x31FF) ||
      (cp >= 0xFF66 && cp <= 0xFF9F))
    return Script::kKana;
  if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x3005 && cp <= 0x3007) ||
      (cp >= 0x20000 && cp <= 0x2FFFF))
    return Script::kHan;
  if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) ||
      (cp >= 0x3130 && cp <= 0x318F))
    return Script::kHangul;
  if (is_separator(cp) || is_mark(cp)) return Script::kNone;
  if (cp >= 0xFF10 && cp <= 0xFF19) return Script::kNone;
  if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) return Script::kLatin;
  return Script::kOther;
}

bool is_unspaced(char32_t cp) {
  const Script s = script_of(cp);
  return s == Script::kHan || s == Script::kKana || s == Script::kThai;
}

std::string fold_text(std::string_view text) {
  std::string out = " ";
  auto space = [&] {
    if (out.back() != ' ') out += ' ';
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = next_code_point(text, i);
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp = cp - 0xFF01 + 0x21;  // fullwidth ASCII
    if (cp >= 0x660 && cp <= 0x669) cp = cp - 0x660 + '0';      // Arabic-Indic digits
    if (cp >= 0x6F0 && cp <= 0x6F9) cp = cp - 0x6F0 + '0';      // Persian digits
    if (cp >= 0x966 && cp <= 0x96F) cp = cp - 0x966 + '0';      // Devanagari digits
    if (is_mark(cp)) continue;
    if (is_separator(cp)) {
      space();
      continue;
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
    } else if (cp >= 0xC0 && cp < 0x180) {
      const char* f = kLatinFold[cp - 0xC0];
      if (f[0] == ' ')
        space();
      else
        out += f;
    } else {
      if (cp >= 0x391 && cp <= 0x3A9) cp += 0x20;  // Greek capitals
      if (cp >= 0x410 && cp <= 0x42F) cp += 0x20;  // Cyrillic capitals
      if (cp >= 0x400 && cp <= 0x40F) cp += 0x50;  // Ѐ..Џ
      if (cp == 0x451) cp = 0x435;                 // ё → е
      append_utf8(out, cp);
    }
  }
  space();
  return out;
}

std::vector<std::string> split_words(std::string_view folded) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < folded.size()) {
    while (start < folded.size() && folded[start] == ' ') ++start;
    std::size_t end = folded.find(' ', start);
    if (end == std::string_view::npos) end = folded.size();
    if (end > start) words.emplace_back(folded.substr(start, end - start));
    start = end;
  }
  return words;
}

Script ScriptCounts::dominant() const {
  int best = 0;
  for (int s = 1; s < 12; ++s)
    if (counts[s] > counts[best]) best = s;
  return counts[best] > 0 ? static_cast<Script>(best) : Script::kNone;
}

ScriptCounts count_scripts(std::string_view text) {
  ScriptCounts c;
  std::size_t i = 0;
  while (i < text.size()) {
    const Script s = script_of(next_code_point(text, i));
    if (s == Script::kNone) continue;
    ++c.counts[static_cast<int>(s)];
    ++c.letters;
  }
  return c;
}

}  // namespace pictor::arena
