#include "engine/pictor_mini_edit.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "engine/models/pictor_mini_file.h"

namespace pictor::engine {

namespace {

std::string dims(const Image& img) { return std::to_string(img.width) + "x" + std::to_string(img.height); }

// The area to change, as 255 where the mask's alpha is 0 (OpenAI's convention), grey.
Image change_area(const Image& mask) {
  Image out(mask.width, mask.height, 1);
  for (size_t i = 0, n = size_t(mask.width) * mask.height; i < n; ++i)
    out.pixels[i] = mask.pixels[i * 4 + 3] == 0 ? 255 : 0;
  return out;
}

}  // namespace

Status validate_edit_inputs(const GenerateRequest& req, bool supports_edits) {
  for (size_t i = 0; i < req.images.size(); ++i)
    if (req.images[i].empty()) return invalid_argument("input image " + std::to_string(i + 1) + " is empty");
  if (req.strength != -1 && !(req.strength > 0 && req.strength <= 1))
    return invalid_argument("strength must be in (0, 1]");
  if (req.mask) {
    if (req.strength > 0) return invalid_argument("use either a mask (inpainting) or a strength (image-to-image), not both");
    if (req.mask->channels != 4)
      return invalid_argument("the mask needs an alpha channel: its fully transparent pixels mark the area to change");
    if (req.mask->width != req.images[0].width || req.mask->height != req.images[0].height)
      return invalid_argument("the mask is " + dims(*req.mask) + " but the image is " + dims(req.images[0]) +
                              ": they must be the same size");
  } else if (req.strength <= 0 && !supports_edits) {
    return unsupported("these pictor-mini weights do not do instruction edits yet: give a mask to inpaint, or a strength for image-to-image");
  }
  return Status::ok();
}

int instruction_edit_start_step(int steps) {
  if (steps < 2) return 0;  // one step: there is nothing to skip
  return std::clamp(int(std::lround(steps * kInstructionEditSkippedShare)), 1, steps - 1);
}

EditPlan plan_edit(const GenerateRequest& req, int64_t size, int steps, bool supports_edits,
                   std::vector<std::string>& warnings) {
  EditPlan plan;
  if (req.images.empty()) return plan;
  if (req.images.size() > 1)
    warnings.push_back("pictor-mini edits the first image; " + std::to_string(req.images.size() - 1) +
                       " more ignored");
  plan.source = image_to_tensor(resize_image(convert_channels(req.images[0], 3), int(size), int(size))).unsqueeze(0);
  if (req.mask) {
    Image area = resize_image(change_area(*req.mask), int(size), int(size));
    // Any pixel the user's hole touches may change: round the downsampled mask up.
    plan.mask = torch::from_blob(area.pixels.data(), {1, 1, size, size}, torch::kUInt8).gt(0).to(torch::kFloat);
  }
  if (req.strength > 0) {
    plan.start_step = std::clamp(int(std::lround((1.0 - req.strength) * steps)), 0, steps - 1);
  } else {
    plan.edit_conditioning = supports_edits;
    // An instruction edit starts one twelfth of the way along the source's path instead of from
    // pure noise: most of the image stays, and the few-step sampler keeps what the words do not
    // touch (measured on `pictor eval --edits`, docs/models/pictor-mini.md).
    if (supports_edits && !req.mask) plan.start_step = instruction_edit_start_step(steps);
  }
  return plan;
}

Image finish_image(Image generated, const GenerateRequest& req, int64_t native, bool warn,
                   std::vector<std::string>& warnings) {
  int w = req.width, h = req.height;
  if (w <= 0 && h <= 0 && !req.images.empty()) { w = req.images[0].width; h = req.images[0].height; }
  if (w <= 0) w = generated.width;
  if (h <= 0) h = generated.height;
  if (w != generated.width || h != generated.height) {
    if (warn)
      warnings.push_back("pictor-mini draws at " + std::to_string(native) + "x" + std::to_string(native) +
                         "; resized to " + std::to_string(w) + "x" + std::to_string(h));
    generated = resize_image(generated, w, h);
  }
  if (req.mask) {
    Image source = convert_channels(req.images[0], 3);
    Image area = change_area(*req.mask);
    if (source.width != w || source.height != h) {
      source = resize_image(source, w, h);
      area = resize_image(area, w, h);
    }
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        if (*area.at(x, y) < 128) std::memcpy(generated.at(x, y), source.at(x, y), 3);
  }
  return generated;
}

}  // namespace pictor::engine
