// pictor edit --image IN [--image IN2 …] [--mask M] [--strength S] "INSTRUCTION": images in,
// images out. A mask (PNG with alpha, fully transparent = area to change, the first image's size)
// inpaints; a strength (0–1] redraws the whole image keeping its layout; neither asks for an
// instruction edit (weights trained for edits).
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"

namespace pictor::app {

namespace {

struct EditArgs {
  std::string instruction;
  std::vector<std::string> images;
  std::string mask;
  double strength = -1;
  long long max_pixels = 40'000'000;
  GenerationFlags flags;
};

Result<Image> read_image(const std::string& path, const codecs::DecodeLimits& limits, bool keep_alpha,
                         const char* what) {
  auto bytes = codecs::read_file(path);
  if (!bytes.is_ok()) return Status(bytes.status().code(), std::string(what) + " " + path + ": " + bytes.status().message());
  auto img = codecs::decode_image(*bytes, limits, keep_alpha);
  if (!img.is_ok()) {
    // Undecodable input is the caller's mistake, whatever the codec called it.
    return invalid_argument(std::string(what) + " " + path + ": " + img.status().message());
  }
  return img;
}

int run_edit(const EditArgs& a) {
  if (a.images.size() > 16) return fail(invalid_argument("at most 16 input images (got " + std::to_string(a.images.size()) + ")"));
  if (a.max_pixels < 1) return fail(invalid_argument("--max-pixels must be positive"));
  engine::GenerateRequest req;
  codecs::ImageFormat format;
  if (auto st = a.flags.to_request(a.instruction, req, format); !st.is_ok()) return fail(st);
  codecs::DecodeLimits limits;
  limits.max_pixels = a.max_pixels;
  for (const auto& path : a.images) {
    auto img = read_image(path, limits, false, "input image");
    if (!img.is_ok()) return fail(img.status());
    req.images.push_back(std::move(*img));
  }
  if (!a.mask.empty()) {
    auto mask = read_image(a.mask, limits, true, "mask");
    if (!mask.is_ok()) return fail(mask.status());
    req.mask = std::move(*mask);
  }
  req.strength = a.strength;
  return run_generation(a.flags, req, format, "edit");
}

}  // namespace

Command add_edit_command(CLI::App& root) {
  auto a = std::make_shared<EditArgs>();
  auto* cmd = root.add_subcommand("edit",
      "edit images: inpaint with --mask, redraw with --strength, or follow an instruction");
  cmd->add_option("instruction", a->instruction, "what to change, or what goes in the masked area")->required();
  cmd->add_option("--image", a->images, "input image (PNG, JPEG or WebP; repeat for more, at most 16)")
      ->required()
      ->allow_extra_args(false);  // one file per --image, so the instruction is not swallowed
  cmd->add_option("--mask", a->mask,
                  "PNG with alpha, the size of the first image: fully transparent pixels mark the area to change");
  cmd->add_option("--strength", a->strength, "image-to-image: how much to redraw, in (0, 1]");
  cmd->add_option("--max-pixels", a->max_pixels, "refuse input images with more pixels than this")->capture_default_str();
  a->flags.add_to(*cmd);
  return {cmd, [a] { return run_edit(*a); }};
}

}  // namespace pictor::app
