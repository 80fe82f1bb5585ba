// PNG via libpng. libpng reports errors by calling our error callback, which longjmps back to
// a setjmp in a small "run" function. Those run functions hold no C++ objects of their own and
// touch results only through pointers, so the jump skips no destructors and no local state is
// left indeterminate; the png structs are freed by a guard in the caller.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "codecs/codec_internal.h"

namespace pictor::codecs::detail {
namespace {

struct PngContext {
  // Reading.
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  bool truncated = false;  // a read ran past the end of the input
  // Writing.
  std::vector<uint8_t>* out = nullptr;
  bool out_of_memory = false;
  char message[256] = {};
};

[[noreturn]] void on_error(png_structp png, png_const_charp msg) {
  auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof ctx->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // e.g. "iCCP: known incorrect sRGB profile"

void read_bytes(png_structp png, png_bytep dst, png_size_t n) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (n > ctx->size - ctx->pos) {
    ctx->truncated = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(dst, ctx->data + ctx->pos, n);
  ctx->pos += n;
}

void write_bytes(png_structp png, png_bytep src, png_size_t n) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  try {
    ctx->out->insert(ctx->out->end(), src, src + n);
  } catch (...) {
    ctx->out_of_memory = true;
  }
  // Outside the catch block: never longjmp out of a handler.
  if (ctx->out_of_memory) png_error(png, "out of memory");
}

void flush_bytes(png_structp) {}

int64_t read_u32_be(const uint8_t* p) {
  return int64_t(p[0]) << 24 | int64_t(p[1]) << 16 | int64_t(p[2]) << 8 | int64_t(p[3]);
}

struct ReadGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~ReadGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

struct WriteGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~WriteGuard() { png_destroy_write_struct(&png, info ? &info : nullptr); }
};

// The decode runs in three libpng phases so that the limit check and the allocations happen
// in decode_png, outside any function that calls setjmp. Each returns false when libpng failed
// (message in ctx).
struct PngShape {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int channels = 0;
  size_t row_bytes = 0;
};

// Reads the chunks up to the image data: the declared size is known, nothing big allocated.
bool run_read_info(png_structp png, png_infop info, PngContext* ctx, PngShape* shape) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, ctx, read_bytes);
  png_read_info(png, info);
  shape->width = png_get_image_width(png, info);
  shape->height = png_get_image_height(png, info);
  return true;
}

// Sets up the transforms to 8-bit RGB(A); this allocates libpng's row buffers.
bool run_setup_transforms(png_structp png, png_infop info, bool keep_alpha, PngShape* shape) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_expand(png);    // palette -> RGB, grey < 8 bits -> 8 bits, tRNS -> alpha
  png_set_scale_16(png);  // 16 -> 8 bits, rounding
  png_set_gray_to_rgb(png);
  if (!keep_alpha) png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  shape->channels = png_get_channels(png, info);
  shape->row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool run_read_pixels(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);  // checks the rest of the stream (IEND, CRCs): catches truncation
  return true;
}

bool run_write(png_structp png, png_infop info, PngContext* ctx, const Image* image,
               int zlib_level) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, ctx, write_bytes, flush_bytes);
  const int color = image->channels == 1   ? PNG_COLOR_TYPE_GRAY
                    : image->channels == 3 ? PNG_COLOR_TYPE_RGB
                                           : PNG_COLOR_TYPE_RGBA;
  png_set_IHDR(png, info, png_uint_32(image->width), png_uint_32(image->height), 8, color,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, zlib_level);
  // Stored blocks gain nothing from filtering; skip the adaptive filter search.
  if (zlib_level == 0) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_write_info(png, info);  // no tIME, no text: output depends on the pixels only
  const size_t stride = size_t(image->width) * size_t(image->channels);
  for (int y = 0; y < image->height; ++y) {
    png_write_row(png, image->pixels.data() + size_t(y) * stride);
  }
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

Result<Image> decode_png(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                         bool keep_alpha) {
  // IHDR is always the first chunk: check its size before libpng reads anything else, so that a
  // bomb is reported as such even when the rest of the file is missing or damaged.
  if (bytes.size() >= 24 && std::memcmp(bytes.data() + 12, "IHDR", 4) == 0) {
    PICTOR_RETURN_IF_ERROR(check_dimensions("PNG", read_u32_be(bytes.data() + 16),
                                            read_u32_be(bytes.data() + 20), limits));
  }
  PngContext ctx;
  ctx.data = bytes.data();
  ctx.size = bytes.size();
  ReadGuard g;
  g.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  if (g.png == nullptr) return internal_error("libpng: cannot create a read struct");
  g.info = png_create_info_struct(g.png);
  if (g.info == nullptr) return internal_error("libpng: cannot create an info struct");
  // Our pixel limit replaces libpng's default 1e6 x 1e6 per-side cap (a 2e6 x 10 strip is fine).
  png_set_user_limits(g.png, 0x7FFFFFFF, 0x7FFFFFFF);
  auto failed = [&ctx] {
    return corrupt_data(std::string(ctx.truncated ? "truncated PNG data: " : "corrupt PNG data: ") +
                        ctx.message);
  };
  PngShape shape;
  if (!run_read_info(g.png, g.info, &ctx, &shape)) return failed();
  PICTOR_RETURN_IF_ERROR(check_dimensions("PNG", shape.width, shape.height, limits));
  if (!run_setup_transforms(g.png, g.info, keep_alpha, &shape)) return failed();
  const size_t stride = size_t(shape.width) * size_t(shape.channels);
  if ((shape.channels != 3 && shape.channels != 4) || shape.row_bytes != stride) {
    return internal_error("libpng: unexpected layout after transforms");
  }
  Image image(int(shape.width), int(shape.height), shape.channels);
  std::vector<png_bytep> rows(shape.height);
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = image.pixels.data() + y * stride;
  if (!run_read_pixels(g.png, rows.data())) return failed();
  return image;
}

Result<std::vector<uint8_t>> encode_png(const Image& image, int zlib_level) {
  PngContext ctx;
  std::vector<uint8_t> out;
  ctx.out = &out;
  WriteGuard g;
  g.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  if (g.png == nullptr) return internal_error("libpng: cannot create a write struct");
  g.info = png_create_info_struct(g.png);
  if (g.info == nullptr) return internal_error("libpng: cannot create an info struct");
  if (!run_write(g.png, g.info, &ctx, &image, zlib_level)) {
    if (ctx.out_of_memory) throw std::bad_alloc();  // reported by encode_image
    return internal_error(std::string("PNG encoding failed: ") + ctx.message);
  }
  return out;
}

}  // namespace pictor::codecs::detail
