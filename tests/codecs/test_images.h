#pragma once
// Synthetic images and hand-made PNG streams for the codec tests.
#include <cstdint>
#include <string>
#include <vector>

#include "core/image.h"

namespace pictor::codecs::testing {

// Smooth gradients plus a few flat shapes (what generated images look like); deterministic.
Image make_test_image(int width, int height, int channels, uint32_t seed = 1);

// Peak signal-to-noise ratio in dB over all channels; +inf for identical images.
double psnr(const Image& a, const Image& b);

// CRC-32 as used by PNG chunks.
uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

// A PNG stream with just a signature and a (correctly checksummed) IHDR for width x height RGB,
// optionally followed by `tail` bytes. Enough for decoders to read the declared size.
std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height,
                                     const std::vector<uint8_t>& tail = {});

// Writes a PNG through libpng with the given color type (PNG_COLOR_TYPE_*), bit depth and
// interlacing. `samples` holds one value per channel per pixel (0..2^depth-1), row-major;
// for palette images they are indices into `palette` (RGB triples) and `trns` gives per-index
// alpha (may be empty).
std::vector<uint8_t> write_png_with_libpng(int width, int height, int color_type, int bit_depth,
                                           bool interlaced, const std::vector<uint16_t>& samples,
                                           const std::vector<uint8_t>& palette = {},
                                           const std::vector<uint8_t>& trns = {});

// Creates a fresh directory under the system temp dir.
std::string make_temp_dir();

}  // namespace pictor::codecs::testing
