#pragma once
// A prompt's language, one arena axis (DESIGN.md §6). CLD2 (Debian's libcld2) first; short prompts
// fall back to the script they are written in and to a vote of function words (docs/arena-axes.md).
#include <string>
#include <string_view>

namespace pictor::arena {

// ISO 639-1 code ("en", "fr", "ja", "zh", …), or "und" when the text gives no reliable evidence
// (empty, only digits or symbols, or an unknown language in Latin script with no function words).
std::string detect_language(std::string_view prompt);

// English name of an ISO 639-1 code ("fr" → "French"); "Undetermined" for "und"; the code itself
// when it is not known.
std::string language_name(std::string_view code);

}  // namespace pictor::arena
