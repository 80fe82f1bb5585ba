#pragma once
// Text normalisation of the CLIP tokenizer (internal to pictor_clip_tokenizer; see
// docs/models/clip-tokenizer.md). Text is handled as code points (std::u32string), exactly as the
// Python reference handles str. The reference is transformers' CLIPTokenizer with ftfy installed:
//   whitespace_clean(ftfy.fix_text(chunk)).lower(), then the CLIP pre-tokeniser regex.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pictor::engine::clip_text {

// UTF-8 -> code points. Invalid input becomes U+FFFD, one per maximal invalid subpart (what
// Python's bytes.decode("utf-8", "replace") does), so no surrogate ever comes out.
std::u32string decode_utf8(std::string_view bytes);
void append_utf8(std::string& out, char32_t c);
std::string encode_utf8(std::u32string_view text);

// ftfy.fix_text (ftfy 6.1.1, default config), for the parts listed in the doc: HTML entities
// (auto mode), mojibake (latin-1 / sloppy windows-1252 re-decoding, inconsistent UTF-8,
// byte A0 restoration, lossy sequences, C1 controls), Latin ligatures, character width, curly
// quotes, line breaks, terminal escapes, control characters, NFC; repeated until stable.
std::u32string fix_text(std::u32string_view text);
// ftfy's mojibake heuristic (badness.is_bad). Exposed for tests.
bool is_bad(std::u32string_view text);

std::u32string nfc(std::u32string_view text);
// re.sub(r"\s+", " ", text).strip() with the `regex` module's \s.
std::u32string whitespace_clean(std::u32string_view text);
// str.lower(), including the Final_Sigma rule and U+0130 -> "i\u0307".
std::u32string lowercase(std::u32string_view text);

// Which branch of the pre-tokeniser pattern a code point can start/continue (IGNORECASE applied):
// [\p{L}]+ letters, [\p{N}] one number, [^\s\p{L}\p{N}]+ other symbols, or none (skipped).
enum PretokClass : uint8_t { kSkip = 0, kLetter = 1, kNumber = 2, kOther = 3 };
PretokClass pretok_class(char32_t c);

// Table look-ups shared by clip_text.cpp and clip_ftfy.cpp.
bool is_py_space(char32_t c);     // str.isspace / `re` \s
bool is_regex_space(char32_t c);  // `regex` \s
bool is_re_word(char32_t c);      // `re` \w
bool is_re_digit(char32_t c);     // `re` \d

}  // namespace pictor::engine::clip_text
