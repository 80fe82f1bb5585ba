#include "codecs/image_codec.h"

#include <algorithm>
#include <new>
#include <string>

#include "codecs/codec_internal.h"

namespace pictor::codecs {
namespace detail {

Status check_dimensions(const char* format, int64_t width, int64_t height,
                        const DecodeLimits& limits) {
  if (width <= 0 || height <= 0) {
    return corrupt_data(std::string("corrupt ") + format + " data: header declares an empty size " +
                        std::to_string(width) + "x" + std::to_string(height));
  }
  // PNG headers declare each side as a 32-bit unsigned number, so width * height can pass
  // INT64_MAX (UBSan saw 2684420056 x 4292870144): the product is taken unsigned, where two
  // factors below 2^32 always fit.
  const uint64_t pixels = uint64_t(width) * uint64_t(height);
  if (pixels > uint64_t(std::max<int64_t>(limits.max_pixels, 0))) {
    return invalid_argument(std::string(format) + " image is " + std::to_string(width) + "x" +
                            std::to_string(height) + " = " + std::to_string(pixels) +
                            " pixels, over the limit of " + std::to_string(limits.max_pixels) +
                            " pixels");
  }
  return Status::ok();
}

}  // namespace detail

Result<std::vector<uint8_t>> encode_image(const Image& image, ImageFormat format, int compression) {
  if (compression < 0 || compression > 100) {
    return invalid_argument("output compression must be between 0 and 100, got " +
                            std::to_string(compression));
  }
  if (image.width <= 0 || image.height <= 0) {
    return invalid_argument("cannot encode an empty image (" + std::to_string(image.width) + "x" +
                            std::to_string(image.height) + ")");
  }
  if (image.channels != 1 && image.channels != 3 && image.channels != 4) {
    return invalid_argument("cannot encode an image with " + std::to_string(image.channels) +
                            " channels (1, 3 or 4 expected)");
  }
  if (image.pixels.size() != size_t(image.width) * size_t(image.height) * size_t(image.channels)) {
    return invalid_argument("image pixel buffer has " + std::to_string(image.pixels.size()) +
                            " bytes, expected width*height*channels");
  }
  try {
    switch (format) {
      case ImageFormat::kPng:
        return detail::encode_png(image, (compression * 9 + 50) / 100);
      case ImageFormat::kJpeg:
        return detail::encode_jpeg(image, compression);
      case ImageFormat::kWebp:
        return detail::encode_webp(image, compression);
    }
  } catch (const std::bad_alloc&) {
    return internal_error("out of memory while encoding a " + std::to_string(image.width) + "x" +
                          std::to_string(image.height) + " image");
  }
  return invalid_argument("unknown image format");
}

Result<Image> decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                           bool keep_alpha) {
  Result<ImageFormat> format = sniff_format(bytes);
  if (!format.is_ok()) return format.status();
  try {
    switch (*format) {
      case ImageFormat::kPng:
        return detail::decode_png(bytes, limits, keep_alpha);
      case ImageFormat::kJpeg:
        return detail::decode_jpeg(bytes, limits);
      case ImageFormat::kWebp:
        return detail::decode_webp(bytes, limits, keep_alpha);
    }
  } catch (const std::bad_alloc&) {
    return internal_error("out of memory while decoding an image");
  }
  return internal_error("unknown image format");
}

}  // namespace pictor::codecs
