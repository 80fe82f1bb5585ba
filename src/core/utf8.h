#pragma once
// UTF-8 well-formedness: what JSON can hold. Text from outside that did not come through a JSON
// parser (multipart fields, prompts) is checked here before it reaches a JSON document.
#include <cstddef>
#include <string_view>

namespace pictor {

// No overlongs, no surrogates, at most U+10FFFF. `code_points` (optional) gets the count.
bool is_valid_utf8(std::string_view s, size_t* code_points = nullptr);

}  // namespace pictor
