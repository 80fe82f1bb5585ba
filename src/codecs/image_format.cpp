#include "codecs/image_format.h"

#include <cstring>
#include <string>

namespace pictor::codecs {
namespace {

bool starts_with(std::span<const uint8_t> bytes, size_t offset, const char* magic, size_t n) {
  return bytes.size() >= offset + n && std::memcmp(bytes.data() + offset, magic, n) == 0;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// Names a format we recognise but do not decode, or nullptr.
const char* unsupported_format_name(std::span<const uint8_t> b) {
  if (starts_with(b, 0, "GIF87a", 6) || starts_with(b, 0, "GIF89a", 6)) return "GIF";
  if (starts_with(b, 0, "BM", 2) && b.size() >= 26) return "BMP";
  if (starts_with(b, 0, "II*\0", 4) || starts_with(b, 0, "MM\0*", 4)) return "TIFF";
  if (starts_with(b, 4, "ftyp", 4)) {
    if (starts_with(b, 8, "avif", 4) || starts_with(b, 8, "avis", 4)) return "AVIF";
    if (starts_with(b, 8, "heic", 4) || starts_with(b, 8, "heix", 4) ||
        starts_with(b, 8, "mif1", 4) || starts_with(b, 8, "msf1", 4)) {
      return "HEIC/HEIF";
    }
  }
  if (starts_with(b, 0, "\xFF\x0A", 2) || starts_with(b, 0, "\0\0\0\x0CJXL \r\n\x87\n", 12)) {
    return "JPEG XL";
  }
  if (starts_with(b, 0, "\0\0\1\0", 4) && b.size() >= 22) return "ICO";
  if (starts_with(b, 0, "qoif", 4)) return "QOI";
  if (starts_with(b, 0, "<svg", 4) || starts_with(b, 0, "<?xml", 5)) return "SVG";
  return nullptr;
}

}  // namespace

Result<ImageFormat> parse_format(std::string_view name) {
  if (iequals(name, "png")) return ImageFormat::kPng;
  if (iequals(name, "jpeg") || iequals(name, "jpg")) return ImageFormat::kJpeg;
  if (iequals(name, "webp")) return ImageFormat::kWebp;
  return invalid_argument("unknown image format '" + std::string(name) +
                          "' (allowed: png, jpeg, webp)");
}

const char* mime_type(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kWebp:
      return "image/webp";
  }
  return "application/octet-stream";
}

const char* extension(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpg";
    case ImageFormat::kWebp:
      return "webp";
  }
  return "bin";
}

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kWebp:
      return "webp";
  }
  return "unknown";
}

Result<ImageFormat> sniff_format(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return invalid_argument("empty image data");
  if (starts_with(bytes, 0, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts_with(bytes, 0, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts_with(bytes, 0, "RIFF", 4) && starts_with(bytes, 8, "WEBP", 4)) {
    return ImageFormat::kWebp;
  }
  if (const char* name = unsupported_format_name(bytes)) {
    return unsupported(std::string(name) + " images are not supported (use PNG, JPEG or WebP)");
  }
  return invalid_argument("not a PNG, JPEG or WebP image");
}

}  // namespace pictor::codecs
