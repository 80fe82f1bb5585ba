// JPEG via libjpeg(-turbo). Same error scheme as png_codec.cpp: error_exit longjmps back to a
// setjmp in a run function that owns no C++ objects; messages are captured, never printed.
#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them
#include <cstdlib>
#include <memory>
#include <string>

// jerror.h: the message codes (JWRN_JPEG_EOF).
#include <jerror.h>
#include <jpeglib.h>

#include "codecs/codec_internal.h"

namespace pictor::codecs::detail {
namespace {

struct JpegErrors {
  jpeg_error_mgr mgr;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool truncated = false;
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (level < 0) and trace messages: never printed. A premature end of data is a warning
// to libjpeg (it pads with grey and carries on); to us it is a truncated file.
void on_emit_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
  cinfo->err->num_warnings++;
}

void on_output_message(j_common_ptr) {}

void install(JpegErrors* errors) {
  jpeg_std_error(&errors->mgr);
  errors->mgr.error_exit = on_error_exit;
  errors->mgr.emit_message = on_emit_message;
  errors->mgr.output_message = on_output_message;
}

// Decoding runs in phases so that the limit check and the pixel allocation happen in
// decode_jpeg, outside any function that calls setjmp. Each returns false on a libjpeg error.
bool run_read_header(jpeg_decompress_struct* cinfo, JpegErrors* errors,
                     std::span<const uint8_t> bytes) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(cinfo, TRUE);
  return true;
}

bool run_start(jpeg_decompress_struct* cinfo, JpegErrors* errors) {
  if (setjmp(errors->jump)) return false;
  cinfo->out_color_space = JCS_RGB;  // also expands greyscale
  jpeg_start_decompress(cinfo);
  return true;
}

bool run_read_pixels(jpeg_decompress_struct* cinfo, JpegErrors* errors, uint8_t* pixels,
                     size_t stride) {
  if (setjmp(errors->jump)) return false;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = pixels + size_t(cinfo->output_scanline) * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
    if (errors->truncated) return false;  // libjpeg would pad the rest with grey
  }
  jpeg_finish_decompress(cinfo);
  return !errors->truncated;
}

bool run_write(jpeg_compress_struct* cinfo, JpegErrors* errors, const Image* rgb, int quality,
               unsigned char** buffer, unsigned long* size) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, buffer, size);
  cinfo->image_width = JDIMENSION(rgb->width);
  cinfo->image_height = JDIMENSION(rgb->height);
  cinfo->input_components = rgb->channels;
  cinfo->in_color_space = rgb->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, quality < 1 ? 1 : quality, TRUE);
  cinfo->optimize_coding = TRUE;  // smaller files, still deterministic
  if (rgb->channels == 3 && quality >= 90) {
    // 4:4:4: at high quality, chroma subsampling would be the largest visible loss (coloured
    // edges of generated shapes and text).
    for (int c = 0; c < 3; ++c) {
      cinfo->comp_info[c].h_samp_factor = 1;
      cinfo->comp_info[c].v_samp_factor = 1;
    }
  }
  jpeg_start_compress(cinfo, TRUE);
  const size_t stride = size_t(rgb->width) * size_t(rgb->channels);
  while (cinfo->next_scanline < cinfo->image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(rgb->pixels.data() + cinfo->next_scanline * stride);
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  return true;
}

}  // namespace

Result<Image> decode_jpeg(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  JpegErrors errors;
  install(&errors);
  struct Guard {
    jpeg_decompress_struct cinfo{};
    ~Guard() { jpeg_destroy_decompress(&cinfo); }  // safe on a never-created struct
  } g;
  g.cinfo.err = &errors.mgr;
  auto failed = [&errors] {
    if (errors.truncated) {
      return corrupt_data(std::string("truncated JPEG data: ") +
                          (errors.message[0] ? errors.message : "premature end of JPEG file"));
    }
    return corrupt_data(std::string("corrupt JPEG data: ") + errors.message);
  };
  if (!run_read_header(&g.cinfo, &errors, bytes) || errors.truncated) return failed();
  PICTOR_RETURN_IF_ERROR(
      check_dimensions("JPEG", g.cinfo.image_width, g.cinfo.image_height, limits));
  if (g.cinfo.jpeg_color_space == JCS_CMYK || g.cinfo.jpeg_color_space == JCS_YCCK) {
    return unsupported("CMYK JPEG images are not supported (convert to RGB)");
  }
  if (!run_start(&g.cinfo, &errors)) return failed();
  if (g.cinfo.output_components != 3) return internal_error("libjpeg: unexpected output layout");
  Image image(int(g.cinfo.output_width), int(g.cinfo.output_height), 3);
  if (!run_read_pixels(&g.cinfo, &errors, image.pixels.data(), size_t(image.width) * 3)) {
    return failed();
  }
  return image;
}

Result<std::vector<uint8_t>> encode_jpeg(const Image& image, int quality) {
  // JPEG has no alpha: drop it (not composited), as documented in image_codec.h.
  Image rgb_storage;
  const Image* rgb = &image;
  if (image.channels == 4) {
    rgb_storage = convert_channels(image, 3);
    rgb = &rgb_storage;
  }
  jpeg_compress_struct cinfo{};
  JpegErrors errors;
  install(&errors);
  cinfo.err = &errors.mgr;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = run_write(&cinfo, &errors, rgb, quality, &buffer, &size);
  jpeg_destroy_compress(&cinfo);
  std::unique_ptr<unsigned char, void (*)(void*)> owned(buffer, std::free);  // malloc'ed
  if (!ok) return internal_error(std::string("JPEG encoding failed: ") + errors.message);
  return std::vector<uint8_t>(buffer, buffer + size);
}

}  // namespace pictor::codecs::detail
