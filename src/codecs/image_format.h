#pragma once
// Image formats pictor reads and writes, and recognising them from their first bytes.
#include <cstdint>
#include <span>
#include <string_view>

#include "core/status.h"

namespace pictor::codecs {

enum class ImageFormat { kPng, kJpeg, kWebp };

// "png", "jpeg" / "jpg", "webp" (case-insensitive, as in OpenAI's output_format); otherwise
// invalid_argument naming the allowed values.
Result<ImageFormat> parse_format(std::string_view name);
// "image/png", "image/jpeg", "image/webp".
const char* mime_type(ImageFormat format);
// File extension without the dot: "png", "jpg", "webp".
const char* extension(ImageFormat format);
// Canonical name: "png", "jpeg", "webp".
const char* format_name(ImageFormat format);

// Recognises the format from magic bytes. Empty input and bytes that are no image at all give
// invalid_argument; well-known image formats pictor does not decode (GIF, BMP, TIFF, AVIF/HEIC,
// JPEG XL, ICO, QOI, SVG) give unsupported() naming the format.
Result<ImageFormat> sniff_format(std::span<const uint8_t> bytes);

}  // namespace pictor::codecs
