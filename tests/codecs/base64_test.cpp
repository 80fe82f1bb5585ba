#include "codecs/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace pictor::codecs {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
std::string string_of(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

// RFC 4648 section 10 test vectors.
const std::pair<const char*, const char*> kVectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Vectors) {
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
    Result<std::vector<uint8_t>> decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.is_ok()) << encoded << ": " << decoded.status().message();
    EXPECT_EQ(string_of(*decoded), plain);
  }
}

TEST(Base64, AllByteValuesAndRandomRoundTrips) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = uint8_t(i);
  EXPECT_EQ(*base64_decode(base64_encode(all)), all);
  std::mt19937 rng(3);
  for (size_t n = 0; n < 64; ++n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = uint8_t(rng());
    EXPECT_EQ(*base64_decode(base64_encode(v)), v) << n;
  }
  EXPECT_EQ(base64_encode(std::vector<uint8_t>{0xFB, 0xFF}), "+/8=");
}

TEST(Base64, AcceptsMissingPaddingAndLineBreaks) {
  EXPECT_EQ(string_of(*base64_decode("Zg")), "f");
  EXPECT_EQ(string_of(*base64_decode("Zm8")), "fo");
  EXPECT_EQ(string_of(*base64_decode("Zm9v\r\nYmFy\n")), "foobar");
  EXPECT_EQ(string_of(*base64_decode(" Zm9v YmE= ")), "fooba");
}

TEST(Base64, RejectsInvalidInput) {
  const std::pair<const char*, const char*> bad[] = {
      {"Zm9v!mFy", "unexpected '!' at position 4"},
      {"Zm9v-_", "unexpected '-' at position 4"},  // URL-safe alphabet is not accepted
      {"Zm\x01v", "unexpected byte 0x01 at position 2"},
      {"=Zm9", "misplaced '=' at position 0"},
      {"Z===", "misplaced '=' at position 1"},
      {"Zg==Zg==", "data after '=' padding at position 4"},
      {"Zm9vY", "truncated input"},
      {"Zg=", "incomplete '=' padding"},
      {"Zm8==", "too much '=' padding"},
  };
  for (const auto& [input, message] : bad) {
    Result<std::vector<uint8_t>> r = base64_decode(input);
    ASSERT_FALSE(r.is_ok()) << input;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(message), std::string::npos)
        << input << " -> " << r.status().message();
  }
}

TEST(DataUrl, StripsImagePrefix) {
  EXPECT_EQ(string_of(*decode_data_url("data:image/png;base64,Zm9vYmFy")), "foobar");
  EXPECT_EQ(string_of(*decode_data_url("data:image/webp;base64,Zm8=")), "fo");
  EXPECT_EQ(string_of(*decode_data_url("Zm9v")), "foo");  // plain base64 passes through
}

TEST(DataUrl, RejectsOtherDataUrls) {
  const std::pair<const char*, const char*> bad[] = {
      {"data:image/png,rawbytes", "only base64-encoded"},
      {"data:text/plain;base64,Zm9v", "media type 'text/plain' is not an image/* type"},
      {"data:image/png;base64", "no ','"},
      {"data:image/png;base64,Zm9v!", "invalid data URL: invalid base64: unexpected '!'"},
  };
  for (const auto& [input, message] : bad) {
    Result<std::vector<uint8_t>> r = decode_data_url(input);
    ASSERT_FALSE(r.is_ok()) << input;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace pictor::codecs
