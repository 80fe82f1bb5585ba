// Every decode error path: clear Status, nothing printed, nothing aborted, bombs caught early.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "codecs/image_codec.h"
#include "test_images.h"

namespace pictor::codecs {
namespace {

using testing::make_test_image;

struct Encoded {
  const char* name;
  std::vector<uint8_t> bytes;
};

std::vector<Encoded> encoded_samples() {
  const Image img = make_test_image(64, 48, 3);
  return {{"PNG", *encode_image(img, ImageFormat::kPng)},
          {"JPEG", *encode_image(img, ImageFormat::kJpeg, 90)},
          {"WebP", *encode_image(img, ImageFormat::kWebp, 90)}};
}

// Decodes and returns the error; the libraries must not write anything to stderr.
Status decode_error(const std::vector<uint8_t>& bytes, const DecodeLimits& limits = {}) {
  ::testing::internal::CaptureStderr();
  Result<Image> r = decode_image(bytes, limits);
  const std::string printed = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "") << "a codec library printed to stderr";
  EXPECT_FALSE(r.is_ok()) << "decoded unexpectedly";
  return r.is_ok() ? Status::ok() : r.status();
}

#define EXPECT_HAS(status, code_, text)                                    \
  do {                                                                     \
    const Status s_ = (status);                                            \
    EXPECT_EQ(s_.code(), code_) << s_.message();                           \
    EXPECT_NE(s_.message().find(text), std::string::npos) << s_.message(); \
  } while (0)

TEST(DecodeErrors, EmptyGarbageAndUnsupported) {
  EXPECT_HAS(decode_error({}), StatusCode::kInvalidArgument, "empty image data");
  const std::string text = "this is a text file, not an image";
  EXPECT_HAS(decode_error({text.begin(), text.end()}), StatusCode::kInvalidArgument,
             "not a PNG, JPEG or WebP image");
  const std::string gif = "GIF89a\x10\x00\x10\x00";
  EXPECT_HAS(decode_error({gif.begin(), gif.end()}), StatusCode::kUnsupported,
             "GIF images are not supported");
}

TEST(DecodeErrors, TruncatedFilesOfEveryFormat) {
  for (const Encoded& e : encoded_samples()) {
    ASSERT_TRUE(decode_image(e.bytes).is_ok()) << e.name;
    for (size_t keep : {e.bytes.size() / 2, e.bytes.size() - 1, size_t(20)}) {
      std::vector<uint8_t> cut(e.bytes.begin(), e.bytes.begin() + long(keep));
      const Status st = decode_error(cut);
      EXPECT_EQ(st.code(), StatusCode::kCorruptData) << e.name << " " << st.message();
      EXPECT_NE(st.message().find(std::string("truncated ") + e.name + " data"), std::string::npos)
          << e.name << " cut to " << keep << ": " << st.message();
    }
  }
}

TEST(DecodeErrors, CorruptPngData) {
  std::vector<uint8_t> png = encoded_samples()[0].bytes;
  png[png.size() / 2] ^= 0x55;  // inside IDAT: zlib notices before the chunk's CRC is read
  EXPECT_HAS(decode_error(png), StatusCode::kCorruptData, "corrupt PNG data: ");
  png = encoded_samples()[0].bytes;
  png[29] ^= 0x01;  // IHDR's CRC
  EXPECT_HAS(decode_error(png), StatusCode::kCorruptData, "corrupt PNG data: IHDR: CRC error");
}

TEST(DecodeErrors, PngBombIsRejectedFromTheHeaderAlone) {
  // 100000 x 100000 RGB would need 30 GB; the file is 33 bytes with no pixel data at all.
  const std::vector<uint8_t> bomb = testing::png_header_only(100000, 100000);
  EXPECT_HAS(decode_error(bomb), StatusCode::kInvalidArgument,
             "PNG image is 100000x100000 = 10000000000 pixels, over the limit of 40000000 pixels");
  // Sides past 2^31 (PNG stores them as 32-bit unsigned): the pixel count passes INT64_MAX, and
  // the check must still say "over the limit" (it overflowed, which UBSan caught in the fuzzer).
  EXPECT_HAS(decode_error(testing::png_header_only(4292870144u, 2684420056u)), StatusCode::kInvalidArgument,
             "PNG image is 4292870144x2684420056 = 11523866712357208064 pixels, over the limit");
  // Within the default limit the same header is simply truncated.
  EXPECT_HAS(decode_error(testing::png_header_only(100, 100)), StatusCode::kCorruptData,
             "truncated PNG data");
  // Wider than libpng's default per-side cap but within the pixel limit: only the limit counts.
  EXPECT_HAS(decode_error(testing::png_header_only(2'000'000, 10)), StatusCode::kCorruptData,
             "truncated PNG data");
  EXPECT_HAS(decode_error(testing::png_header_only(0, 100)), StatusCode::kCorruptData,
             "corrupt PNG data");
}

TEST(DecodeErrors, LimitsApplyToEveryFormat) {
  DecodeLimits tight;
  tight.max_pixels = 64 * 48 - 1;
  for (const Encoded& e : encoded_samples()) {
    EXPECT_HAS(decode_error(e.bytes, tight), StatusCode::kInvalidArgument,
               std::string(e.name) + " image is 64x48 = 3072 pixels, over the limit of 3071");
    tight.max_pixels = 64 * 48;
    EXPECT_TRUE(decode_image(e.bytes, tight).is_ok()) << e.name;
    tight.max_pixels = 64 * 48 - 1;
  }
}

TEST(DecodeErrors, JpegAndWebpHeadersWithGarbageBodies) {
  std::vector<uint8_t> jpeg(200, 0x42);
  jpeg[0] = 0xFF;
  jpeg[1] = 0xD8;
  jpeg[2] = 0xFF;
  jpeg[3] = 0xE0;
  EXPECT_EQ(decode_error(jpeg).code(), StatusCode::kCorruptData);
  std::string webp = std::string("RIFF\x40\0\0\0WEBPVP8 ", 16) + std::string(60, 'x');
  EXPECT_EQ(decode_error({webp.begin(), webp.end()}).code(), StatusCode::kCorruptData);
}

// Random byte flips, insertions and cuts must never crash, hang, print or throw.
TEST(DecodeErrors, MutatedInputsNeverCrash) {
  std::mt19937 rng(1234);
  int failures = 0;
  for (const Encoded& e : encoded_samples()) {
    for (int iter = 0; iter < 150; ++iter) {
      std::vector<uint8_t> b = e.bytes;
      const int edits = 1 + int(rng() % 8);
      for (int k = 0; k < edits; ++k) {
        const size_t pos = 3 + rng() % (b.size() - 3);  // keep the magic so the codec is reached
        switch (rng() % 3) {
          case 0:
            b[pos] = uint8_t(rng());
            break;
          case 1:
            b.insert(b.begin() + long(pos), uint8_t(rng()));
            break;
          default:
            b.resize(std::max<size_t>(pos, 12));
        }
      }
      ::testing::internal::CaptureStderr();
      Result<Image> r = decode_image(b);
      EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
      if (!r.is_ok()) {
        ++failures;
        EXPECT_FALSE(r.status().message().empty());
      } else {
        EXPECT_EQ(r->pixels.size(), size_t(r->width) * r->height * r->channels);
      }
    }
  }
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace pictor::codecs
