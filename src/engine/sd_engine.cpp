#include "engine/sd_engine.h"

#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>

#include "engine/cpu_allocator.h"
#include "engine/device.h"
#include "engine/pipelines/sd_pipeline.h"

namespace pictor::engine {

namespace {

namespace fs = std::filesystem;
using sd::SdDecoder;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string dims(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

// RGB Image → [1, 3, H, W] float in [0, 1].
at::Tensor image_to_unit(const Image& rgb) {
  auto t = torch::from_blob(const_cast<uint8_t*>(rgb.pixels.data()), {rgb.height, rgb.width, 3},
                            torch::kUInt8);
  return t.permute({2, 0, 1}).to(torch::kFloat).div(255.0).unsqueeze(0).contiguous();
}

// [3, H, W] float in [0, 1] → RGB Image (diffusers numpy_to_pil: round(x · 255)).
Image unit_to_image(const at::Tensor& chw) {
  auto t = chw.to(torch::kCPU, torch::kFloat)
               .clamp(0, 1)
               .mul(255.0)
               .round()
               .to(torch::kUInt8)
               .permute({1, 2, 0})
               .contiguous();
  Image img(int(t.size(1)), int(t.size(0)), 3);
  std::memcpy(img.pixels.data(), t.data_ptr<uint8_t>(), img.pixels.size());
  return img;
}

// 255 where the OpenAI mask's alpha is 0 (the area to change), else 0; grey.
Image change_area(const Image& mask) {
  Image out(mask.width, mask.height, 1);
  for (size_t i = 0, n = size_t(mask.width) * mask.height; i < n; ++i)
    out.pixels[i] = mask.pixels[i * 4 + 3] == 0 ? 255 : 0;
  return out;
}

int round_to(int v, int m) { return std::max(m, int(std::lround(double(v) / m)) * m); }

// Recognised diffusers scheduler classes → sampler.
std::optional<SdSampler> sampler_of_class(const std::string& cls, bool karras_config,
                                          bool* karras) {
  *karras = false;
  if (cls == "EulerDiscreteScheduler") {
    *karras = karras_config;
    return SdSampler::kEuler;
  }
  if (cls == "EulerAncestralDiscreteScheduler") return SdSampler::kEulerAncestral;
  if (cls == "DPMSolverMultistepScheduler") {
    *karras = karras_config;
    return SdSampler::kDpmpp2m;
  }
  if (cls == "LCMScheduler") return SdSampler::kLcm;
  return std::nullopt;
}

class SdEngine final : public Engine {
 public:
  SdEngine(sd::SdModel model, ComputePolicy policy, ModelInfo info)
      : model_(std::move(model)), policy_(policy), info_(std::move(info)) {
    bool karras = false;
    auto own =
        sampler_of_class(model_.scheduler_class, model_.scheduler.use_karras_sigmas, &karras);
    lcm_ = own && *own == SdSampler::kLcm;
    if (own) {
      sampler_ = *own;
      karras_ = karras;
    } else {  // PNDM / DDIM (SD 1.x folders): not implemented; DPM++ 2M Karras is the usual choice
      sampler_ = SdSampler::kDpmpp2m;
      karras_ = true;
    }
    turbo_ = model_.turbo_like() && !lcm_;
    if (turbo_)
      steps_ = {1, 2, 4};
    else if (lcm_)
      steps_ = {2, 4, 8};
    else
      steps_ = {12, 20, 30};
    guidance_ = turbo_ ? 0.0 : lcm_ ? 1.0 : 7.5;
  }

  const ModelInfo& info() const override { return info_; }
  void set_load_seconds(double s) { info_.load_seconds = s; }

  int steps_for(Quality q) const override {
    switch (q) {
      case Quality::kLow:
        return steps_[0];
      case Quality::kHigh:
        return steps_[2];
      default:
        return steps_[1];
    }
  }

  // Turbo-like models decode with TAESD at low and medium quality, others at low quality, when a
  // TAESD is present; high quality always uses the VAE.
  SdDecoder decoder_for(Quality q) const {
    if (!model_.taesd) return SdDecoder::kVae;
    if (q == Quality::kLow) return SdDecoder::kTaesd;
    if (turbo_ && (q == Quality::kMedium || q == Quality::kAuto)) return SdDecoder::kTaesd;
    return SdDecoder::kVae;
  }

  Result<GenerateResult> generate(const GenerateRequest& req, const ProgressFn& progress,
                                  const std::atomic<bool>* cancel) override {
    PICTOR_RETURN_IF_ERROR(validate_request(req));
    try {
      return run(req, progress, cancel);
    } catch (const std::exception& e) {
      return internal_error(std::string("stable diffusion failed: ") + e.what());
    }
  }

 private:
  Result<GenerateResult> run(const GenerateRequest& req, const ProgressFn& progress,
                             const std::atomic<bool>* cancel) {
    auto t0 = std::chrono::steady_clock::now();
    torch::InferenceMode guard;
    GenerateResult result;
    sd::SdPipelineRequest p;
    p.prompt = req.prompt;
    p.negative_prompt = req.negative_prompt;
    p.n = req.n;
    p.steps = req.steps > 0 ? req.steps : steps_for(req.quality);
    p.guidance = req.guidance >= 0 ? req.guidance : guidance_;
    p.seed = req.seed;
    p.sampler = sampler_;
    p.karras = karras_;
    if (!req.sampler.empty()) {
      auto s = parse_sd_sampler(req.sampler, &p.karras);
      if (!s.is_ok()) return s.status();
      p.sampler = *s;
    }
    p.decoder = decoder_for(req.quality);
    if (req.decoder == "vae")
      p.decoder = SdDecoder::kVae;
    else if (req.decoder == "taesd") {
      if (!model_.taesd)
        return invalid_argument(
            "decoder taesd: this model has no TAESD (put a diffusers taesd/ folder inside or next "
            "to " +
            model_.folder + ")");
      p.decoder = SdDecoder::kTaesd;
    } else if (!req.decoder.empty()) {
      return invalid_argument("unknown decoder '" + req.decoder + "' (expected vae or taesd)");
    }

    // Working size: multiples of 8. Text-to-image: the requested size or native; edits: the
    // input's size, scaled down to at most the native pixel count.
    const int scale = int(model_.vae_scale()), native = int(model_.native_size());
    const bool edit = !req.images.empty();
    if (!edit && req.mask) return invalid_argument("a mask needs an input image");
    if (!edit && req.strength > 0) return invalid_argument("strength needs an input image");
    int out_w = req.width, out_h = req.height;
    if (edit && out_w <= 0 && out_h <= 0) {
      out_w = req.images[0].width;
      out_h = req.images[0].height;
    }
    if (out_w <= 0) out_w = native;
    if (out_h <= 0) out_h = native;
    double shrink = 1.0;
    if (edit && req.width <= 0 && req.height <= 0 &&
        double(out_w) * out_h > double(native) * native)
      shrink = std::sqrt(double(native) * native / (double(out_w) * out_h));
    const int work_w = round_to(int(out_w * shrink), scale),
              work_h = round_to(int(out_h * shrink), scale);
    p.width = work_w;
    p.height = work_h;
    if (work_w != out_w || work_h != out_h)
      result.warnings.push_back("generated at " + dims(work_w, work_h) + " (multiples of " +
                                std::to_string(scale) + "), resized to " + dims(out_w, out_h));

    Image source;
    if (edit) {
      if (req.images[0].empty()) return invalid_argument("input image 1 is empty");
      if (req.images.size() > 1)
        result.warnings.push_back("stable diffusion edits the first image; " +
                                  std::to_string(req.images.size() - 1) + " more ignored");
      source = convert_channels(req.images[0], 3);
      if (req.strength != -1 && !(req.strength > 0 && req.strength <= 1))
        return invalid_argument("strength must be in (0, 1]");
      if (!req.mask && req.strength <= 0)
        return unsupported(
            "stable diffusion does not follow edit instructions: give a mask to inpaint, or a "
            "strength for image-to-image");
      p.init_image = image_to_unit(resize_image(source, work_w, work_h)).to(policy_.device);
      p.strength = req.strength > 0 ? req.strength : 1.0;
      if (req.mask) {
        if (req.mask->channels != 4)
          return invalid_argument(
              "the mask needs an alpha channel: its fully transparent pixels mark the area to "
              "change");
        if (req.mask->width != req.images[0].width || req.mask->height != req.images[0].height)
          return invalid_argument(
              "the mask is " + dims(req.mask->width, req.mask->height) + " but the image is " +
              dims(req.images[0].width, req.images[0].height) + ": they must be the same size");
        Image area = resize_image(change_area(*req.mask), work_w, work_h);
        // Any working pixel the user's hole touches may change.
        p.mask = torch::from_blob(area.pixels.data(), {1, 1, work_h, work_w}, torch::kUInt8)
                     .gt(0)
                     .to(torch::kFloat)
                     .to(policy_.device);
      }
    }
    if (!req.init_noise.empty()) {
      int64_t count = 1;
      for (auto d : req.init_noise_shape) count *= d;
      if (req.init_noise_shape.empty() || count != int64_t(req.init_noise.size()))
        return invalid_argument("init noise: " + std::to_string(req.init_noise.size()) +
                                " values do not match its shape");
      p.init_noise = torch::from_blob(const_cast<float*>(req.init_noise.data()),
                                      req.init_noise_shape, torch::kFloat)
                         .clone()
                         .to(policy_.device);
      if (p.init_noise.dim() == 4 && p.init_noise.size(0) != req.n)
        return invalid_argument("init noise holds " + std::to_string(p.init_noise.size(0)) +
                                " images but n is " + std::to_string(req.n));
    }

    auto out = sd::run_sd_pipeline(model_, p, progress, cancel);
    if (!out.is_ok()) return out.status();
    for (auto& w : out->warnings) result.warnings.push_back(w);
    result.steps = out->steps_run;
    result.guidance = p.guidance;
    auto images = out->images.to(torch::kCPU).contiguous();
    if (req.return_tensor) {
      result.tensor_shape = images.sizes().vec();
      result.tensor.assign(images.data_ptr<float>(), images.data_ptr<float>() + images.numel());
    }
    Image area;
    if (req.mask) area = change_area(*req.mask);
    for (int i = 0; i < req.n; ++i) {
      Image img = unit_to_image(images[i]);
      if (img.width != out_w || img.height != out_h) img = resize_image(img, out_w, out_h);
      if (req.mask) {
        // Pixels outside the mask stay exactly as they were.
        Image src = source, a = area;
        if (src.width != out_w || src.height != out_h) {
          src = resize_image(src, out_w, out_h);
          a = resize_image(a, out_w, out_h);
        }
        for (size_t k = 0, n = size_t(out_w) * out_h; k < n; ++k)
          if (a.pixels[k] == 0)
            for (int c = 0; c < 3; ++c) img.pixels[k * 3 + c] = src.pixels[k * 3 + c];
      }
      result.images.push_back(std::move(img));
    }
    result.seconds = seconds_since(t0);
    return result;
  }

  sd::SdModel model_;
  ComputePolicy policy_;
  ModelInfo info_;
  SdSampler sampler_ = SdSampler::kEuler;
  bool karras_ = false, turbo_ = false, lcm_ = false;
  std::array<int, 3> steps_{};
  double guidance_ = 0;
};

std::string family_of(const sd::SdModel& m, bool turbo) {
  if (turbo) return "sd-turbo";
  const auto& c = m.unet->config().cross_attention_dim;
  if (!c.empty() && c[0] == 768) return "sd-1.x";
  if (!c.empty() && c[0] == 1024) return "sd-2.x";
  return "sd";
}

}  // namespace

namespace {

Result<std::unique_ptr<Engine>> load_engine(const std::string& path, const LoadOptions& opts,
                                            bool single_file) {
  auto t0 = std::chrono::steady_clock::now();
  set_threads(opts.threads);
  try {
    torch::NoGradGuard no_grad;
    auto model = single_file ? sd::load_sd_single_file(path) : sd::load_sd_folder(path);
    if (!model.is_ok()) return model.status();
    // CPU: fp32 unless asked (accuracy first; docs/benchmarks.md: bf16 is ~1.7x faster on CPUs
    // that run VDPBF16PS at full rate and slower on others). "bf16" runs the text encoder and
    // UNet in bf16, the VAE and TAESD convolutions as bf16 products, their decoders on bf16
    // activations (set_bf16).
    ComputePolicy policy = choose_policy(opts.dtype == "auto" ? "fp32" : opts.dtype);
    if (policy.device.is_cuda() && opts.dtype == "auto") policy.dtype = c10::kBFloat16;
    model->text_encoder->to(policy.device);
    model->unet->to(policy.device);
    model->vae->to(policy.device);
    if (model->taesd) model->taesd->to(policy.device);
    if (policy.dtype == c10::kBFloat16) {
      model->text_encoder->set_dtype(c10::kBFloat16);
      model->unet->set_dtype(c10::kBFloat16);
      model->vae->set_bf16(true);
      if (model->taesd) model->taesd->set_bf16(true);
    }
    ModelInfo info;
    info.path = path;
    const fs::path norm = fs::path(path).lexically_normal();
    info.name = single_file ? norm.stem().string() : norm.filename().string();
    if (info.name.empty()) info.name = norm.parent_path().filename().string();
    const bool lcm = model->scheduler_class == "LCMScheduler";
    info.family = family_of(*model, model->turbo_like() && !lcm);
    info.native_width = info.native_height = int(model->native_size());
    info.supports_edits = true;
    info.compute = policy.describe();
    release_cached_cpu_memory();  // the fp32 copies a bf16 cast freed
    auto engine = std::make_unique<SdEngine>(std::move(*model), policy, info);
    engine->set_load_seconds(seconds_since(t0));
    return std::unique_ptr<Engine>(std::move(engine));
  } catch (const std::exception& e) {
    return internal_error("loading " + path + " failed: " + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<Engine>> load_sd_engine(const std::string& path, const LoadOptions& opts) {
  return load_engine(path, opts, false);
}

Result<std::unique_ptr<Engine>> load_sd_single_file_engine(const std::string& path,
                                                           const LoadOptions& opts) {
  return load_engine(path, opts, true);
}

}  // namespace pictor::engine
