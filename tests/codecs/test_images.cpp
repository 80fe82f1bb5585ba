#include "test_images.h"

#include <png.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <limits>

namespace pictor::codecs::testing {

Image make_test_image(int width, int height, int channels, uint32_t seed) {
  Image img(width, height, channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = img.at(x, y);
      const int r = (x * 255) / std::max(1, width - 1);
      const int g = (y * 255) / std::max(1, height - 1);
      const int b = int((seed * 37 + uint32_t(x + y) * 2) % 256);
      const bool in_circle =
          (x - width / 3) * (x - width / 3) + (y - height / 2) * (y - height / 2) <
          (width / 5) * (width / 5);
      const bool in_square =
          x > width / 2 && x < width * 5 / 6 && y > height / 4 && y < height * 3 / 4;
      const int rgb[3] = {in_circle ? 220 : r, in_square ? 40 : g, in_square ? 200 : b};
      if (channels == 1) {
        p[0] = uint8_t((rgb[0] + rgb[1] + rgb[2]) / 3);
      } else {
        for (int c = 0; c < 3; ++c) p[c] = uint8_t(rgb[c]);
        if (channels == 4) p[3] = uint8_t(in_circle ? 128 : (x * 7 + y * 3 + int(seed)) % 256);
      }
    }
  }
  return img;
}

double psnr(const Image& a, const Image& b) {
  if (a.pixels.size() != b.pixels.size() || a.pixels.empty()) return -1.0;
  double se = 0.0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = double(a.pixels[i]) - double(b.pixels[i]);
    se += d * d;
  }
  if (se == 0.0) return std::numeric_limits<double>::infinity();
  const double mse = se / double(a.pixels.size());
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

namespace {

void put_u32(std::vector<uint8_t>* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(uint8_t(v >> s));
}

}  // namespace

std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height,
                                     const std::vector<uint8_t>& tail) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  put_u32(&out, 13);
  const size_t type_at = out.size();
  for (char c : std::string("IHDR")) out.push_back(uint8_t(c));
  put_u32(&out, width);
  put_u32(&out, height);
  for (uint8_t v : {8, 2, 0, 0, 0})
    out.push_back(v);  // depth 8, RGB, deflate, no filter, no interlace
  put_u32(&out, crc32(out.data() + type_at, out.size() - type_at));
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

namespace {

void append_to_vector(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

}  // namespace

std::vector<uint8_t> write_png_with_libpng(int width, int height, int color_type, int bit_depth,
                                           bool interlaced, const std::vector<uint16_t>& samples,
                                           const std::vector<uint8_t>& palette,
                                           const std::vector<uint8_t>& trns) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) abort();  // test helper: inputs are always valid
  png_set_write_fn(png, &out, append_to_vector, nullptr);
  png_set_IHDR(png, info, width, height, bit_depth, color_type,
               interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) {
    std::vector<png_color> colors(palette.size() / 3);
    for (size_t i = 0; i < colors.size(); ++i) {
      colors[i] = {palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]};
    }
    png_set_PLTE(png, info, colors.data(), int(colors.size()));
  }
  if (!trns.empty()) png_set_tRNS(png, info, trns.data(), int(trns.size()), nullptr);
  png_write_info(png, info);
  if (bit_depth == 16) png_set_swap(png);  // we pack 16-bit samples little-endian below
  const int channels = png_get_channels(png, info);
  // Pack samples into rows at the requested bit depth.
  const size_t row_bytes = png_get_rowbytes(png, info);
  std::vector<std::vector<uint8_t>> rows(size_t(height), std::vector<uint8_t>(row_bytes, 0));
  for (int y = 0; y < height; ++y) {
    for (int i = 0; i < width * channels; ++i) {
      const uint16_t v = samples[size_t(y) * width * channels + i];
      uint8_t* row = rows[y].data();
      if (bit_depth == 16) {
        row[2 * i] = uint8_t(v);
        row[2 * i + 1] = uint8_t(v >> 8);
      } else if (bit_depth == 8) {
        row[i] = uint8_t(v);
      } else {
        const int per_byte = 8 / bit_depth;
        const int shift = 8 - bit_depth * (i % per_byte + 1);
        row[i / per_byte] |= uint8_t(v << shift);
      }
    }
  }
  std::vector<png_bytep> ptrs;
  for (auto& r : rows) ptrs.push_back(r.data());
  png_write_image(png, ptrs.data());  // handles Adam7 passes itself
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pictor-codecs-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) abort();
  return tmpl;
}

}  // namespace pictor::codecs::testing
