// probe_image: dimensions from headers, for images that arrive already encoded (an upstream
// provider's output is stored as sent, so decoding every pixel just to learn the size is waste).
#include <webp/decode.h>

#include <algorithm>

#include "codecs/image_codec.h"

namespace pictor::codecs {

namespace {

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

Result<ImageDims> probe_jpeg(std::span<const uint8_t> b) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    // What libjpeg accepts must probe (the fuzzer checks it): between segments it skips, with a
    // warning, any bytes up to the next marker, including FF 00 (a stuffed zero, not a marker),
    // and it reads a segment length under 2 as an empty segment.
    if (b[i] != 0xFF) {
      ++i;
      continue;
    }
    const uint8_t m = b[i + 1];
    if (m == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0x00) {
      i += 2;
      continue;
    }
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      i += 2;
      continue;
    }
    const size_t len = std::max<size_t>(be16(&b[i + 2]), 2);
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (i + 9 > b.size()) break;
      ImageDims d{ImageFormat::kJpeg, be16(&b[i + 7]), be16(&b[i + 5])};
      if (d.width == 0 || d.height == 0) break;
      return d;
    }
    i += 2 + len;
  }
  return corrupt_data("JPEG: no frame header");
}

// IHDR is the first chunk in every file a writer makes, but libpng skips ancillary chunks
// (lower-case first letter) before it, so the probe does too.
Result<ImageDims> probe_png(std::span<const uint8_t> b) {
  size_t i = 8;
  while (i + 8 <= b.size()) {
    const uint32_t len = be32(&b[i]);
    const std::string_view type(reinterpret_cast<const char*>(&b[i + 4]), 4);
    if (type == "IHDR") {
      if (i + 16 > b.size()) break;
      ImageDims d{ImageFormat::kPng, int(be32(&b[i + 8])), int(be32(&b[i + 12]))};
      if (d.width <= 0 || d.height <= 0) return corrupt_data("PNG: bad dimensions");
      return d;
    }
    if (!(type[0] & 0x20)) break;  // a critical chunk before IHDR: libpng stops too
    if (len > b.size() - i - 8) break;
    i += 12 + size_t(len);
  }
  return corrupt_data("PNG: no IHDR header");
}

}  // namespace

Result<ImageDims> probe_image(std::span<const uint8_t> b) {
  auto format = sniff_format(b);
  if (!format.is_ok()) return format.status();
  switch (*format) {
    case ImageFormat::kPng: return probe_png(b);
    case ImageFormat::kJpeg: return probe_jpeg(b);
    case ImageFormat::kWebp: {
      int w = 0, h = 0;
      if (!WebPGetInfo(b.data(), b.size(), &w, &h)) return corrupt_data("WebP: unreadable header");
      return ImageDims{ImageFormat::kWebp, w, h};
    }
  }
  return corrupt_data("unknown image format");
}

}  // namespace pictor::codecs
