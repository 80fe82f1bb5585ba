// The part of ftfy.fix_text (ftfy 6.1.1, default TextFixerConfig) that the CLIP tokenizer's
// reference applies to every prompt. Written from ftfy's documented behaviour and its data; the
// steps, their order and the "repeat until nothing changes" loop follow fix_and_explain. What is
// left out is listed in docs/models/clip-tokenizer.md.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/tokenizers/clip_text.h"
#include "engine/tokenizers/clip_unicode_tables.h"

namespace pictor::engine::clip_text {
namespace {

using U32 = std::u32string;
using U32View = std::u32string_view;
using Bytes = std::string;

struct R {
  char32_t a, b;
};
template <size_t N>
bool in(const R (&rs)[N], char32_t c) {
  for (const R& r : rs)
    if (c >= r.a && c <= r.b) return true;
  return false;
}
bool has(const char32_t* chars, char32_t c) { return chars && U32View(chars).find(c) != U32View::npos; }

// Windows-1252 for bytes 0x80-0x9F; the five undefined bytes stay C1 controls ("sloppy").
constexpr char32_t kSloppy1252[32] = {
    0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
    0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};
bool undefined_in_1252(unsigned char b) { return b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D; }

// ---- the mojibake heuristic (badness.is_bad): character categories -------------------------
enum : uint32_t {
  kC1 = 1u << 0, kBad = 1u << 1, kCurrency = 1u << 2, kStart = 1u << 3, kEnd = 1u << 4,
  kNumeric = 1u << 5, kKaomoji = 1u << 6, kUpperAcc = 1u << 7, kLowerAcc = 1u << 8,
  kLowerCommon = 1u << 9, kBox = 1u << 10,
};
constexpr R kBadChars[] = {{0xA4, 0xA4}, {0xA6, 0xA8}, {0xAA, 0xAA}, {0xAC, 0xAC}, {0xAF, 0xAF},
                           {0xB6, 0xB6}, {0xB8, 0xB8}, {0xBA, 0xBA}, {0x192, 0x192}, {0x2C6, 0x2C7},
                           {0x2D8, 0x2D8}, {0x2DB, 0x2DC}, {0x2020, 0x2021}, {0x2030, 0x2030},
                           {0x2116, 0x2116}, {0x2310, 0x2310}, {0x25CA, 0x25CA}, {0xFFFD, 0xFFFD}};
constexpr R kCurrencyChars[] = {{0xA2, 0xA3}, {0xA5, 0xA5}, {0x20A7, 0x20A7}, {0x20AC, 0x20AC}};
constexpr R kStartChars[] = {{0xA1, 0xA1}, {0xA9, 0xA9}, {0xAB, 0xAB}, {0xBF, 0xBF},
                             {0x384, 0x385}, {0x2018, 0x2018}, {0x201A, 0x201A}, {0x201C, 0x201C},
                             {0x201E, 0x201E}, {0x2022, 0x2022}, {0x2039, 0x2039}, {0xF8FF, 0xF8FF}};
constexpr R kEndChars[] = {{0xAE, 0xAE}, {0xBB, 0xBB}, {0x2DD, 0x2DD},
                           {0x201D, 0x201D}, {0x203A, 0x203A}, {0x2122, 0x2122}};
constexpr R kNumericChars[] = {{0xB1, 0xB3}, {0xB5, 0xB5}, {0xB9, 0xB9}, {0xBC, 0xBE}, {0xD7, 0xD7},
                               {0xF7, 0xF7}, {0x2044, 0x2044}, {0x2202, 0x2202}, {0x2206, 0x2206},
                               {0x220F, 0x220F}, {0x2211, 0x2211}, {0x221A, 0x221A}, {0x221E, 0x221E},
                               {0x2229, 0x2229}, {0x222B, 0x222B}, {0x2248, 0x2248}, {0x2260, 0x2261},
                               {0x2264, 0x2265}};
constexpr R kKaomojiChars[] = {{0xB0, 0xB0}, {0xD2, 0xD6}, {0xD9, 0xDC}, {0xF2, 0xF6}, {0xF8, 0xFC}, {0x150, 0x150}};
constexpr R kUpperAccChars[] = {
    {0xC0, 0xD1}, {0xD8, 0xD8}, {0xDC, 0xDD}, {0x102, 0x102}, {0x104, 0x104}, {0x106, 0x106},
    {0x10C, 0x10C}, {0x10E, 0x10E}, {0x110, 0x110}, {0x118, 0x118}, {0x11A, 0x11A}, {0x11E, 0x11E},
    {0x130, 0x130}, {0x139, 0x139}, {0x13D, 0x13D}, {0x141, 0x141}, {0x143, 0x143}, {0x147, 0x147},
    {0x152, 0x152}, {0x158, 0x158}, {0x15A, 0x15A}, {0x15E, 0x15E}, {0x160, 0x160}, {0x162, 0x162},
    {0x164, 0x164}, {0x16E, 0x16E}, {0x170, 0x170}, {0x178, 0x179}, {0x17B, 0x17B}, {0x17D, 0x17D},
    {0x490, 0x490}};
constexpr R kLowerAccChars[] = {
    {0xDF, 0xF1}, {0x103, 0x103}, {0x105, 0x105}, {0x107, 0x107}, {0x10D, 0x10D}, {0x10F, 0x10F},
    {0x111, 0x111}, {0x119, 0x119}, {0x11B, 0x11B}, {0x11F, 0x11F}, {0x13A, 0x13A}, {0x13E, 0x13E},
    {0x142, 0x142}, {0x153, 0x153}, {0x155, 0x155}, {0x15B, 0x15B}, {0x15F, 0x15F}, {0x161, 0x161},
    {0x165, 0x165}, {0x17A, 0x17A}, {0x17C, 0x17C}, {0x17E, 0x17E}, {0x491, 0x491}, {0xFB01, 0xFB02}};
constexpr R kLowerCommonChars[] = {{0x3AC, 0x3C6}, {0x430, 0x45F}};
constexpr R kBoxChars[] = {{0x2500, 0x2500}, {0x2502, 0x2502}, {0x250C, 0x250C}, {0x2510, 0x2510},
                           {0x2518, 0x2518}, {0x251C, 0x251C}, {0x2524, 0x2524}, {0x252C, 0x252C},
                           {0x253C, 0x253C}, {0x2550, 0x256C}, {0x2580, 0x2580}, {0x2584, 0x2584},
                           {0x2588, 0x2588}, {0x258C, 0x258C}, {0x2590, 0x2593}};

uint32_t categories(char32_t c) {
  if (c < 0x80) return 0;
  uint32_t m = 0;
  if (c <= 0x9F) m |= kC1;
  if (in(kBadChars, c)) m |= kBad;
  if (in(kCurrencyChars, c)) m |= kCurrency;
  if (in(kStartChars, c)) m |= kStart;
  if (in(kEndChars, c)) m |= kEnd;
  if (in(kNumericChars, c)) m |= kNumeric;
  if (in(kKaomojiChars, c)) m |= kKaomoji;
  if (in(kUpperAccChars, c)) m |= kUpperAcc;
  if (in(kLowerAccChars, c)) m |= kLowerAcc;
  if (in(kLowerCommonChars, c)) m |= kLowerCommon;
  if (in(kBoxChars, c)) m |= kBox;
  return m;
}

// One position of a heuristic pattern: any character of the categories in `mask`, or of `chars`,
// or of a special class.
enum Special : uint8_t { kNone, kSpace, kAsciiLower, kWord, kNotAsciiLetter };
struct Atom {
  uint32_t mask;
  const char32_t* chars;
  Special special;
};
struct Pattern {
  Atom atoms[4];
  int length;
  bool at_start;  // only at the start of the text
};

bool atom_matches(const Atom& a, char32_t c) {
  if ((a.mask & categories(c)) || has(a.chars, c)) return true;
  switch (a.special) {
    case kSpace: return is_py_space(c);
    case kAsciiLower: return c >= 'a' && c <= 'z';
    case kWord: return is_re_word(c);
    case kNotAsciiLetter: return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    default: return false;
  }
}

constexpr uint32_t kAccented = kLowerAcc | kUpperAcc;
constexpr uint32_t kPunct = kStart | kEnd;
// Sequences that ftfy 6.1's badness heuristic counts as unlikely outside mojibake.
const Pattern kBadPatterns[] = {
    {{{kC1, nullptr, kNone}}, 1, false},
    {{{kBad | kAccented | kBox | kPunct | kCurrency | kNumeric, nullptr, kNone}, {kBad, nullptr, kNone}}, 2, false},
    {{{kBad, nullptr, kNone}, {kAccented | kBox | kPunct | kCurrency | kNumeric, nullptr, kNone}}, 2, false},
    {{{kLowerAcc | kLowerCommon | kBox | kEnd | kCurrency | kNumeric, nullptr, kNone}, {kUpperAcc, nullptr, kNone}}, 2, false},
    {{{kBox | kEnd | kCurrency | kNumeric, nullptr, kNone}, {kLowerAcc, nullptr, kNone}}, 2, false},
    {{{kLowerAcc | kBox | kEnd, nullptr, kNone}, {kCurrency, nullptr, kNone}}, 2, false},
    {{{0, nullptr, kSpace}, {kUpperAcc, nullptr, kNone}, {kCurrency, nullptr, kNone}}, 3, false},
    {{{kUpperAcc | kBox | kEnd, nullptr, kNone}, {kNumeric, nullptr, kNone}}, 2, false},
    {{{kAccented | kCurrency | kNumeric | kBox, nullptr, kNone}, {kEnd, nullptr, kNone}, {kStart, nullptr, kNone}}, 3, false},
    {{{kCurrency | kNumeric | kBox, nullptr, kNone}, {kStart, nullptr, kNone}}, 2, false},
    {{{0, nullptr, kAsciiLower}, {kUpperAcc, nullptr, kNone}, {kStart | kCurrency, nullptr, kNone}}, 3, false},
    {{{kBox, nullptr, kNone}, {kKaomoji, nullptr, kNone}}, 2, false},
    {{{kAccented | kCurrency | kNumeric | kPunct, nullptr, kNone}, {kBox, nullptr, kNone}}, 2, false},
    {{{kBox, nullptr, kNone}, {kEnd, nullptr, kNone}}, 2, false},
    {{{kAccented, nullptr, kNone}, {kEnd, nullptr, kNone}, {0, nullptr, kWord}}, 3, false},
    {{{0, U"\u0152\u0153", kNone}, {0, nullptr, kNotAsciiLetter}}, 2, false},
    {{{0, U"\u00C2\u00C3\u00CE\u00D0", kNone},
      {kEnd, U"\u20AC\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9\u00B0\u00B7\u00BB\u2013\u2014\u00B4", kNone}},
     2, false},
    {{{0, U"\u00D7", kNone}, {0, U"\u00B2\u00B3", kNone}}, 2, false},
    {{{0, U"\u00E0", kNone}, {0, U"\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE", kNone}}, 2, false},
    {{{0, U"\u221A", kNone},
      {0, U"\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8", kNone}}, 2, false},
    {{{0, U"\u2248", kNone}, {0, U"\u00B0\u00A2", kNone}}, 2, false},
    {{{0, U"\u201A", kNone}, {0, U"\u00C4", kNone},
      {0, U"\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0", kNone}}, 3, false},
    {{{0, U"\u201A", kNone}, {0, U"\u00E2\u00F3", kNone}, {0, U"\u00E0\u00E4\u00B0\u00EA", kNone}}, 3, false},
    {{{0, U"\u0432", kNone}, {0, U"\u0402", kNone}}, 2, false},
    {{{0, U"\u0412\u0413\u0420\u0421", kNone},
      {kC1 | kBad | kPunct | kCurrency, U"\u00B0\u00B5", kNone},
      {0, U"\u0412\u0413\u0420\u0421", kNone}}, 3, false},
    {{{0, U"\u00C3", kNone}, {0, U"\u00A0\u00A1", kNone}}, 2, false},
    {{{0, nullptr, kAsciiLower}, {0, U"\u00C3", kNone}, {0, U" ", kNone}}, 3, false},
    {{{0, nullptr, kAsciiLower}, {0, nullptr, kSpace}, {0, U"\u00C3", kNone}, {0, U" ", kNone}}, 4, false},
    {{{0, U"\u00C3", kNone}, {0, U" ", kNone}}, 2, true},
    {{{0, U"\u03B2", kNone}, {0, U"\u20AC", kNone}, {0, U"\u2122\u00A0\u0386\u00AD\u00AE\u00B0", kNone}}, 3, false},
    {{{0, U"\u0392\u0393\u039E\u039F", kNone},
      {kC1 | kBad | kPunct | kCurrency, U"\u00B0", kNone},
      {0, U"\u0392\u0393\u039E\u039F", kNone}}, 3, false},
};

// ---- inconsistent UTF-8 (UTF8_DETECTOR_RE) ---------------------------------------------------
constexpr R kFirstOf2[] = {{0xC2, 0xDF}, {0x102, 0x102}, {0x106, 0x106}, {0x10C, 0x10C}, {0x10E, 0x10E},
                           {0x110, 0x110}, {0x118, 0x118}, {0x11A, 0x11A}, {0x11E, 0x11E}, {0x130, 0x130},
                           {0x139, 0x139}, {0x143, 0x143}, {0x147, 0x147}, {0x150, 0x150}, {0x158, 0x158},
                           {0x15E, 0x15E}, {0x162, 0x162}, {0x16E, 0x16E}, {0x170, 0x170}, {0x392, 0x3A1},
                           {0x3A3, 0x3AF}, {0x412, 0x42F}};
constexpr R kFirstOf3[] = {{0xE0, 0xEF}, {0x103, 0x103}, {0x107, 0x107}, {0x10D, 0x10D}, {0x10F, 0x10F},
                           {0x119, 0x119}, {0x11B, 0x11B}, {0x13A, 0x13A}, {0x155, 0x155}, {0x3B0, 0x3BF},
                           {0x430, 0x43F}};
constexpr R kFirstOf4[] = {{0xF0, 0xF0}, {0xF3, 0xF3}, {0x111, 0x111}, {0x11F, 0x11F},
                           {0x3C0, 0x3C0}, {0x3C3, 0x3C3}, {0x440, 0x440}, {0x443, 0x443}};
// Continuation-byte look-alikes; the strict set leaves out space, dashes, quotes and ellipsis.
constexpr R kContinuationStrict[] = {
    {0x80, 0xBF}, {0x104, 0x105}, {0x13D, 0x13E}, {0x141, 0x142}, {0x152, 0x153}, {0x15A, 0x15B},
    {0x15E, 0x161}, {0x164, 0x165}, {0x178, 0x17E}, {0x192, 0x192}, {0x2C6, 0x2C7}, {0x2D8, 0x2D8},
    {0x2DB, 0x2DD}, {0x384, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x38F}, {0x401, 0x40C},
    {0x40E, 0x40F}, {0x451, 0x45C}, {0x45E, 0x45F}, {0x490, 0x491}, {0x2020, 0x2022}, {0x2030, 0x2030},
    {0x2039, 0x203A}, {0x20AC, 0x20AC}, {0x2116, 0x2116}, {0x2122, 0x2122}};
constexpr R kContinuationLoose[] = {{0x20, 0x20}, {0x2013, 0x2015}, {0x2018, 0x201A}, {0x201C, 0x201E}, {0x2026, 0x2026}};
bool continuation(char32_t c) { return in(kContinuationStrict, c) || in(kContinuationLoose, c); }

// Length of the run of UTF-8-looking sequences at text[i] (0: none).
size_t utf8_lookalike_run(U32View t, size_t i) {
  size_t start = i;
  auto conts = [&](size_t at, size_t n) {
    if (at + n > t.size()) return false;
    for (size_t k = 0; k < n; ++k)
      if (!continuation(t[at + k])) return false;
    return true;
  };
  while (i < t.size()) {
    if (in(kFirstOf2, t[i]) && conts(i + 1, 1)) {
      i += 2;
    } else if (in(kFirstOf3, t[i]) && conts(i + 1, 2)) {
      i += 3;
    } else if (in(kFirstOf4, t[i]) && conts(i + 1, 3)) {
      i += 4;
    } else {
      break;
    }
  }
  return i - start;
}

// ---- byte patterns (restore_byte_a0, replace_lossy_sequences) --------------------------------
struct ByteAtom {
  unsigned char lo, hi;      // a range
  unsigned char lo2 = 1, hi2 = 0;  // an optional second range
  const char* extra = nullptr;     // extra single bytes
  bool matches(unsigned char b) const {
    return (b >= lo && b <= hi) || (b >= lo2 && b <= hi2) || (extra && b && std::strchr(extra, b));
  }
};
using BytePattern = std::vector<ByteAtom>;

size_t match_bytes(const Bytes& s, size_t i, const BytePattern& p) {
  if (i + p.size() > s.size()) return 0;
  for (size_t k = 0; k < p.size(); ++k)
    if (!p[k].matches(static_cast<unsigned char>(s[i + k]))) return 0;
  return p.size();
}
size_t match_any(const Bytes& s, size_t i, const std::vector<BytePattern>& ps) {
  for (const BytePattern& p : ps)
    if (size_t n = match_bytes(s, i, p)) return n;
  return 0;
}

ByteAtom one(unsigned char b) { return {b, b}; }
ByteAtom span(unsigned char lo, unsigned char hi) { return {lo, hi}; }
// Continuation bytes except 0x85 and 0xA0 (which spaces and ellipses commonly replace).
ByteAtom cont_no_space() { return {0x80, 0x84, 0x86, 0x9F, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf"}; }

const std::vector<BytePattern>& altered_utf8() {  // sequences where an 0xA0 became a space
  static const std::vector<BytePattern> ps = {
      {{0xC2, 0xC3, 0xC5, 0xC5, "\xce\xd0\xd9"}, one(' ')},
      {span(0xE2, 0xE3), one(' '), cont_no_space()},
      {span(0xE0, 0xE3), cont_no_space(), one(' ')},
      {one(0xF0), one(' '), span(0x80, 0xBF), span(0x80, 0xBF)},
      {one(0xF0), span(0x80, 0xBF), one(' '), span(0x80, 0xBF)},
      {one(0xF0), span(0x80, 0xBF), span(0x80, 0xBF), one(' ')},
  };
  return ps;
}

const std::vector<BytePattern>& lossy_utf8() {  // UTF-8 with bytes lost to 0x1A (or '?')
  const ByteAtom sub_or_q = {0x1A, 0x1A, 1, 0, "?"};
  const ByteAtom sub_q_cont = {0x80, 0xBF, 0x1A, 0x1A, "?"};
  const ByteAtom sub_cont = {0x80, 0xBF, 0x1A, 0x1A};
  static const std::vector<BytePattern> ps = {
      {span(0xC2, 0xDF), one(0x1A)},
      {span(0xC2, 0xC3), one('?')},
      {one(0xED), span(0xA0, 0xAF), sub_or_q, one(0xED), span(0xB0, 0xBF), sub_q_cont},
      {one(0xED), span(0xA0, 0xAF), sub_q_cont, one(0xED), span(0xB0, 0xBF), sub_or_q},
      {span(0xE0, 0xEF), sub_or_q, sub_cont},
      {span(0xE0, 0xEF), sub_cont, sub_or_q},
      {span(0xF0, 0xF4), sub_or_q, sub_cont, sub_cont},
      {span(0xF0, 0xF4), sub_cont, sub_or_q, sub_cont},
      {span(0xF0, 0xF4), sub_cont, sub_cont, sub_or_q},
      {one(0x1A)},
  };
  return ps;
}

Bytes restore_byte_a0(const Bytes& in_bytes) {
  // First " Ã " as a word of its own becomes "à " (except before Portuguese "às", "àquele", ...).
  Bytes s;
  for (size_t i = 0; i < in_bytes.size(); ++i) {
    if (static_cast<unsigned char>(in_bytes[i]) == 0xC3 && i + 1 < in_bytes.size() && in_bytes[i + 1] == ' ') {
      std::string_view rest(in_bytes.data() + i + 2, in_bytes.size() - i - 2);
      bool excluded = false;
      for (const char* w : {" ", "quele", "quela", "quilo", "s "})
        if (rest.substr(0, std::strlen(w)) == w) excluded = true;
      if (!excluded) {
        s += "\xc3\xa0 ";
        ++i;
        continue;
      }
    }
    s.push_back(in_bytes[i]);
  }
  Bytes out;
  for (size_t i = 0; i < s.size();) {
    if (size_t n = match_any(s, i, altered_utf8())) {
      for (size_t k = 0; k < n; ++k) out.push_back(s[i + k] == ' ' ? '\xa0' : s[i + k]);
      i += n;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

Bytes replace_lossy_sequences(const Bytes& s) {
  Bytes out;
  for (size_t i = 0; i < s.size();) {
    if (size_t n = match_any(s, i, lossy_utf8())) {
      out += "\xef\xbf\xbd";
      i += n;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// Strict UTF-8; with `variants`, also CESU-8 surrogate pairs and Java's C0 80 for U+0000.
std::optional<U32> decode_utf8_strict(const Bytes& s, bool variants) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  U32 out;
  for (size_t i = 0; i < n;) {
    unsigned char b = p[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    if (variants && b == 0xC0 && i + 1 < n && p[i + 1] == 0x80) {
      out.push_back(0);
      i += 2;
      continue;
    }
    if (variants && b == 0xED && i + 5 < n && p[i + 1] >= 0xA0 && p[i + 1] <= 0xAF && (p[i + 2] & 0xC0) == 0x80 &&
        p[i + 3] == 0xED && p[i + 4] >= 0xB0 && p[i + 4] <= 0xBF && (p[i + 5] & 0xC0) == 0x80) {
      char32_t hi = 0xD000 | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      char32_t lo = 0xD000 | ((p[i + 4] & 0x3F) << 6) | (p[i + 5] & 0x3F);
      out.push_back(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
      i += 6;
      continue;
    }
    // Reuse the replacing decoder on one sequence: valid iff it yields no U+FFFD it did not read.
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    if (i + len > n) return std::nullopt;
    U32 one_cp = decode_utf8(std::string_view(s.data() + i, len));
    if (one_cp.size() != 1 || (one_cp[0] == 0xFFFD && s.compare(i, len, "\xef\xbf\xbd") != 0)) return std::nullopt;
    out.push_back(one_cp[0]);
    i += len;
  }
  return out;
}

std::optional<Bytes> encode_latin1(U32View t) {
  Bytes out;
  for (char32_t c : t) {
    if (c > 0xFF) return std::nullopt;
    out.push_back(char(c));
  }
  return out;
}

std::optional<Bytes> encode_sloppy_1252(U32View t) {
  Bytes out;
  for (char32_t c : t) {
    if ((c < 0x80 && c != 0x1A) || (c >= 0xA0 && c <= 0xFF)) {
      out.push_back(char(c));
    } else if (c == 0xFFFD) {
      out.push_back('\x1a');  // the sloppy codecs' stand-in for a lost byte
    } else {
      const char32_t* hit = std::find(std::begin(kSloppy1252), std::end(kSloppy1252), c);
      if (hit == std::end(kSloppy1252)) return std::nullopt;
      out.push_back(char(0x80 + (hit - kSloppy1252)));
    }
  }
  return out;
}

std::optional<U32> redecode(Bytes bytes, bool sloppy) {
  bool altered = false;
  for (size_t i = 0; i < bytes.size() && !altered; ++i) altered = match_any(bytes, i, altered_utf8()) != 0;
  if (altered) bytes = restore_byte_a0(bytes);
  if (sloppy) bytes = replace_lossy_sequences(bytes);
  bool variants = bytes.find('\xed') != Bytes::npos || bytes.find('\xc0') != Bytes::npos;
  return decode_utf8_strict(bytes, variants);
}

U32 fix_c1_controls(U32View t) {
  U32 out(t);
  for (char32_t& c : out)
    if (c >= 0x80 && c <= 0x9F) c = kSloppy1252[c - 0x80];
  return out;
}

U32 fix_encoding(U32View text);

U32 decode_inconsistent_utf8(U32View t) {
  U32 out;
  for (size_t i = 0; i < t.size();) {
    if (i == 0 || !in(kContinuationStrict, t[i - 1])) {
      if (size_t n = utf8_lookalike_run(t, i)) {
        U32View sub = t.substr(i, n);
        out += (n < t.size() && is_bad(sub)) ? fix_encoding(sub) : U32(sub);
        i += n;
        continue;
      }
    }
    out.push_back(t[i++]);
  }
  return out;
}

U32 fix_encoding_step(U32View t) {
  if (std::all_of(t.begin(), t.end(), [](char32_t c) { return c < 0x80; }) || !is_bad(t)) return U32(t);
  std::optional<Bytes> latin1 = encode_latin1(t);
  if (latin1) {
    if (auto fixed = redecode(*latin1, false)) return *fixed;
  }
  if (auto sloppy = encode_sloppy_1252(t)) {
    if (auto fixed = redecode(*sloppy, true)) return *fixed;
  }
  // (ftfy goes on with windows-1251/1250/1253/1254, iso-8859-2, macroman and cp437: not ported.)
  U32 fixed = decode_inconsistent_utf8(t);
  if (fixed != t) return fixed;
  if (latin1 && std::none_of(latin1->begin(), latin1->end(),
                             [](char b) { return undefined_in_1252(static_cast<unsigned char>(b)); })) {
    U32 w = fix_c1_controls(t);  // latin-1 bytes read as (strict) windows-1252
    if (w != t) return w;
  }
  if (std::any_of(t.begin(), t.end(), [](char32_t c) { return c >= 0x80 && c <= 0x9F; })) return fix_c1_controls(t);
  return U32(t);
}

U32 fix_encoding(U32View text) {
  U32 t(text);
  while (true) {
    U32 next = fix_encoding_step(t);
    if (next == t) return t;
    t = std::move(next);
  }
}

// ---- the simple fixers ------------------------------------------------------------------------
const NameToString* find_entity(std::string_view name) {
  const NameToString* end = kHtmlEntities + kHtmlEntitiesSize;
  const NameToString* it = std::lower_bound(kHtmlEntities, end, name,
                                            [](const NameToString& e, std::string_view v) { return e.name < v; });
  return (it != end && it->name == name) ? it : nullptr;
}

// html.unescape of a whole "&#...;" reference; nullopt where it would not consume all of it.
std::optional<U32> numeric_reference(std::string_view body /* between "&#" and ";" */) {
  bool hex = body[0] == 'x' || body[0] == 'X';
  std::string_view digits = hex ? body.substr(1) : body;
  if (digits.empty()) return std::nullopt;
  uint64_t num = 0;
  bool too_big = false;
  for (char ch : digits) {
    int v = (ch >= '0' && ch <= '9') ? ch - '0'
            : hex && (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
            : hex && (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                              : -1;
    if (v < 0) return std::nullopt;
    if (!too_big) num = num * (hex ? 16 : 10) + v;
    if (num > 0x10FFFF) too_big = true;
  }
  if (!too_big) {
    for (size_t i = 0; i < kInvalidCharrefsSize; ++i)
      if (kInvalidCharrefs[i].cp == num) return U32(kInvalidCharrefs[i].text);
  }
  if (too_big || (num >= 0xD800 && num <= 0xDFFF)) return U32(1, 0xFFFD);
  for (size_t i = 0; i < kInvalidCodepointsSize; ++i)
    if (num >= kInvalidCodepoints[i].first && num <= kInvalidCodepoints[i].last) return U32();
  return U32(1, char32_t(num));
}

bool ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

U32 unescape_html(U32View t) {  // entities matching &#?[0-9A-Za-z]{1,24};
  U32 out;
  for (size_t i = 0; i < t.size();) {
    if (t[i] == U'&') {
      size_t j = i + 1;
      if (j < t.size() && t[j] == U'#') ++j;
      size_t k = j;
      while (k < t.size() && ascii_alnum(t[k]) && k - j < 25) ++k;
      if (k > j && k - j <= 24 && k < t.size() && t[k] == U';') {
        std::string entity;
        for (size_t m = i; m <= k; ++m) entity.push_back(char(t[m]));
        U32 replacement(t.substr(i, k + 1 - i));
        if (const NameToString* e = find_entity(entity)) {
          replacement = e->text;
        } else if (j == i + 2) {
          auto r = numeric_reference(std::string_view(entity).substr(2, entity.size() - 3));
          if (r && r->find(U';') == U32::npos) replacement = *r;
        }
        out += replacement;
        i = k + 1;
        continue;
      }
    }
    out.push_back(t[i++]);
  }
  return out;
}

U32 remove_terminal_escapes(U32View t) {  // ESC [ (digits|;)* letter
  U32 out;
  for (size_t i = 0; i < t.size();) {
    if (t[i] == 0x1B && i + 1 < t.size() && t[i + 1] == U'[') {
      size_t k = i + 2;
      while (k < t.size() && (is_re_digit(t[k]) || t[k] == U';')) ++k;
      if (k < t.size() && ((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z'))) {
        i = k + 1;
        continue;
      }
    }
    out.push_back(t[i++]);
  }
  return out;
}

const CpToString kLigatures[] = {
    {0x132, U"IJ"}, {0x133, U"ij"}, {0x149, U"\u02BCn"}, {0x1C4, U"D\u017D"}, {0x1C5, U"D\u017E"},
    {0x1C6, U"d\u017E"}, {0x1C7, U"LJ"}, {0x1C8, U"Lj"}, {0x1C9, U"lj"}, {0x1CA, U"NJ"},
    {0x1CB, U"Nj"}, {0x1CC, U"nj"}, {0x1F1, U"DZ"}, {0x1F2, U"Dz"}, {0x1F3, U"dz"},
    {0xFB00, U"ff"}, {0xFB01, U"fi"}, {0xFB02, U"fl"}, {0xFB03, U"ffi"}, {0xFB04, U"ffl"},
    {0xFB05, U"\u017Ft"}, {0xFB06, U"st"}};

const char32_t* lookup(const CpToString* m, size_t n, char32_t c) {
  for (size_t i = 0; i < n; ++i)
    if (m[i].cp == c) return m[i].text;
  return nullptr;
}

bool removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

// One pass over the per-character fixers after fix_encoding: C1 controls, ligatures, width,
// quotes, line breaks, terminal escapes, control characters (in ftfy's order).
U32 simple_fixes(U32View text) {
  U32 t;
  t.reserve(text.size());
  for (char32_t c : text) {
    if (c >= 0x80 && c <= 0x9F) c = kSloppy1252[c - 0x80];  // fix_c1_controls
    if (c >= 0x132 && c <= 0xFB06) {
      if (const char32_t* lig = lookup(kLigatures, sizeof(kLigatures) / sizeof(kLigatures[0]), c)) {
        t += lig;
        continue;
      }
    }
    if (c == 0x3000 || (c >= 0xFF01 && c <= 0xFFEF)) {
      if (const char32_t* w = lookup(kCharacterWidth, kCharacterWidthSize, c)) {
        t += w;
        continue;
      }
    }
    t.push_back(c);
  }
  for (char32_t& c : t) {  // uncurl_quotes
    if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) c = U'\'';
    else if (c >= 0x201C && c <= 0x201F) c = U'"';
  }
  U32 lines;  // fix_line_breaks
  lines.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    char32_t c = t[i];
    if (c == U'\r' && i + 1 < t.size() && t[i + 1] == U'\n') continue;
    lines.push_back((c == U'\r' || c == 0x2028 || c == 0x2029 || c == 0x85) ? U'\n' : c);
  }
  U32 out = remove_terminal_escapes(lines);
  out.erase(std::remove_if(out.begin(), out.end(), removed_control), out.end());
  return out;
}

U32 fix_segment(U32View segment, bool unescape) {
  bool plain = std::all_of(segment.begin(), segment.end(), [&](char32_t c) {
    return c >= 0x20 && c < 0x7F && !(unescape && c == U'&');
  });
  if (plain) return U32(segment);
  U32 t(segment);
  while (true) {
    U32 orig = t;
    if (unescape) t = unescape_html(t);
    t = fix_encoding(t);
    t = nfc(simple_fixes(t));
    if (t == orig) return t;
  }
}

}  // namespace

bool is_bad(std::u32string_view t) {
  for (size_t i = 0; i < t.size(); ++i) {
    for (const Pattern& p : kBadPatterns) {
      if (p.at_start && i != 0) continue;
      if (i + p.length > t.size()) continue;
      bool ok = true;
      for (int k = 0; k < p.length && ok; ++k) ok = atom_matches(p.atoms[k], t[i + k]);
      if (ok) return true;
    }
  }
  return false;
}

std::u32string fix_text(std::u32string_view text) {
  constexpr size_t kMaxDecodeLength = 1000000;
  std::u32string out;
  bool unescape = true;  // "auto": off from the first segment that contains '<'
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find(U'\n', pos);
    size_t end = nl == std::u32string_view::npos ? text.size() : nl + 1;
    end = std::min(end, pos + kMaxDecodeLength);
    std::u32string_view segment = text.substr(pos, end - pos);
    if (segment.find(U'<') != std::u32string_view::npos) unescape = false;
    out += fix_segment(segment, unescape);
    pos = end;
  }
  return out;
}

}  // namespace pictor::engine::clip_text
