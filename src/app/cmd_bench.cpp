// pictor bench: latency per image and images/s by quality, model load time, peak RSS; with
// --arch sd-turbo --random-weights, the full-size SD-Turbo component timings
// (engine/pipelines/sd_bench.h).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "engine/pipelines/sd_bench.h"

namespace pictor::app {

namespace {

struct BenchArgs {
  std::string model = "pictor-mini";
  int threads = 0;
  int images = 8;
  bool json = false;
  std::string dtype = "auto";
  std::string prompt = "two red circles above a blue square";
  std::string arch;
  bool random_weights = false;
  int size = 512;
  bool no_warmup = false;
  int repeats = 1;
  std::string parts, profile;
};

int run_arch_bench(const BenchArgs& a) {
  if (!a.random_weights)
    return fail(invalid_argument(
        "--arch needs --random-weights (architecture timings without downloading weights)"));
  engine::SdBenchOptions o;
  o.arch = a.arch;
  o.dtype = a.dtype == "auto" ? "fp32" : a.dtype;
  o.threads = a.threads;
  o.size = a.size;
  o.warmup = !a.no_warmup;
  if (a.repeats < 1 || a.repeats > 100) return fail(invalid_argument("--repeats must be 1..100"));
  o.repeats = a.repeats;
  o.parts = a.parts;
  o.profile = a.profile;
  auto rep = engine::run_sd_bench(o, [&](const engine::SdBenchTiming& t) {
    if (!a.json)
      std::fprintf(stderr, "%-22s %8.3f s  %8.1f GFLOP  %7.1f GFLOP/s\n", t.name.c_str(), t.seconds,
                   t.gflop, t.gflops());
  });
  if (!rep.is_ok()) return fail(rep.status());
  nlohmann::json out;
  out["arch"] = rep->arch;
  out["compute"] = rep->compute;
  out["threads"] = rep->threads;
  out["size"] = rep->size;
  out["parameters_millions"] = rep->parameters_millions;
  out["build_seconds"] = rep->build_seconds;
  for (const auto& t : rep->timings)
    out["timings"][t.name] = {{"seconds", t.seconds},
                              {"seconds_min", t.seconds_min},
                              {"repeats", t.repeats},
                              {"gflop", t.gflop},
                              {"gflop_per_second", t.gflops()}};
  for (const auto& acc : rep->accuracy) {
    out["accuracy"][acc.name] = {{"bf16_winograd_vs_fp32_psnr_db", acc.psnr_winograd_db},
                                 {"bf16_direct_vs_fp32_psnr_db", acc.psnr_direct_db},
                                 {"winograd_available", acc.winograd_available}};
    if (!a.json)
      std::fprintf(stderr, "%-22s bf16 vs fp32 PSNR: %.1f dB with Winograd convolutions%s, %.1f dB direct\n",
                   acc.name.c_str(), acc.psnr_winograd_db, acc.winograd_available ? "" : " (not on this CPU)",
                   acc.psnr_direct_db);
  }
  if (rep->unet_winograd_vs_direct_psnr_db > 0) {
    out["accuracy"]["unet_step_b1"] = {{"bf16_winograd_vs_bf16_direct_psnr_db", rep->unet_winograd_vs_direct_psnr_db}};
    if (!a.json)
      std::fprintf(stderr, "%-22s bf16 with Winograd convolutions vs bf16 direct PSNR: %.1f dB\n", "unet_step_b1",
                   rep->unet_winograd_vs_direct_psnr_db);
  }
  out["peak_rss_mb"] = rep->peak_rss_mb;
  out["cpu_allocator"] = {{"kind", rep->cpu_allocator},
                          {"hits", rep->allocator_hits},
                          {"misses", rep->allocator_misses},
                          {"peak_in_use_mb", rep->allocator_peak_in_use_mb}};
  if (a.json)
    std::printf("%s\n", out.dump(2).c_str());
  else
    std::fprintf(stderr, "%s, %d threads, %.0fM parameters, built in %.1f s, peak RSS %.0f MB\n",
                 rep->compute.c_str(), rep->threads, rep->parameters_millions, rep->build_seconds,
                 rep->peak_rss_mb);
  return 0;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

int run_bench(const BenchArgs& a) {
  if (!a.arch.empty()) return run_arch_bench(a);
  if (a.random_weights) return fail(invalid_argument("--random-weights needs --arch"));
  if (a.images < 1) return fail(invalid_argument("--images must be at least 1"));
  engine::LoadOptions load;
  load.threads = a.threads;
  load.dtype = a.dtype;
  auto loaded = engine::Engine::load(a.model, load);
  if (!loaded.is_ok()) return fail(loaded.status());
  auto& engine = **loaded;
  nlohmann::json out;
  out["model"] = engine.info().name;
  out["compute"] = engine.info().compute;
  out["threads"] = a.threads;
  out["load_seconds"] = engine.info().load_seconds;
  out["native_size"] = std::to_string(engine.info().native_width) + "x" +
                       std::to_string(engine.info().native_height);
  for (auto q : {engine::Quality::kLow, engine::Quality::kMedium, engine::Quality::kHigh}) {
    engine::GenerateRequest req;
    req.prompt = a.prompt;
    req.quality = q;
    req.seed = 1;
    auto warm = engine.generate(req);  // first call allocates; not timed
    if (!warm.is_ok()) return fail(warm.status());
    std::vector<double> times;
    for (int i = 0; i < a.images; ++i) {
      req.seed = uint64_t(i);
      auto t0 = std::chrono::steady_clock::now();
      auto r = engine.generate(req);
      if (!r.is_ok()) return fail(r.status());
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    double sum = 0;
    for (double t : times) sum += t;
    out["quality"][engine::quality_name(q)] = {
        {"steps", engine.steps_for(q)},
        {"seconds_per_image_median", times[times.size() / 2]},
        {"seconds_per_image_mean", sum / times.size()},
        {"images_per_second", times.size() / sum}};
    if (!a.json)
      std::fprintf(stderr, "%-6s %2d steps: %.3f s/image (median of %d), %.2f images/s\n",
                   engine::quality_name(q), engine.steps_for(q), times[times.size() / 2], a.images,
                   times.size() / sum);
  }
  out["peak_rss_mb"] = peak_rss_mb();
  if (a.json)
    std::printf("%s\n", out.dump(2).c_str());
  else
    std::fprintf(stderr, "load %.2f s, peak RSS %.0f MB, %s\n", engine.info().load_seconds,
                 peak_rss_mb(), engine.info().compute.c_str());
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = root.add_subcommand(
      "bench", "measure latency per image by quality, load time and peak memory");
  cmd->add_option("--model", a->model, "model name or path")->capture_default_str();
  cmd->add_option("--threads", a->threads, "compute threads (default: all cores)");
  cmd->add_option("--images", a->images, "timed images per quality")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "auto | fp32 | bf16")->capture_default_str();
  cmd->add_option("--prompt", a->prompt, "prompt to time")->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->add_option("--arch", a->arch, "time a full-size architecture instead of a model: sd-turbo");
  cmd->add_flag("--random-weights", a->random_weights,
                "with --arch: random weights (nothing is downloaded)");
  cmd->add_option("--size", a->size, "with --arch: image side in pixels")->capture_default_str();
  cmd->add_flag("--no-warmup", a->no_warmup, "with --arch: time first calls too");
  cmd->add_option("--repeats", a->repeats,
                  "with --arch: time each measurement R times; seconds is the median, seconds_min "
                  "the fastest")
      ->capture_default_str();
  cmd->add_option("--parts", a->parts,
                  "with --arch: only these measurements, comma-separated (text_encode, "
                  "unet_step_b1, unet_step_b2, "
                  "taesd_decode, vae_decode, sd_turbo_1step_taesd; all by default) and decode_accuracy "
                  "(only when named; with --dtype bf16: PSNR of bf16 VAE/TAESD decodes against fp32, "
                  "Winograd convolutions on and off)");
  cmd->add_option("--profile", a->profile,
                  "with --arch: write a chrome://tracing file of every op in the timed calls");
  return {cmd, [a] { return run_bench(*a); }};
}

}  // namespace pictor::app
