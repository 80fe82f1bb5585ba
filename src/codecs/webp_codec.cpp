// WebP via libwebp (simple encoder, advanced decoder for precise status codes).
#include <webp/decode.h>
#include <webp/encode.h>

#include <string>

#include "codecs/codec_internal.h"

namespace pictor::codecs::detail {
namespace {

const char* vp8_status_text(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OK:
      return "ok";
    case VP8_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case VP8_STATUS_INVALID_PARAM:
      return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:
      return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "unsupported feature";
    case VP8_STATUS_SUSPENDED:
      return "suspended";
    case VP8_STATUS_USER_ABORT:
      return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "unexpected end of data";
  }
  return "unknown error";
}

Status webp_error(VP8StatusCode status) {
  if (status == VP8_STATUS_NOT_ENOUGH_DATA) {
    return corrupt_data("truncated WebP data: unexpected end of data");
  }
  if (status == VP8_STATUS_OUT_OF_MEMORY) return internal_error("WebP decoder: out of memory");
  return corrupt_data(std::string("corrupt WebP data: ") + vp8_status_text(status));
}

}  // namespace

Result<Image> decode_webp(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                          bool keep_alpha) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return internal_error("libwebp: version mismatch");
  // Header only: dimensions and features, nothing allocated yet.
  VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &config.input);
  if (status != VP8_STATUS_OK) return webp_error(status);
  if (config.input.has_animation) {
    return unsupported("animated WebP images are not supported");
  }
  PICTOR_RETURN_IF_ERROR(check_dimensions("WebP", config.input.width, config.input.height, limits));
  const int channels = keep_alpha && config.input.has_alpha ? 4 : 3;
  Image image(config.input.width, config.input.height, channels);
  config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = image.pixels.data();
  config.output.u.RGBA.stride = image.width * channels;
  config.output.u.RGBA.size = image.pixels.size();
  status = WebPDecode(bytes.data(), bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);  // no-op for external memory, but keeps the contract
  if (status != VP8_STATUS_OK) return webp_error(status);
  return image;
}

Result<std::vector<uint8_t>> encode_webp(const Image& image, int quality) {
  if (image.width > WEBP_MAX_DIMENSION || image.height > WEBP_MAX_DIMENSION) {
    return invalid_argument("WebP images are at most " + std::to_string(WEBP_MAX_DIMENSION) +
                            " pixels on a side, got " + std::to_string(image.width) + "x" +
                            std::to_string(image.height));
  }
  Image rgb_storage;
  const Image* src = &image;
  if (image.channels == 1) {
    rgb_storage = convert_channels(image, 3);
    src = &rgb_storage;
  }
  WebPConfig config;
  if (!WebPConfigPreset(&config, WEBP_PRESET_DEFAULT, float(quality))) {
    return internal_error("libwebp: version mismatch");
  }
  // Sharp RGB->YUV conversion keeps coloured edges crisp under 4:2:0 at a small CPU cost.
  config.use_sharp_yuv = quality >= 90 ? 1 : 0;
  WebPPicture picture;
  if (!WebPPictureInit(&picture)) return internal_error("libwebp: version mismatch");
  picture.use_argb = 1;
  picture.width = src->width;
  picture.height = src->height;
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  picture.writer = WebPMemoryWrite;
  picture.custom_ptr = &writer;
  const int stride = src->width * src->channels;
  const int imported = src->channels == 4
                           ? WebPPictureImportRGBA(&picture, src->pixels.data(), stride)
                           : WebPPictureImportRGB(&picture, src->pixels.data(), stride);
  const int ok = imported && WebPEncode(&config, &picture);
  const WebPEncodingError error = picture.error_code;
  WebPPictureFree(&picture);
  if (!ok) {
    WebPMemoryWriterClear(&writer);
    return internal_error("WebP encoding failed (libwebp error " + std::to_string(int(error)) +
                          ")");
  }
  std::vector<uint8_t> out(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  return out;
}

}  // namespace pictor::codecs::detail
