#pragma once
// UTF-8 well-formedness: what JSON can hold. Text from outside that did not come through a JSON
// parser (multipart fields, prompts) is checked here before it reaches a JSON document.
#include <cstddef>
#include <string_view>

namespace pictor {

// No overlongs, no surrogates, at most U+10FFFF. `code_points` (optional) gets the count.
bool is_valid_utf8(std::string_view s, size_t* code_points = nullptr);

// The longest prefix of `s` of at most `max_bytes` bytes that does not end inside a character:
// cutting user text for a message or a stored note must not make valid UTF-8 invalid.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

}  // namespace pictor
