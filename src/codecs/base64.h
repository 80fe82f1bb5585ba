#pragma once
// Base64 (RFC 4648, standard alphabet) for b64_json responses and image uploads, and the
// "data:image/...;base64," URLs that browsers and OpenAI clients send.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pictor::codecs {

// Standard alphabet with '=' padding.
std::string base64_encode(std::span<const uint8_t> bytes);

// Accepts padded or unpadded input; ASCII whitespace (line breaks from wrapping clients) is
// skipped. Any other character outside the standard alphabet, misplaced '=' or an impossible
// length gives invalid_argument naming the offending position.
Result<std::vector<uint8_t>> base64_decode(std::string_view text);

// Decodes "data:image/<type>;base64,<payload>" or, without a "data:" prefix, plain base64.
// A data URL that is not base64-encoded or not an image/* media type gives invalid_argument.
Result<std::vector<uint8_t>> decode_data_url(std::string_view text);

}  // namespace pictor::codecs
