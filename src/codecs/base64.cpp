#include "codecs/base64.h"

#include <array>

namespace pictor::codecs {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;
constexpr int8_t kSkip = -2;  // whitespace
constexpr int8_t kPad = -3;

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i) t[uint8_t(kAlphabet[i])] = int8_t(i);
  for (char c : {' ', '\t', '\r', '\n', '\f', '\v'}) t[uint8_t(c)] = kSkip;
  t[uint8_t('=')] = kPad;
  return t;
}
constexpr std::array<int8_t, 256> kTable = make_table();

std::string describe(char c) {
  if (c >= 0x21 && c <= 0x7E) return std::string("'") + c + "'";
  static const char* hex = "0123456789abcdef";
  const uint8_t u = uint8_t(c);
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

}  // namespace

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(bytes[i]) << 16;
    if (rest == 2) v |= uint32_t(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::vector<uint8_t>> base64_decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int n = 0;        // sextets in the current quantum
  int padding = 0;  // '=' seen so far
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const int8_t v = kTable[uint8_t(text[pos])];
    if (v == kSkip) continue;
    if (v == kInvalid) {
      return invalid_argument("invalid base64: unexpected " + describe(text[pos]) +
                              " at position " + std::to_string(pos));
    }
    if (v == kPad) {
      // Padding may only complete a quantum that already has 2 or 3 sextets.
      if (n + padding < 2) {
        return invalid_argument("invalid base64: misplaced '=' at position " + std::to_string(pos));
      }
      if (++padding + n > 4) {
        return invalid_argument("invalid base64: too much '=' padding at position " +
                                std::to_string(pos));
      }
      continue;
    }
    if (padding > 0) {
      return invalid_argument("invalid base64: data after '=' padding at position " +
                              std::to_string(pos));
    }
    acc = acc << 6 | uint32_t(v);
    if (++n == 4) {
      out.push_back(uint8_t(acc >> 16));
      out.push_back(uint8_t(acc >> 8));
      out.push_back(uint8_t(acc));
      acc = 0;
      n = 0;
    }
  }
  if (padding > 0 && n + padding != 4) {
    return invalid_argument("invalid base64: incomplete '=' padding");
  }
  if (n == 1) return invalid_argument("invalid base64: truncated input (dangling character)");
  if (n == 2) {
    out.push_back(uint8_t(acc >> 4));
  } else if (n == 3) {
    out.push_back(uint8_t(acc >> 10));
    out.push_back(uint8_t(acc >> 2));
  }
  return out;
}

Result<std::vector<uint8_t>> decode_data_url(std::string_view text) {
  constexpr std::string_view kData = "data:";
  if (text.size() < kData.size() || text.substr(0, kData.size()) != kData) {
    return base64_decode(text);
  }
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return invalid_argument("invalid data URL: no ','");
  const std::string_view meta = text.substr(kData.size(), comma - kData.size());
  constexpr std::string_view kBase64 = ";base64";
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) {
    return invalid_argument("invalid data URL: only base64-encoded data URLs are accepted");
  }
  if (meta.substr(0, 6) != "image/") {
    return invalid_argument("invalid data URL: media type '" +
                            std::string(meta.substr(0, meta.size() - kBase64.size())) +
                            "' is not an image/* type");
  }
  Result<std::vector<uint8_t>> bytes = base64_decode(text.substr(comma + 1));
  if (!bytes.is_ok()) return invalid_argument("invalid data URL: " + bytes.status().message());
  return bytes;
}

}  // namespace pictor::codecs
