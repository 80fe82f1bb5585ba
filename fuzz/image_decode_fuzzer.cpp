// The image decoders (PNG via libpng, JPEG via libjpeg-turbo, WebP via libwebp) and the header
// probe, as uploads reach them: any bytes, under a pixel cap.
#include "codecs/codecs.h"
#include "fuzz_check.h"

using namespace pictor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const codecs::DecodeLimits limits{1'000'000};
  auto probed = codecs::probe_image(bytes);
  // Alternate keep_alpha on the last byte so both paths see every format.
  const bool keep_alpha = size > 0 && (data[size - 1] & 1);
  auto img = codecs::decode_image(bytes, limits, keep_alpha);
  if (!img.is_ok()) return 0;
  fuzz::check(img->width > 0 && img->height > 0, "decoded an empty image");
  fuzz::check(int64_t(img->width) * img->height <= limits.max_pixels, "decoded past the pixel cap");
  fuzz::check(img->channels == 3 || (keep_alpha && img->channels == 4), "unexpected channel count");
  fuzz::check(img->pixels.size() == size_t(img->width) * img->height * img->channels, "pixel buffer size");
  // What decodes must probe to the same size: the jobs layer sizes stored images by probing.
  fuzz::check(probed.is_ok(), "decodes but does not probe: " + probed.status().message());
  fuzz::check(probed->width == img->width && probed->height == img->height,
              "probe says " + std::to_string(probed->width) + "x" + std::to_string(probed->height) + ", decode " +
                  std::to_string(img->width) + "x" + std::to_string(img->height));
  return 0;
}
