// pictor eval: GenEval-style scores on the scenes world, read by the detector.
#include <cstdio>
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/progress.h"
#include "eval/edit_eval.h"
#include "eval/geneval.h"
#include "world/renderer.h"

namespace pictor::app {

namespace {

struct EvalArgs {
  std::string model = "pictor-mini";
  std::string quality = "medium";
  int steps = 0;
  double guidance = -1;
  int threads = 0;
  bool json = false;
  bool oracle = false;
  bool edits = false;
  bool plans = false;
  eval::EvalOptions opts;
  eval::EditEvalOptions edit_opts;
};

void print_edit_table(const eval::EditEvalReport& r) {
  std::printf("%-12s %8s %13s %12s\n", "edit", "success", "preservation", "PSNR outside");
  for (const auto& [kind, k] : r.kinds) {
    std::printf("%-12s %8.3f %13.3f", kind.c_str(), double(k.success) / k.edits, double(k.preserved) / k.edits);
    if (k.psnr_count) std::printf(" %10.1f dB\n", k.psnr_sum / k.psnr_count);
    else std::printf(" %12s\n", "-");
  }
  std::printf("%-12s %8.3f %13.3f %10.1f dB\n(%.0f s)\n", "overall", r.success, r.preservation,
              r.psnr_outside, r.seconds);
}

void print_table(const eval::EvalReport& r) {
  std::printf("%-20s %9s %9s\n", "task", "accuracy", "held-out");
  for (const auto& task : eval::kTasks) {
    auto it = r.tasks.find(task);
    auto ho = r.held_out_tasks.find(task);
    std::printf("%-20s %9.3f %9s\n", task.c_str(), it == r.tasks.end() ? 0.0 : it->second.accuracy(),
                ho == r.held_out_tasks.end() ? "-" : std::to_string(ho->second.accuracy()).substr(0, 5).c_str());
  }
  std::printf("%-20s %9.3f\n%-20s %9.3f\n%-20s %9.3f\n", "overall", r.overall, "held-out overall",
              r.held_out, "negative control", r.negative_control);
  std::printf("(%d prompts, %d images, %.0f s)\n", r.prompts, r.images, r.seconds);
}

// A progress bar whose total is known only at the first report.
struct LazyProgress {
  const char* label;
  std::unique_ptr<ProgressBar> bar;
  void update(int done, int total) {
    if (!bar) bar = std::make_unique<ProgressBar>(label, total);
    bar->update(done);
  }
  void finish() {
    if (bar) bar->finish();
    bar.reset();
  }
  ~LazyProgress() { finish(); }
};

int run_eval_command(const EvalArgs& a) {
  if (a.opts.images_per_prompt < 1 || a.opts.images_per_prompt > 16)
    return fail(invalid_argument("--images-per-prompt must be between 1 and 16"));
  auto quality = engine::parse_quality(a.quality);
  if (!quality.is_ok()) return fail(quality.status());
  std::unique_ptr<engine::Engine> engine;
  if (!a.oracle) {
    engine::LoadOptions load;
    load.threads = a.threads;
    auto loaded = engine::Engine::load(a.model, load);
    if (!loaded.is_ok()) return fail(loaded.status());
    engine = std::move(*loaded);
  }
  // One image from the model: the eval's sampling settings, the caller's inputs.
  auto generate = [&](engine::GenerateRequest req, int index) -> Result<Image> {
    req.seed = uint64_t(index);
    req.quality = *quality;
    req.steps = a.steps;
    req.guidance = a.guidance;
    auto out = engine->generate(req);
    if (!out.is_ok()) return out.status();
    return std::move(out->images[0]);
  };

  if (a.edits) {
    eval::EditGenerator generator = eval::oracle_edit_generator();
    if (!a.oracle)
      generator = [&](const world::EditExample& edit, const Image& input, const Image& mask, int index) {
        engine::GenerateRequest req;
        req.prompt = edit.instruction;
        req.images = {input};
        if (!mask.empty()) req.mask = mask;
        if (edit.kind == world::EditKind::kImageToImage) req.strength = edit.strength;
        return generate(std::move(req), index);
      };
    LazyProgress progress{"eval --edits", nullptr};
    auto report = eval::run_edit_eval(generator, a.edit_opts, [&](int d, int t) { progress.update(d, t); });
    progress.finish();
    if (!report.is_ok()) return fail(report.status());
    if (a.json) std::printf("%s\n", report->to_json().c_str());
    else print_edit_table(*report);
    return 0;
  }

  eval::Generator generator = eval::oracle_generator();
  if (!a.oracle && a.plans) {
    // The planner's layouts drawn by the world's own renderer: what the picture would be if the
    // denoiser drew its plan perfectly.
    generator = [&](const eval::EvalPrompt& p, int k) -> Result<Image> {
      engine::GenerateRequest req;
      req.prompt = p.prompt;
      req.seed = uint64_t(k);
      req.plan_only = true;
      auto out = engine->generate(req);
      if (!out.is_ok()) return out.status();
      if (out->layouts.empty()) return internal_error("the model returned no plan");
      return world::render(out->layouts[0], 64, 64);
    };
  } else if (!a.oracle) {
    generator = [&](const eval::EvalPrompt& p, int k) {
      engine::GenerateRequest req;
      req.prompt = p.prompt;
      return generate(std::move(req), k);
    };
  }
  LazyProgress progress{"eval", nullptr};
  auto report = eval::run_eval(generator, a.opts, [&](int d, int t) { progress.update(d, t); });
  progress.finish();
  if (!report.is_ok()) return fail(report.status());
  if (a.json) std::printf("%s\n", report->to_json().c_str());
  else print_table(*report);
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& root) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = root.add_subcommand("eval",
      "GenEval-style evaluation on the scenes world (single object, two objects, counting, colours,\n"
      "position, colour attribution, text), scored by the detector; held-out colour+shape pairs apart");
  cmd->add_option("--model", a->model, "model name or path")->capture_default_str();
  cmd->add_option("--quality", a->quality, "low | medium | high")->capture_default_str();
  cmd->add_option("--steps", a->steps, "sampler steps (overrides --quality)");
  cmd->add_option("--guidance", a->guidance, "guidance scale (default: the model's)");
  cmd->add_option("--images-per-prompt", a->opts.images_per_prompt, "images per prompt (seeds 0..k-1)")->capture_default_str();
  cmd->add_option("--limit", a->opts.limit, "only the first N prompts of each task and split (quick check)");
  cmd->add_option("--threads", a->threads, "compute threads");
  cmd->add_flag("--json", a->json, "print JSON (keys overall, tasks, held_out, negative_control)");
  cmd->add_flag("--edits", a->edits,
                "evaluate edits instead: per edit kind, success and preservation (JSON keys success,\n"
                "preservation, each with overall) and PSNR outside the changed region");
  cmd->add_option("--edits-per-kind", a->edit_opts.per_kind, "edits per kind with --edits")->capture_default_str();
  cmd->add_flag("--plans", a->plans,
                "score a layout-grounded model's plans instead of its pictures: each plan drawn by the world's\n"
                "renderer (planning errors apart from drawing errors)");
  cmd->add_flag("--oracle", a->oracle, "score renders of the prompts' own scenes (calibrates the scorer)");
  return {cmd, [a] { return run_eval_command(*a); }};
}

}  // namespace pictor::app
