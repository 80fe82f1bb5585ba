#include "engine/pictor_mini_engine.h"

#include <torch/torch.h>

#include <chrono>

#include "engine/device.h"
#include "engine/models/pictor_mini_file.h"
#include "engine/noise.h"
#include "engine/pictor_mini_edit.h"
#include "engine/samplers/flow_euler.h"
#include "engine/tokenizers/word_tokenizer.h"

namespace pictor::engine {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int metadata_int(const std::map<std::string, std::string>& m, const char* key, int fallback) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  try { return std::stoi(it->second); } catch (...) { return fallback; }
}
double metadata_double(const std::map<std::string, std::string>& m, const char* key, double fallback) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  try { return std::stod(it->second); } catch (...) { return fallback; }
}

class PictorMiniEngine final : public Engine {
 public:
  PictorMiniEngine(PictorMiniFile file, ComputePolicy policy, bool bf16_matmuls, ModelInfo info)
      : file_(std::move(file)), policy_(policy), info_(std::move(info)),
        tokenizer_(file_.vocabulary, int(file_.model->config().max_tokens)) {
    file_.model->to(policy_.device, policy_.dtype);
    file_.model->set_bf16_matmuls(bf16_matmuls);
    steps_[0] = metadata_int(file_.metadata, "pictor.steps_low", 8);
    steps_[1] = metadata_int(file_.metadata, "pictor.steps_medium", 16);
    steps_[2] = metadata_int(file_.metadata, "pictor.steps_high", 32);
    guidance_ = metadata_double(file_.metadata, "pictor.guidance", 4.0);
    shift_ = metadata_double(file_.metadata, "pictor.shift", 1.0);
    guidance_max_t_ = metadata_double(file_.metadata, "pictor.guidance_max_t", 1.0);
    // A temperature must be positive; anything else in a file's metadata means the planner's own 1.
    plan_position_temperature_ = metadata_double(file_.metadata, "pictor.plan_position_temperature", 1.0);
    if (!(plan_position_temperature_ > 0 && plan_position_temperature_ <= 100)) plan_position_temperature_ = 1.0;
    // Drafts per plan (importance resampling, layout_planner.h); 1 to 64, else 1.
    plan_candidates_ = metadata_int(file_.metadata, "pictor.plan_candidates", 1);
    if (plan_candidates_ < 1 || plan_candidates_ > 64) plan_candidates_ = 1;
  }

  const ModelInfo& info() const override { return info_; }
  void set_load_seconds(double s) { info_.load_seconds = s; }

  int steps_for(Quality q) const override {
    switch (q) {
      case Quality::kLow: return steps_[0];
      case Quality::kHigh: return steps_[2];
      default: return steps_[1];
    }
  }

  Result<GenerateResult> generate(const GenerateRequest& req, const ProgressFn& progress,
                                  const std::atomic<bool>* cancel) override {
    PICTOR_RETURN_IF_ERROR(validate_request(req));
    if (!req.images.empty()) {
      PICTOR_RETURN_IF_ERROR(validate_edit_inputs(req, info_.supports_edits));
    } else if (req.mask) {
      return invalid_argument("a mask needs an input image");
    } else if (req.strength > 0) {
      return invalid_argument("strength needs an input image");
    }
    try {
      return run(req, progress, cancel);
    } catch (const std::exception& e) {
      return internal_error(std::string("pictor-mini failed: ") + e.what());
    }
  }

 private:
  Result<GenerateResult> run(const GenerateRequest& req, const ProgressFn& progress,
                             const std::atomic<bool>* cancel) {
    auto t0 = std::chrono::steady_clock::now();
    torch::InferenceMode guard;
    GenerateResult result;
    result.steps = req.steps > 0 ? req.steps : steps_for(req.quality);
    result.guidance = req.guidance >= 0 ? req.guidance : guidance_;

    TokenizedPrompt cond = tokenizer_.encode(req.prompt);
    TokenizedPrompt uncond = tokenizer_.encode(req.negative_prompt);
    std::vector<std::string> unknown = cond.unknown_words;
    for (const auto& w : uncond.unknown_words) unknown.push_back(w);
    if (!unknown.empty()) {
      std::string list;
      for (const auto& w : unknown) list += (list.empty() ? "" : ", ") + w;
      result.warnings.push_back("words pictor-mini does not know (ignored): " + list);
    }
    if (cond.truncated || uncond.truncated)
      result.warnings.push_back("prompt truncated to " + std::to_string(tokenizer_.max_length() - 1) + " words");

    const bool guided = result.guidance != 1.0;
    auto ids = torch::tensor(cond.ids, torch::kLong).unsqueeze(0);
    if (guided) ids = torch::cat({ids, torch::tensor(uncond.ids, torch::kLong).unsqueeze(0)}, 0);
    ids = ids.to(policy_.device);
    // A layout-grounded model first plans the picture: one layout per image, drawn from the
    // planner with a stream of the image's own seed (so plan_only gives the generation's plans).
    const bool grounded = file_.model->config().layout_mode > 0;
    auto plan_image = [&](int i) {
      std::vector<Rng> rngs = {Rng(req.seed, 0x1a7000ull + uint64_t(i))};
      return file_.model->planner()->sample(ids.slice(0, 0, 1), rngs, plan_position_temperature_, plan_candidates_)[0];
    };
    if (req.plan_only) {
      if (!grounded) return invalid_argument("plan_only: this pictor-mini has no layout planner (--design text)");
      for (int i = 0; i < req.n; ++i) result.layouts.push_back(plan_image(i));
      result.seconds = seconds_since(t0);
      return result;
    }
    auto pad = ids.eq(WordTokenizer::kPad);
    auto [context, pooled] = file_.model->encode_text(ids, pad);

    const int64_t size = file_.model->config().image_size;
    const auto times = flow_timesteps(result.steps, shift_);
    const EditPlan plan = plan_edit(req, size, result.steps, info_.supports_edits, result.warnings);
    const int64_t rows = guided ? 2 : 1;
    // Conditioning channels, repeated for the guided pair: an edit shows the model its source
    // image (and mask) in both halves, so guidance steers only by the words.
    at::Tensor cond_source, cond_mask, cond_flag;
    if (plan.edit_conditioning) {
      cond_source = plan.source.repeat({rows, 1, 1, 1}).to(policy_.device, policy_.dtype);
      cond_mask = (plan.mask.defined() ? plan.mask : torch::ones({1, 1, size, size}))
                      .repeat({rows, 1, 1, 1}).to(policy_.device, policy_.dtype);
      cond_flag = torch::ones({rows}).to(policy_.device, policy_.dtype);
    }
    for (int i = 0; i < req.n; ++i) {
      auto noise = seeded_noise(req.seed, i, 3, size, size).unsqueeze(0).to(policy_.device, policy_.dtype);
      // The guided pair's second row, and every edit, goes without a layout (as in training).
      LayoutInput layout;
      if (grounded) {
        world::Scene plan_scene;
        const bool planned = !plan.edit_conditioning;
        if (planned) {
          plan_scene = plan_image(i);
          result.layouts.push_back(plan_scene);
        }
        std::vector<const world::Scene*> rows_of = {planned ? &plan_scene : nullptr};
        if (guided) rows_of.push_back(nullptr);
        layout = layout_input(rows_of);
      }
      // The last model call, for previews: x0 ≈ x_t − t·v is the current estimate of the image.
      at::Tensor last_x, last_v;
      double last_t = 0;
      auto velocity = [&](const at::Tensor& xt, double t) {
        // Guidance only where t ≤ guidance_max_t (measured better than at every step, and one
        // pass is cheaper): above it the conditional prediction alone, from the first row of
        // every conditioning batch.
        const bool guide_now = guided && t <= guidance_max_t_;
        auto rows = [&](const at::Tensor& a) {
          return guided && !guide_now && a.defined() ? a.slice(0, 0, 1) : a;
        };
        auto batch = guide_now ? torch::cat({xt, xt}, 0) : xt;
        auto tt = torch::full({batch.size(0)}, t, batch.options());
        LayoutInput lrows = layout;
        if (layout.defined() && guided && !guide_now) {
          for (at::Tensor* t : {&lrows.kind, &lrows.colour, &lrows.size, &lrows.box, &lrows.present, &lrows.bg_from,
                                &lrows.bg_to, &lrows.bg_gradient, &lrows.has})
            *t = t->slice(0, 0, 1);
        }
        auto v = file_.model->forward(pictor_mini_input(batch, rows(cond_source), rows(cond_mask), rows(cond_flag)),
                                      tt, rows(context), rows(pooled), rows(pad), lrows);
        if (guide_now) {
          auto vc = v.slice(0, 0, 1), vu = v.slice(0, 1, 2);
          v = vu + result.guidance * (vc - vu);
        }
        if (req.previews > 0 && req.on_preview) {
          last_x = xt;
          last_v = v;
          last_t = t;
        }
        return v;
      };
      // Image-to-image starts part-way along the path from the source; inpainting puts the
      // unmasked area back on the source's own path after every step, so the model only fills
      // the hole (and, with edit-trained weights, also sees the source and mask directly).
      at::Tensor source = plan.source.defined() ? plan.source.to(policy_.device, policy_.dtype) : at::Tensor();
      at::Tensor keep = plan.mask.defined() ? (1 - plan.mask).to(policy_.device, policy_.dtype) : at::Tensor();
      at::Tensor x = noise;
      if (plan.start_step > 0) {
        const double t0 = times[size_t(plan.start_step)];
        x = (1 - t0) * source + t0 * noise;
      }
      auto project = [&](at::Tensor& xt, int step) {
        const double t = times[size_t(step)];
        xt = keep * ((1 - t) * source + t * noise) + (1 - keep) * xt;
      };
      const int run_steps = result.steps - plan.start_step;
      int previews_sent = 0;
      auto on_step = [&](int step) {
        if (progress) progress(i, step - plan.start_step, run_steps);
        // Preview k (0-based) after step ceil(run_steps·(k+1)/(previews+1)), never the last step.
        const int done = step - plan.start_step;
        if (req.previews > 0 && req.on_preview && previews_sent < req.previews && last_x.defined() &&
            done < run_steps && done * (req.previews + 1) >= run_steps * (previews_sent + 1)) {
          auto x0 = (last_x - last_t * last_v).clamp(-1, 1);
          req.on_preview(i, previews_sent++, tensor_to_image(x0[0].to(torch::kCPU)));
        }
      };
      auto out = sample_flow_euler(velocity, x, times, on_step, cancel, plan.start_step,
                                   keep.defined() ? std::function<void(at::Tensor&, int)>(project)
                                                  : std::function<void(at::Tensor&, int)>());
      if (!out.defined()) return cancelled("generation cancelled");
      Image img = tensor_to_image(out[0].to(torch::kCPU));
      result.images.push_back(finish_image(std::move(img), req, size, i == 0, result.warnings));
    }

    result.seconds = seconds_since(t0);
    return result;
  }

  PictorMiniFile file_;
  ComputePolicy policy_;
  ModelInfo info_;
  WordTokenizer tokenizer_;
  int steps_[3];
  double guidance_, shift_, guidance_max_t_, plan_position_temperature_;
  int plan_candidates_ = 1;
};

}  // namespace

std::unique_ptr<Engine> make_pictor_mini_engine(PictorMiniFile file, const LoadOptions& opts,
                                                const std::string& path) {
  auto t0 = std::chrono::steady_clock::now();
  // Measured (docs/benchmarks.md): this model's small convolutions run faster in fp32 via
  // oneDNN than in bf16 on AVX512-BF16 CPUs, so "auto" means fp32 on CPU.
  ComputePolicy policy = choose_policy(opts.dtype == "auto" ? "fp32" : opts.dtype);
  if (policy.device.is_cuda() && opts.dtype == "auto") policy.dtype = c10::kBFloat16;
  // ... but its token projections are faster in bf16 wherever the CPU has bf16 dot products.
  const bool bf16_matmuls = opts.dtype == "auto" && policy.dtype == c10::kFloat &&
                            !policy.device.is_cuda() && cpu_has_native_bf16();
  ModelInfo info;
  info.name = "pictor-mini";
  info.family = "pictor-mini";
  info.path = path;
  info.native_width = info.native_height = int(file.model->config().image_size);
  auto edits = file.metadata.find("pictor.edits");
  info.supports_edits = edits != file.metadata.end() && edits->second == "1";
  info.compute = policy.describe() + (bf16_matmuls ? " (bf16 token projections)" : "");
  info.load_seconds = seconds_since(t0);
  return std::make_unique<PictorMiniEngine>(std::move(file), policy, bf16_matmuls, info);
}

Result<std::unique_ptr<Engine>> load_pictor_mini_engine(const std::string& path, const LoadOptions& opts) {
  auto t0 = std::chrono::steady_clock::now();
  set_threads(opts.threads);
  try {
    auto file = load_pictor_mini(path);
    if (!file.is_ok()) return file.status();
    auto engine = make_pictor_mini_engine(std::move(*file), opts, path);
    static_cast<PictorMiniEngine&>(*engine).set_load_seconds(seconds_since(t0));
    return engine;
  } catch (const std::exception& e) {
    return internal_error(std::string("loading ") + path + " failed: " + e.what());
  }
}

}  // namespace pictor::engine
