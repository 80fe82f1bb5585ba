#include "codecs/image_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pictor::codecs {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

TEST(ImageFormat, ParseNamesAndAliases) {
  EXPECT_EQ(*parse_format("png"), ImageFormat::kPng);
  EXPECT_EQ(*parse_format("jpeg"), ImageFormat::kJpeg);
  EXPECT_EQ(*parse_format("jpg"), ImageFormat::kJpeg);
  EXPECT_EQ(*parse_format("webp"), ImageFormat::kWebp);
  EXPECT_EQ(*parse_format("PNG"), ImageFormat::kPng);
  Result<ImageFormat> bad = parse_format("gif");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown image format 'gif' (allowed: png, jpeg, webp)");
  EXPECT_FALSE(parse_format("").is_ok());
  EXPECT_FALSE(parse_format("pngx").is_ok());
}

TEST(ImageFormat, MimeTypesAndExtensions) {
  EXPECT_STREQ(mime_type(ImageFormat::kPng), "image/png");
  EXPECT_STREQ(mime_type(ImageFormat::kJpeg), "image/jpeg");
  EXPECT_STREQ(mime_type(ImageFormat::kWebp), "image/webp");
  EXPECT_STREQ(extension(ImageFormat::kPng), "png");
  EXPECT_STREQ(extension(ImageFormat::kJpeg), "jpg");
  EXPECT_STREQ(extension(ImageFormat::kWebp), "webp");
  EXPECT_STREQ(format_name(ImageFormat::kJpeg), "jpeg");
}

TEST(ImageFormat, SniffsSupportedMagic) {
  EXPECT_EQ(*sniff_format(bytes_of("\x89PNG\r\n\x1A\n....")), ImageFormat::kPng);
  EXPECT_EQ(*sniff_format(bytes_of("\xFF\xD8\xFF\xE0")), ImageFormat::kJpeg);
  EXPECT_EQ(*sniff_format(bytes_of(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16))), ImageFormat::kWebp);
}

TEST(ImageFormat, NamesUnsupportedFormats) {
  const std::pair<std::string, std::string> cases[] = {
      {"GIF89a\x01\0\x01\0", "GIF"},
      {"GIF87a", "GIF"},
      {std::string("BM") + std::string(30, '\0'), "BMP"},
      {std::string("II*\0", 4) + "xxxx", "TIFF"},
      {std::string("\0\0\0\x1C"
                   "ftypavif",
                   12),
       "AVIF"},
      {std::string("\0\0\0\x18"
                   "ftypheic",
                   12),
       "HEIC/HEIF"},
      {"qoif....", "QOI"},
      {"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "SVG"},
      {std::string("\xFF\x0A", 2), "JPEG XL"},
  };
  for (const auto& [data, name] : cases) {
    Result<ImageFormat> r = sniff_format(bytes_of(data));
    ASSERT_FALSE(r.is_ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << name;
    EXPECT_NE(r.status().message().find(name + " images are not supported"), std::string::npos)
        << r.status().message();
  }
}

TEST(ImageFormat, RejectsEmptyAndNonImages) {
  Result<ImageFormat> empty = sniff_format({});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "empty image data");
  for (const std::string& s :
       {std::string("hello"), std::string("{\"json\": 1}"), std::string("RIFF\0\0\0\0WAVE", 12),
        std::string("\x89PN"), std::string("\xFF\xD8")}) {
    Result<ImageFormat> r = sniff_format(bytes_of(s));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(r.status().message(), "not a PNG, JPEG or WebP image");
  }
}

}  // namespace
}  // namespace pictor::codecs
