#pragma once
// Encoding and decoding of PNG (libpng), JPEG (libjpeg-turbo) and WebP (libwebp) in memory.
// The libraries never print or abort: their errors come back as Status (see docs/codecs.md).
#include <cstdint>
#include <span>
#include <vector>

#include "codecs/image_format.h"
#include "core/image.h"
#include "core/status.h"

namespace pictor::codecs {

// OpenAI's default output_compression.
constexpr int kDefaultCompression = 100;

// `compression` is OpenAI's output_compression, 0..100 (anything else is invalid_argument):
//   jpeg, webp: the encoder quality, 100 = best quality / largest file (OpenAI's default),
//               lower values give smaller files. JPEG uses 4:4:4 chroma at 90 and above, 4:2:0
//               below; WebP is always lossy (alpha is stored losslessly).
//   png:        lossless whatever the value; it picks the zlib level round(compression * 9 / 100):
//               0 = stored (fastest, largest), 100 = level 9 (smallest).
// Accepts 1 (grey), 3 (RGB) and 4 (RGBA) channels. PNG keeps grey and RGBA; JPEG drops alpha;
// WebP keeps alpha and expands grey to RGB. PNG output is deterministic: identical pixels give
// identical bytes (no timestamps or other varying chunks).
Result<std::vector<uint8_t>> encode_image(const Image& image, ImageFormat format,
                                          int compression = kDefaultCompression);

struct DecodeLimits {
  // Checked against the dimensions declared in the header before any pixel memory is allocated
  // or any pixel data is decompressed (decompression bombs).
  int64_t max_pixels = 40'000'000;
};

// Sniffs the format from magic bytes (see sniff_format) and decodes to 8-bit RGB, or RGBA when
// `keep_alpha` is set and the image has alpha (an alpha channel or a PNG tRNS chunk). Grey and
// palette images come back as RGB; 16-bit PNGs are scaled to 8 bits; without `keep_alpha` the
// alpha channel is dropped (not composited). Errors:
//   invalid_argument: empty input, not an image, or over limits.max_pixels (with the numbers);
//   unsupported:      GIF, BMP, TIFF, ... or animated WebP, CMYK JPEG;
//   corrupt_data:     truncated or corrupt PNG/JPEG/WebP data (the message says which).
Result<Image> decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits = {},
                           bool keep_alpha = false);

}  // namespace pictor::codecs

namespace pictor::codecs {

struct ImageDims {
  ImageFormat format = ImageFormat::kPng;
  int width = 0, height = 0;
};
// The format and dimensions from the header alone (no pixels decoded): PNG IHDR, JPEG SOFn,
// WebP via libwebp's header parser. corrupt_data when the header is unreadable.
Result<ImageDims> probe_image(std::span<const uint8_t> bytes);

}  // namespace pictor::codecs
