#include "engine/pipelines/sd_bench.h"

#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "engine/cpu_allocator.h"
#include "engine/device.h"
#include "engine/onednn_conv.h"
#include "engine/pipelines/sd_pipeline.h"

namespace pictor::engine {

namespace {

// SD-Turbo = SD 2.1 base: diffusers configs (stabilityai/sd-turbo).
constexpr const char* kUNet = R"({
  "sample_size": 64, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
  "block_out_channels": [320, 640, 1280, 1280], "attention_head_dim": [5, 10, 20, 20],
  "cross_attention_dim": 1024, "use_linear_projection": true, "norm_num_groups": 32,
  "flip_sin_to_cos": true, "freq_shift": 0})";
// OpenCLIP ViT-H/14 text tower as diffusers stores it: 23 of its 24 layers.
constexpr const char* kText = R"({
  "hidden_size": 1024, "num_hidden_layers": 23, "num_attention_heads": 16, "intermediate_size": 4096,
  "hidden_act": "gelu", "max_position_embeddings": 77, "vocab_size": 49408, "layer_norm_eps": 1e-5,
  "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1})";
constexpr const char* kVae = R"({
  "block_out_channels": [128, 256, 512, 512], "layers_per_block": 2, "latent_channels": 4,
  "norm_num_groups": 32, "scaling_factor": 0.18215,
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]})";
constexpr const char* kTaesd = R"({})";  // the real TAESD's sizes are the defaults
constexpr const char* kScheduler = R"({
  "_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000, "beta_schedule": "scaled_linear",
  "beta_start": 0.00085, "beta_end": 0.012, "prediction_type": "epsilon", "timestep_spacing": "trailing",
  "steps_offset": 1})";

// Analytic multiply-add counts ×2 at 512x512, batch 1 (docs/benchmarks.md).
constexpr double kUNetGflop512 = 804, kVaeGflop512 = 2515, kTaesdGflop512 = 141;

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

// Random weights: matrices and kernels N(0, 1/fan_in), norm scales 1, biases and the rest small.
void randomise(torch::nn::Module& m, int64_t* count) {
  torch::NoGradGuard g;
  for (auto& p : m.named_parameters()) {
    auto& t = p.value();
    *count += t.numel();
    if (t.dim() >= 2) {
      const double fan_in = double(t.numel() / t.size(0));
      t.normal_(0, 1.0 / std::sqrt(fan_in));
    } else if (p.key().find("norm") != std::string::npos && p.key().ends_with("weight")) {
      t.fill_(1.0);
    } else {
      t.normal_(0, 0.02);
    }
  }
}

template <class T>
Result<T> ok_or(Result<T> r, const char* what) {
  if (!r.is_ok()) return Status(r.status().code(), std::string(what) + ": " + r.status().message());
  return r;
}

}  // namespace

Result<SdBenchReport> run_sd_bench(const SdBenchOptions& o,
                                   const std::function<void(const SdBenchTiming&)>& log) {
  if (o.arch != "sd-turbo") return invalid_argument("unknown --arch '" + o.arch + "' (sd-turbo)");
  if (o.dtype != "fp32" && o.dtype != "bf16")
    return invalid_argument("--dtype must be fp32 or bf16 for this bench");
  if (o.size < 64 || o.size % 64 != 0) return invalid_argument("--size must be a multiple of 64");
  try {
    set_threads(o.threads);
    torch::NoGradGuard no_grad;
    torch::manual_seed(0);
    SdBenchReport rep;
    rep.arch = o.arch;
    rep.threads = o.threads > 0 ? o.threads : at::get_num_threads();
    rep.size = o.size;
    const bool bf16 = o.dtype == "bf16";
    rep.compute =
        std::string("cpu/") + (bf16 ? "bf16 text encoder + UNet, bf16 VAE/TAESD convolutions" : "fp32");

    auto t0 = std::chrono::steady_clock::now();
    int64_t params = 0;
    sd::SdModel m;
    // The UNet first and cast at once, so the fp32 copy is gone before the rest is built.
    auto unet_cfg = ok_or(sd::UNet2DConfig::from_json(kUNet), "unet config");
    if (!unet_cfg.is_ok()) return unet_cfg.status();
    m.unet = sd::UNet2DConditionModel(*unet_cfg);
    randomise(*m.unet, &params);
    if (bf16) m.unet->set_dtype(torch::kBFloat16);
    auto text_cfg = ok_or(sd::ClipTextConfig::from_json(kText), "text config");
    if (!text_cfg.is_ok()) return text_cfg.status();
    m.text_encoder = sd::ClipTextModel(*text_cfg);
    randomise(*m.text_encoder, &params);
    if (bf16) m.text_encoder->set_dtype(torch::kBFloat16);
    auto vae_cfg = ok_or(sd::AutoencoderKLConfig::from_json(kVae), "vae config");
    if (!vae_cfg.is_ok()) return vae_cfg.status();
    m.vae = sd::AutoencoderKL(*vae_cfg);
    randomise(*m.vae, &params);
    if (bf16) m.vae->set_bf16(true);
    auto taesd_cfg = ok_or(sd::AutoencoderTinyConfig::from_json(kTaesd), "taesd config");
    if (!taesd_cfg.is_ok()) return taesd_cfg.status();
    m.taesd = sd::AutoencoderTiny(*taesd_cfg);
    randomise(*m.taesd, &params);
    if (bf16) m.taesd->set_bf16(true);
    auto sched = ok_or(DiscreteScheduleConfig::from_json(kScheduler), "scheduler config");
    if (!sched.is_ok()) return sched.status();
    m.scheduler = *sched;
    m.scheduler_class = "EulerDiscreteScheduler";
    for (auto* mod : std::initializer_list<torch::nn::Module*>{m.unet.get(), m.text_encoder.get(),
                                                               m.vae.get(), m.taesd.get()})
      mod->eval();
    const std::string tok_dir =
        std::string(PICTOR_SOURCE_DIR) + "/tests/fixtures/sd-tiny-A/tokenizer";
    if (std::filesystem::exists(tok_dir + "/vocab.json")) {
      auto tok = ClipTokenizer::load(tok_dir);
      if (tok.is_ok()) m.tokenizer = std::move(*tok);
    }
    release_cached_cpu_memory();  // the fp32 copies a bf16 cast freed
    rep.build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rep.parameters_millions = params / 1e6;

    const double area = double(o.size) * o.size / (512.0 * 512.0);
    const int64_t lat = o.size / 8;
    const auto& tc = *text_cfg;
    const double L = double(tc.max_positions), D = double(tc.hidden_size),
                 F = double(tc.intermediate_size);
    const double text_gflop =
        tc.num_layers * (2 * L * D * D * 4 + 2 * L * D * F * 2 + 2 * L * L * D * 2) / 1e9;

    std::unique_ptr<torch::autograd::profiler::RecordProfile> profiler;
    auto wanted = [&](const std::string& name) {
      return o.parts.empty() || ("," + o.parts + ",").find("," + name + ",") != std::string::npos;
    };
    auto measure = [&](const std::string& name, double gflop, bool warm,
                       const std::function<void()>& fn) {
      if (!wanted(name)) return;
      if (warm && o.warmup) fn();
      if (!o.profile.empty() && !profiler)
        profiler = std::make_unique<torch::autograd::profiler::RecordProfile>(o.profile);
      std::vector<double> seconds;
      for (int r = 0; r < std::max(1, o.repeats); ++r) {
        auto s = std::chrono::steady_clock::now();
        fn();
        seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
      }
      std::sort(seconds.begin(), seconds.end());
      SdBenchTiming t{name, seconds[seconds.size() / 2], seconds.front(), int(seconds.size()),
                      gflop};
      rep.timings.push_back(t);
      if (log) log(t);
    };

    torch::InferenceMode guard;
    auto ids = torch::randint(0, 49406, {1, 77}, torch::kLong);
    at::Tensor ctx;
    measure("text_encode", text_gflop, true,
            [&] { ctx = m.text_encoder->forward(ids).last_hidden_state; });
    if (!ctx.defined()) ctx = m.text_encoder->forward(ids).last_hidden_state;  // the UNet's input
    auto x1 = torch::randn({1, 4, lat, lat});
    auto t = torch::scalar_tensor(999.0);
    measure("unet_step_b1", kUNetGflop512 * area, true, [&] { m.unet->forward(x1, t, ctx); });
    auto x2 = torch::randn({2, 4, lat, lat});
    auto ctx2 = torch::cat({ctx, ctx}, 0);
    measure("unet_step_b2", 2 * kUNetGflop512 * area, false, [&] { m.unet->forward(x2, t, ctx2); });
    auto latents = torch::randn({1, 4, lat, lat});
    measure("taesd_decode", kTaesdGflop512 * area, true, [&] { m.taesd->decode(latents); });
    measure("vae_decode", kVaeGflop512 * area, false, [&] { m.vae->decode(latents); });
    // Only when named in --parts: its fp32 decodes would set the run's peak RSS.
    if (bf16 && ("," + o.parts + ",").find(",decode_accuracy,") != std::string::npos) {
      // The same latent decoded in fp32, then in bf16 with the Winograd path off and on.
      const auto psnr = [](const at::Tensor& y, const at::Tensor& ref) {
        const double range = (ref.max() - ref.min()).item<double>();
        const double rmse = std::sqrt((y.to(torch::kDouble) - ref.to(torch::kDouble)).pow(2).mean().item<double>());
        return rmse > 0 ? 20.0 * std::log10(range / rmse) : 999.0;
      };
      const bool winograd_was = winograd_enabled();
      const auto compare = [&](const std::string& name, const std::function<void(bool)>& set_bf16,
                               const std::function<at::Tensor()>& decode) {
        SdBenchAccuracy a{name};
        set_bf16(false);
        const auto ref = decode();
        set_bf16(true);
        set_winograd_enabled(false);
        a.psnr_direct_db = psnr(decode(), ref);
        set_winograd_enabled(true);
        a.winograd_available = winograd_enabled();
        a.psnr_winograd_db = psnr(decode(), ref);
        set_winograd_enabled(winograd_was);
        rep.accuracy.push_back(a);
      };
      compare("taesd_decode", [&](bool on) { m.taesd->set_bf16(on); }, [&] { return m.taesd->decode(latents); });
      compare("vae_decode", [&](bool on) { m.vae->set_bf16(on); }, [&] { return m.vae->decode(latents); });
      set_winograd_enabled(false);
      const auto eps_direct = m.unet->forward(x1, t, ctx);
      set_winograd_enabled(true);
      rep.unet_winograd_vs_direct_psnr_db = psnr(m.unet->forward(x1, t, ctx), eps_direct);
      set_winograd_enabled(winograd_was);
    }
    if (m.tokenizer) {
      sd::SdPipelineRequest req;
      req.prompt = "a photo of an astronaut riding a horse on mars";
      req.steps = 1;
      req.guidance = 0;
      req.width = req.height = o.size;
      req.decoder = sd::SdDecoder::kTaesd;
      Status st = Status::ok();
      measure("sd_turbo_1step_taesd", text_gflop + (kUNetGflop512 + kTaesdGflop512) * area, false,
              [&] {
                auto r = sd::run_sd_pipeline(m, req);
                if (!r.is_ok()) st = r.status();
              });
      PICTOR_RETURN_IF_ERROR(st);
    }
    profiler.reset();  // writes the trace
    rep.peak_rss_mb = peak_rss_mb();
    const auto alloc = cpu_allocator_stats();
    rep.cpu_allocator = alloc.installed ? "caching" : "default";
    rep.allocator_hits = alloc.hits;
    rep.allocator_misses = alloc.misses;
    rep.allocator_peak_in_use_mb = double(alloc.peak_in_use_bytes) / (1 << 20);
    return rep;
  } catch (const std::exception& e) {
    return internal_error(std::string("sd bench failed: ") + e.what());
  }
}

}  // namespace pictor::engine
