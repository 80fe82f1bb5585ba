#pragma once
// Per-format encoders/decoders behind encode_image/decode_image. Inputs are already validated:
// the image is non-empty with 1, 3 or 4 channels and a matching pixel buffer.
#include <cstdint>
#include <span>
#include <vector>

#include "codecs/image_codec.h"

namespace pictor::codecs::detail {

Result<std::vector<uint8_t>> encode_png(const Image& image, int zlib_level);
Result<std::vector<uint8_t>> encode_jpeg(const Image& image, int quality);
Result<std::vector<uint8_t>> encode_webp(const Image& image, int quality);

Result<Image> decode_png(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                         bool keep_alpha);
Result<Image> decode_jpeg(std::span<const uint8_t> bytes, const DecodeLimits& limits);
Result<Image> decode_webp(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                          bool keep_alpha);

// invalid_argument with the numbers when width x height exceeds the limit; corrupt_data when a
// dimension is not positive.
Status check_dimensions(const char* format, int64_t width, int64_t height,
                        const DecodeLimits& limits);

}  // namespace pictor::codecs::detail
