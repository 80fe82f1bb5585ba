// probe_image: the header's size equals what decode_image produces, including for the JPEGs
// libjpeg tolerates (stray bytes between segments, a segment length under 2), which the fuzzer
// found probing as corrupt (fuzz/regressions/image_decode/), and PNGs with an ancillary chunk
// before IHDR.
#include <gtest/gtest.h>

#include "codecs/image_codec.h"
#include "test_images.h"

namespace pictor::codecs {
namespace {

using testing::make_test_image;

void expect_probes_like_decode(const std::vector<uint8_t>& bytes, ImageFormat format) {
  auto img = decode_image(bytes);
  ASSERT_TRUE(img.is_ok()) << img.status().message();
  auto dims = probe_image(bytes);
  ASSERT_TRUE(dims.is_ok()) << dims.status().message();
  EXPECT_EQ(dims->format, format);
  EXPECT_EQ(dims->width, img->width);
  EXPECT_EQ(dims->height, img->height);
}

TEST(ImageProbe, MatchesDecodeForEachFormat) {
  const Image img = make_test_image(37, 21, 3);
  expect_probes_like_decode(*encode_image(img, ImageFormat::kPng), ImageFormat::kPng);
  expect_probes_like_decode(*encode_image(img, ImageFormat::kJpeg, 80), ImageFormat::kJpeg);
  expect_probes_like_decode(*encode_image(img, ImageFormat::kWebp, 80), ImageFormat::kWebp);
}

// Inserts `extra` right after the JPEG's SOI marker (FF D8).
std::vector<uint8_t> jpeg_with_prefix(const std::vector<uint8_t>& extra) {
  std::vector<uint8_t> jpeg = *encode_image(make_test_image(24, 16, 3), ImageFormat::kJpeg, 80);
  jpeg.insert(jpeg.begin() + 2, extra.begin(), extra.end());
  return jpeg;
}

TEST(ImageProbe, JpegStrayBytesBeforeAMarker) {
  // An empty APP0 segment, then three bytes that belong to no segment (sniffing needs FF D8 FF).
  expect_probes_like_decode(jpeg_with_prefix({0xFF, 0xE0, 0x00, 0x02, 0x00, 0x12, 0x34}), ImageFormat::kJpeg);
}

TEST(ImageProbe, JpegStuffedZeroBetweenSegments) {
  // FF 00 outside a scan is no marker: libjpeg skips it as stray bytes.
  expect_probes_like_decode(jpeg_with_prefix({0xFF, 0xE0, 0x00, 0x02, 0xFF, 0x00, 0x11, 0x00}), ImageFormat::kJpeg);
}

TEST(ImageProbe, JpegSegmentLengthUnderTwo) {
  // An APP0 segment of declared length 1: libjpeg reads it as empty and goes on.
  expect_probes_like_decode(jpeg_with_prefix({0xFF, 0xE0, 0x00, 0x01}), ImageFormat::kJpeg);
}

TEST(ImageProbe, PngAncillaryChunkBeforeIhdr) {
  // libpng skips an unknown ancillary chunk ("abcd", bad CRC and all) before IHDR.
  std::vector<uint8_t> png = *encode_image(make_test_image(19, 7, 3), ImageFormat::kPng);
  const std::vector<uint8_t> chunk = {0, 0, 0, 2, 'a', 'b', 'c', 'd', 'x', 'y', 1, 2, 3, 4};
  png.insert(png.begin() + 8, chunk.begin(), chunk.end());
  expect_probes_like_decode(png, ImageFormat::kPng);
}

TEST(ImageProbe, RejectsHeadersWithoutASize) {
  const std::vector<uint8_t> soi_only = {0xFF, 0xD8, 0xFF, 0xD9, 0x00, 0x00};
  EXPECT_EQ(probe_image(soi_only).status().code(), StatusCode::kCorruptData);
  const std::vector<uint8_t> png_sig = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 0};
  EXPECT_FALSE(probe_image(png_sig).is_ok());
  EXPECT_FALSE(probe_image(std::vector<uint8_t>{}).is_ok());
}

}  // namespace
}  // namespace pictor::codecs
