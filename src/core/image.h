#pragma once
// Image: 8-bit interleaved pixels, the currency between world/, codecs/, engine/ and the app.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pictor {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;             // 3 = RGB, 4 = RGBA, 1 = grey
  std::vector<uint8_t> pixels;  // row-major, interleaved: [height][width][channels]

  Image() = default;
  Image(int w, int h, int c = 3) : width(w), height(h), channels(c), pixels(size_t(w) * h * c, 0) {}
  bool empty() const { return pixels.empty(); }
  uint8_t* at(int x, int y) { return &pixels[(size_t(y) * width + x) * channels]; }
  const uint8_t* at(int x, int y) const { return &pixels[(size_t(y) * width + x) * channels]; }
};

// Bilinear resize (area-averaging when shrinking); keeps the channel count.
Image resize_image(const Image& src, int width, int height);
// Drops or adds alpha / expands grey so that the result has `channels` channels.
Image convert_channels(const Image& src, int channels);

}  // namespace pictor
