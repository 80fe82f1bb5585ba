// pictor bench: latency per image and images/s by quality, model load time, peak RSS.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"

namespace pictor::app {

namespace {

struct BenchArgs {
  std::string model = "pictor-mini";
  int threads = 0;
  int images = 8;
  bool json = false;
  std::string dtype = "auto";
  std::string prompt = "two red circles above a blue square";
};

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

int run_bench(const BenchArgs& a) {
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
  out["native_size"] = std::to_string(engine.info().native_width) + "x" + std::to_string(engine.info().native_height);
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
        {"steps", engine.steps_for(q)}, {"seconds_per_image_median", times[times.size() / 2]},
        {"seconds_per_image_mean", sum / times.size()}, {"images_per_second", times.size() / sum}};
    if (!a.json)
      std::fprintf(stderr, "%-6s %2d steps: %.3f s/image (median of %d), %.2f images/s\n",
                   engine::quality_name(q), engine.steps_for(q), times[times.size() / 2], a.images,
                   times.size() / sum);
  }
  out["peak_rss_mb"] = peak_rss_mb();
  if (a.json) std::printf("%s\n", out.dump(2).c_str());
  else std::fprintf(stderr, "load %.2f s, peak RSS %.0f MB, %s\n", engine.info().load_seconds,
                    peak_rss_mb(), engine.info().compute.c_str());
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = root.add_subcommand("bench", "measure latency per image by quality, load time and peak memory");
  cmd->add_option("--model", a->model, "model name or path")->capture_default_str();
  cmd->add_option("--threads", a->threads, "compute threads (default: all cores)");
  cmd->add_option("--images", a->images, "timed images per quality")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "auto | fp32 | bf16")->capture_default_str();
  cmd->add_option("--prompt", a->prompt, "prompt to time")->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
  return {cmd, [a] { return run_bench(*a); }};
}

}  // namespace pictor::app
