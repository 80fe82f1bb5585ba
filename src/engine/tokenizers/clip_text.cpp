// UTF-8, table look-ups, NFC, whitespace cleanup and lowercasing for the CLIP tokenizer.
#include "engine/tokenizers/clip_text.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/tokenizers/clip_unicode_tables.h"

namespace pictor::engine::clip_text {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool in_ranges(const CpRange* r, size_t n, char32_t c) {
  const CpRange* end = r + n;
  const CpRange* it = std::upper_bound(r, end, c, [](char32_t v, const CpRange& x) { return v < x.first; });
  return it != r && c <= (it - 1)->last;
}

uint8_t range_value(const CpRangeValue* r, size_t n, char32_t c) {
  const CpRangeValue* end = r + n;
  const CpRangeValue* it =
      std::upper_bound(r, end, c, [](char32_t v, const CpRangeValue& x) { return v < x.first; });
  return (it != r && c <= (it - 1)->last) ? (it - 1)->value : 0;
}

const char32_t* map_lookup(const CpToString* m, size_t n, char32_t c) {
  const CpToString* end = m + n;
  const CpToString* it = std::lower_bound(m, end, c, [](const CpToString& x, char32_t v) { return x.cp < v; });
  return (it != end && it->cp == c) ? it->text : nullptr;
}

uint8_t ccc(char32_t c) { return c < 0x300 ? 0 : range_value(kCombiningClass, kCombiningClassSize, c); }

// Hangul syllables (Unicode §3.12): decomposed and composed arithmetically.
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

void decompose_into(std::u32string& out, char32_t c) {
  if (c >= kSBase && c < kSBase + kSCount) {
    char32_t s = c - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  if (c >= 0xC0) {
    if (const char32_t* d = map_lookup(kDecomposition, kDecompositionSize, c)) {
      out += d;
      return;
    }
  }
  out.push_back(c);
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const Composition* end = kCompositions + kCompositionsSize;
  const Composition* it = std::lower_bound(kCompositions, end, std::make_pair(a, b),
                                           [](const Composition& x, const std::pair<char32_t, char32_t>& v) {
                                             return x.first != v.first ? x.first < v.first : x.second < v.second;
                                           });
  return (it != end && it->first == a && it->second == b) ? it->composed : 0;
}

bool is_cased(char32_t c) { return in_ranges(kCased, kCasedSize, c); }
bool is_case_ignorable(char32_t c) { return in_ranges(kCaseIgnorable, kCaseIgnorableSize, c); }

// Python's handle_capital_sigma: final when a cased letter precedes (skipping case-ignorables)
// and none follows (again skipping case-ignorables).
bool final_sigma(std::u32string_view s, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(s[j - 1])) --j;
  if (j == 0 || !is_cased(s[j - 1])) return false;
  size_t k = i + 1;
  while (k < s.size() && is_case_ignorable(s[k])) ++k;
  return k == s.size() || !is_cased(s[k]);
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size(), i = 0;
  while (i < n) {
    unsigned char b = p[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    int need;
    char32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2, cp = b & 0x0F;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3, cp = b & 0x07;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool ok = true;
    for (int k = 0; k < need; ++k, ++j) {
      unsigned char lo_k = k == 0 ? lo : 0x80, hi_k = k == 0 ? hi : 0xBF;
      if (j >= n || p[j] < lo_k || p[j] > hi_k) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (p[j] & 0x3F);
    }
    out.push_back(ok ? cp : kReplacement);
    i = j;  // on failure: resume at the byte that broke the sequence (maximal subpart)
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(char(c));
  } else if (c < 0x800) {
    out.push_back(char(0xC0 | (c >> 6)));
    out.push_back(char(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(char(0xE0 | (c >> 12)));
    out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(char(0x80 | (c & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (c >> 18)));
    out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(char(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

bool is_py_space(char32_t c) { return in_ranges(kPySpace, kPySpaceSize, c); }
bool is_regex_space(char32_t c) { return in_ranges(kRegexSpace, kRegexSpaceSize, c); }
bool is_re_word(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return in_ranges(kReWord, kReWordSize, c);
}
bool is_re_digit(char32_t c) { return c < 0x80 ? (c >= '0' && c <= '9') : in_ranges(kReDigit, kReDigitSize, c); }

PretokClass pretok_class(char32_t c) {
  static const std::array<uint8_t, 128> ascii = [] {
    std::array<uint8_t, 128> t{};
    for (char32_t i = 0; i < 128; ++i) t[i] = range_value(kPretokClasses, kPretokClassesSize, i);
    return t;
  }();
  if (c < 128) return PretokClass(ascii[c]);
  return PretokClass(range_value(kPretokClasses, kPretokClassesSize, c));
}

std::u32string nfc(std::u32string_view text) {
  // Text below U+0300 is NFC already and has nothing to compose with (checked by the generator).
  if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x300; })) return std::u32string(text);

  std::u32string d;
  d.reserve(text.size() + 8);
  for (char32_t c : text) decompose_into(d, c);
  // Canonical ordering: stable sort of every run of non-starters by combining class.
  for (size_t i = 0; i < d.size();) {
    if (ccc(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && ccc(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j, [](char32_t a, char32_t b) { return ccc(a) < ccc(b); });
    i = j;
  }
  // Canonical composition.
  std::u32string out;
  out.reserve(d.size());
  size_t starter = std::u32string::npos;
  int last_cc = -1;
  for (char32_t c : d) {
    int cc = ccc(c);
    if (starter != std::u32string::npos) {
      bool adjacent = out.size() == starter + 1;
      bool blocked = !adjacent && (last_cc == 0 || last_cc >= cc);
      if (!blocked) {
        if (char32_t comp = compose_pair(out[starter], c)) {
          out[starter] = comp;
          continue;
        }
      }
    }
    if (cc == 0) starter = out.size();
    out.push_back(c);
    last_cc = cc;
  }
  return out;
}

std::u32string whitespace_clean(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char32_t c : text) {
    if (is_regex_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(U' ');
    in_space = false;
    out.push_back(c);
  }
  if (in_space) out.push_back(U' ');
  size_t b = 0, e = out.size();
  while (b < e && is_py_space(out[b])) ++b;
  while (e > b && is_py_space(out[e - 1])) --e;
  return out.substr(b, e - b);
}

std::u32string lowercase(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c < 0x80) {
      out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
    } else if (c == 0x3A3) {
      out.push_back(final_sigma(text, i) ? 0x3C2 : 0x3C3);
    } else if (const char32_t* lo = map_lookup(kLowercase, kLowercaseSize, c)) {
      out += lo;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace pictor::engine::clip_text
