#include <gtest/gtest.h>

#include "core/image.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/utf8.h"

namespace pictor {

TEST(Rng, SameSeedSameStreamDifferentStreamsDiffer) {
  Rng a(42, 3), b(42, 3), c(42, 4);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  Rng d(42, 3);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += d.next_u64() == c.next_u64();
  EXPECT_LT(same, 2);
}

TEST(Rng, NormalHasUnitMomentsAndUniformIsInRange) {
  Rng r(7);
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.01);
  for (int i = 0; i < 1000; ++i) {
    double u = r.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    int k = r.below(5);
    EXPECT_GE(k, 0);
    EXPECT_LT(k, 5);
  }
}

TEST(Image, ResizeKeepsFlatColourAndSize) {
  Image img(10, 6, 3);
  for (size_t i = 0; i < img.pixels.size(); i += 3) { img.pixels[i] = 200; img.pixels[i + 1] = 10; img.pixels[i + 2] = 99; }
  for (auto [w, h] : {std::pair{20, 12}, {5, 3}, {7, 13}}) {
    Image r = resize_image(img, w, h);
    ASSERT_EQ(r.width, w);
    ASSERT_EQ(r.height, h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        EXPECT_EQ(r.at(x, y)[0], 200);
        EXPECT_EQ(r.at(x, y)[1], 10);
        EXPECT_EQ(r.at(x, y)[2], 99);
      }
  }
}

TEST(Image, ConvertChannels) {
  Image rgba(2, 1, 4);
  rgba.pixels = {10, 20, 30, 0, 40, 50, 60, 255};
  Image rgb = convert_channels(rgba, 3);
  EXPECT_EQ(rgb.pixels, (std::vector<uint8_t>{10, 20, 30, 40, 50, 60}));
  Image back = convert_channels(rgb, 4);
  EXPECT_EQ(back.pixels[3], 255);
}

TEST(Status, ResultCarriesValueOrError) {
  Result<int> ok(5);
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 5);
  Result<int> bad(invalid_argument("nope"));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "nope");
}

}  // namespace pictor

TEST(Utf8, ValidityRejectsOverlongsSurrogatesAndCutSequences) {
  size_t n = 0;
  EXPECT_TRUE(pictor::is_valid_utf8("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x8E\xA8", &n));
  EXPECT_EQ(n, 8u);  // c a f é, space, ✓, space, 🎨
  EXPECT_FALSE(pictor::is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(pictor::is_valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(pictor::is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(pictor::is_valid_utf8("ab\xE2\x9C"));        // cut short
  EXPECT_FALSE(pictor::is_valid_utf8("\x80"));
}

TEST(Utf8, PrefixNeverEndsInsideACharacter) {
  const std::string s = "ab\xE2\x9C\x93" "cd";  // a, b, ✓ (3 bytes), c, d
  EXPECT_EQ(pictor::utf8_prefix(s, 100), s);
  EXPECT_EQ(pictor::utf8_prefix(s, 2), "ab");
  EXPECT_EQ(pictor::utf8_prefix(s, 3), "ab");
  EXPECT_EQ(pictor::utf8_prefix(s, 4), "ab");
  EXPECT_EQ(pictor::utf8_prefix(s, 5), "ab\xE2\x9C\x93");
  EXPECT_EQ(pictor::utf8_prefix(s, 0), "");
  // Every cut of a long multi-byte string stays valid.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "\xF0\x9F\x8E\xA8\xC3\xA9";
  for (size_t k = 0; k <= many.size(); ++k) EXPECT_TRUE(pictor::is_valid_utf8(pictor::utf8_prefix(many, k))) << k;
}
