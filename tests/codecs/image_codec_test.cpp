// Round trips and encoder behaviour: PNG exact and deterministic, JPEG/WebP close in PSNR.
#include "codecs/image_codec.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cmath>

#include "test_images.h"

namespace pictor::codecs {
namespace {

using testing::make_test_image;
using testing::psnr;

Image decode_ok(const std::vector<uint8_t>& bytes, bool keep_alpha = false) {
  Result<Image> r = decode_image(bytes, {}, keep_alpha);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? std::move(*r) : Image();
}

std::vector<uint8_t> encode_ok(const Image& img, ImageFormat f, int compression = 100) {
  Result<std::vector<uint8_t>> r = encode_image(img, f, compression);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? std::move(*r) : std::vector<uint8_t>();
}

TEST(PngCodec, RgbAndRgbaRoundTripsAreExact) {
  for (int channels : {3, 4}) {
    const Image img = make_test_image(67, 41, channels);  // odd sizes: no stride luck
    const std::vector<uint8_t> png = encode_ok(img, ImageFormat::kPng);
    const Image back = decode_ok(png, /*keep_alpha=*/true);
    EXPECT_EQ(back.width, 67);
    EXPECT_EQ(back.height, 41);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, img.pixels) << channels;
  }
}

TEST(PngCodec, AlphaIsDroppedUnlessKept) {
  const Image img = make_test_image(16, 9, 4);
  const Image rgb = decode_ok(encode_ok(img, ImageFormat::kPng));
  ASSERT_EQ(rgb.channels, 3);
  EXPECT_EQ(rgb.pixels, convert_channels(img, 3).pixels);
  // keep_alpha on an opaque image still gives RGB.
  EXPECT_EQ(decode_ok(encode_ok(make_test_image(8, 8, 3), ImageFormat::kPng), true).channels, 3);
}

TEST(PngCodec, GreyEncodesAsGreyAndDecodesAsRgb) {
  const Image grey = make_test_image(20, 10, 1);
  const std::vector<uint8_t> png = encode_ok(grey, ImageFormat::kPng);
  EXPECT_EQ(png[25], 0);  // IHDR color type: greyscale
  const Image back = decode_ok(png);
  ASSERT_EQ(back.channels, 3);
  for (size_t i = 0; i < grey.pixels.size(); ++i) {
    ASSERT_EQ(back.pixels[3 * i], grey.pixels[i]);
    ASSERT_EQ(back.pixels[3 * i + 2], grey.pixels[i]);
  }
}

TEST(PngCodec, OutputIsDeterministicAndCompressionPicksZlibLevel) {
  const Image img = make_test_image(128, 96, 3);
  const std::vector<uint8_t> a = encode_ok(img, ImageFormat::kPng);
  const std::vector<uint8_t> b = encode_ok(make_test_image(128, 96, 3), ImageFormat::kPng);
  EXPECT_EQ(a, b);
  const std::vector<uint8_t> stored = encode_ok(img, ImageFormat::kPng, 0);
  const std::vector<uint8_t> mid = encode_ok(img, ImageFormat::kPng, 50);
  EXPECT_GT(stored.size(), img.pixels.size());  // level 0: stored, no smaller than raw
  EXPECT_LT(a.size(), stored.size());
  EXPECT_LE(a.size(), mid.size() + mid.size() / 20);
  for (const auto* bytes : {&stored, &mid}) EXPECT_EQ(decode_ok(*bytes).pixels, img.pixels);
  // Only IHDR, IDAT and IEND: no tIME or text chunks that could vary between runs.
  std::string chunks;
  for (size_t pos = 8; pos + 8 <= a.size();) {
    const uint32_t len = uint32_t(a[pos]) << 24 | a[pos + 1] << 16 | a[pos + 2] << 8 | a[pos + 3];
    const std::string type(a.begin() + long(pos) + 4, a.begin() + long(pos) + 8);
    if (chunks.empty() || chunks.substr(chunks.size() - 4) != type) chunks += type;
    pos += 12 + len;
  }
  EXPECT_EQ(chunks, "IHDRIDATIEND");
}

TEST(PngCodec, DecodesPaletteGrey16BitAndInterlacedFiles) {
  const int w = 13, h = 7;
  // Palette with tRNS: index (x + y) % 4.
  std::vector<uint16_t> idx;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) idx.push_back(uint16_t((x + y) % 4));
  const std::vector<uint8_t> palette = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
  const std::vector<uint8_t> trns = {255, 128, 0};
  for (int depth : {2, 8}) {
    Image img = decode_ok(testing::write_png_with_libpng(w, h, PNG_COLOR_TYPE_PALETTE, depth, false,
                                                         idx, palette, trns),
                          /*keep_alpha=*/true);
    ASSERT_EQ(img.channels, 4);
    const uint8_t* p = img.at(2, 1);  // index 3: no tRNS entry -> opaque
    EXPECT_EQ(p[0], 10);
    EXPECT_EQ(p[1], 20);
    EXPECT_EQ(p[2], 30);
    EXPECT_EQ(p[3], 255);
    EXPECT_EQ(img.at(1, 0)[3], 128);
  }
  // 16-bit grey, interlaced: 0xABCD scales to 0xAC (rounded), i.e. 0xABCD * 255 / 65535.
  std::vector<uint16_t> grey16(size_t(w) * h);
  for (size_t i = 0; i < grey16.size(); ++i) grey16[i] = uint16_t(i * 700);
  Image g = decode_ok(
      testing::write_png_with_libpng(w, h, PNG_COLOR_TYPE_GRAY, 16, /*interlaced=*/true, grey16));
  ASSERT_EQ(g.channels, 3);
  for (size_t i = 0; i < grey16.size(); ++i) {
    const int expected = int(std::lround(grey16[i] * 255.0 / 65535.0));
    ASSERT_NEAR(g.pixels[3 * i], expected, 1) << i;
  }
  // 1-bit grey.
  std::vector<uint16_t> bits;
  for (int i = 0; i < w * h; ++i) bits.push_back(uint16_t(i % 3 == 0));
  Image b = decode_ok(testing::write_png_with_libpng(w, h, PNG_COLOR_TYPE_GRAY, 1, false, bits));
  EXPECT_EQ(b.pixels[0], 255);
  EXPECT_EQ(b.pixels[3], 0);
  // Interlaced RGBA 8-bit equals the same image non-interlaced.
  const Image rgba = make_test_image(w, h, 4);
  std::vector<uint16_t> s(rgba.pixels.begin(), rgba.pixels.end());
  Image inter =
      decode_ok(testing::write_png_with_libpng(w, h, PNG_COLOR_TYPE_RGBA, 8, true, s), true);
  EXPECT_EQ(inter.pixels, rgba.pixels);
}

TEST(JpegCodec, RoundTripIsCloseAndQualityMatters) {
  const Image img = make_test_image(96, 64, 3);
  const std::vector<uint8_t> best = encode_ok(img, ImageFormat::kJpeg, 100);
  const std::vector<uint8_t> low = encode_ok(img, ImageFormat::kJpeg, 30);
  const Image back = decode_ok(best);
  ASSERT_EQ(back.channels, 3);
  EXPECT_GT(psnr(back, img), 38.0);
  EXPECT_GT(psnr(decode_ok(low), img), 25.0);
  EXPECT_LT(low.size(), best.size());
  EXPECT_EQ(encode_ok(img, ImageFormat::kJpeg, 80), encode_ok(img, ImageFormat::kJpeg, 80));
  EXPECT_TRUE(encode_image(img, ImageFormat::kJpeg, 0).is_ok());  // quality clamps to 1
}

TEST(JpegCodec, AlphaIsDroppedAndGreyWorks) {
  const Image rgba = make_test_image(40, 30, 4);
  const Image back = decode_ok(encode_ok(rgba, ImageFormat::kJpeg), /*keep_alpha=*/true);
  ASSERT_EQ(back.channels, 3);
  EXPECT_GT(psnr(back, convert_channels(rgba, 3)), 36.0);
  const Image grey = make_test_image(40, 30, 1);
  const Image g = decode_ok(encode_ok(grey, ImageFormat::kJpeg));
  ASSERT_EQ(g.channels, 3);
  EXPECT_GT(psnr(g, convert_channels(grey, 3)), 38.0);
}

TEST(WebpCodec, RoundTripsRgbAndRgba) {
  const Image img = make_test_image(96, 64, 3);
  const std::vector<uint8_t> webp = encode_ok(img, ImageFormat::kWebp, 100);
  const Image back = decode_ok(webp);
  ASSERT_EQ(back.channels, 3);
  // Lossy WebP is always 4:2:0: the test image's hard coloured edges cap it near 31 dB.
  EXPECT_GT(psnr(back, img), 30.0);
  EXPECT_EQ(webp, encode_ok(img, ImageFormat::kWebp, 100));  // deterministic
  const std::vector<uint8_t> low = encode_ok(img, ImageFormat::kWebp, 20);
  EXPECT_LT(low.size(), webp.size());
  EXPECT_GT(psnr(decode_ok(low), img), 24.0);

  const Image rgba = make_test_image(50, 40, 4);
  const Image with_alpha = decode_ok(encode_ok(rgba, ImageFormat::kWebp), /*keep_alpha=*/true);
  ASSERT_EQ(with_alpha.channels, 4);
  for (size_t i = 3; i < rgba.pixels.size(); i += 4) {
    ASSERT_EQ(with_alpha.pixels[i], rgba.pixels[i]) << "alpha is stored losslessly";
  }
  EXPECT_EQ(decode_ok(encode_ok(rgba, ImageFormat::kWebp)).channels, 3);
  EXPECT_EQ(decode_ok(encode_ok(make_test_image(9, 9, 1), ImageFormat::kWebp)).channels, 3);
}

TEST(EncodeImage, RejectsBadInput) {
  const Image img = make_test_image(8, 8, 3);
  Result<std::vector<uint8_t>> r = encode_image(img, ImageFormat::kJpeg, 101);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "output compression must be between 0 and 100, got 101");
  EXPECT_FALSE(encode_image(img, ImageFormat::kPng, -1).is_ok());
  EXPECT_NE(encode_image(Image(), ImageFormat::kPng).status().message().find("empty image"),
            std::string::npos);
  Image two(4, 4, 2);
  EXPECT_NE(encode_image(two, ImageFormat::kPng).status().message().find("2 channels"),
            std::string::npos);
  Image short_buffer = img;
  short_buffer.pixels.pop_back();
  EXPECT_EQ(encode_image(short_buffer, ImageFormat::kPng).status().code(),
            StatusCode::kInvalidArgument);
  Image wide(16384, 1, 3);
  EXPECT_NE(encode_image(wide, ImageFormat::kWebp).status().message().find("at most 16383"),
            std::string::npos);
}

}  // namespace
}  // namespace pictor::codecs
