// pictor train: trains pictor-mini on the scenes world, resumably.
#include <csignal>
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"
#include "engine/training/trainer.h"

namespace pictor::app {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int run_train(const engine::TrainOptions& opts) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto report = engine::train_pictor_mini(opts, &g_stop);
  if (!report.is_ok()) return fail(report.status());
  if (report->planner_accuracy >= 0)
    std::fprintf(stderr, "layout planner: next-token accuracy %.4f\n", report->planner_accuracy);
  std::fprintf(stderr, "trained %lld steps in %.0f s (%.1f samples/s), loss %.4f -> %.4f; model: %s/pictor-mini.safetensors\n",
               (long long)report->steps_done, report->seconds, report->samples_per_second,
               report->first_loss, report->last_loss, opts.out_dir.c_str());
  return g_stop ? 130 : 0;
}

}  // namespace

Command add_train_command(CLI::App& root) {
  auto o = std::make_shared<engine::TrainOptions>();
  auto* cmd = root.add_subcommand("train",
      "train pictor-mini from scratch on the scenes world (resumes from --out when a checkpoint is there;\n"
      "Ctrl-C stops after writing a checkpoint)");
  cmd->add_option("--out", o->out_dir, "run directory: checkpoints, logs, samples, pictor-mini.safetensors")->capture_default_str();
  cmd->add_option("--preset", o->preset, "model size: base | small | tiny")->capture_default_str();
  cmd->add_option("--design", o->design,
                  "how a fresh run conditions on the prompt: text (cross-attention to the words), tokens (a layout "
                  "planner's objects as grounding tokens) or map (the planner's objects painted into the UNet's input)")
      ->check(CLI::IsMember({"text", "tokens", "map"}))->capture_default_str();
  cmd->add_option("--planner-steps", o->planner_steps,
                  "layout planner pre-training steps (text only, before the denoiser; tokens and map designs)")
      ->check(CLI::Range(0, 10000000))->capture_default_str();
  cmd->add_option("--planner-dim", o->planner_dim, "a fresh run's layout planner width (default: the preset's, 128)")
      ->check(CLI::Range(8, 1024));
  cmd->add_option("--planner-layers", o->planner_layers,
                  "a fresh run's layout planner depth: encoder layers, and as many decoder layers (default: the preset's, 2)")
      ->check(CLI::Range(1, 16));
  cmd->add_flag("--planner-relative-positions", o->planner_relative_positions,
               "a fresh run's planner encoder adds a learned bias per head and word offset to its attention\n"
               "(word order, which relations hinge on)");
  cmd->add_option("--planner-from", o->planner_from,
                  "take the layout planner (size, weights, steps) from this pictor-mini file or run checkpoint instead of\n"
                  "the run's own: a planner trained apart (text only) put into a denoiser's run")
      ->check(CLI::ExistingFile);
  cmd->add_option("--planner-relations", o->planner_relation_probability,
                  "layout planner captions: chance that a scene of two or more objects states a relation\n"
                  "(the denoiser's captions keep 0.45; relations are what planners learn last)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--planner-batch", o->planner_batch, "layout planner batch size")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("--steps", o->steps, "total optimizer steps (a resumed run continues up to this)")->capture_default_str();
  cmd->add_option("--hours", o->max_hours, "stop after this many hours (0 = no limit)")->capture_default_str();
  cmd->add_option("--batch", o->batch_size, "batch size")->capture_default_str();
  cmd->add_option("--lr", o->learning_rate, "peak learning rate")->capture_default_str();
  cmd->add_option("--edit-fraction", o->edit_fraction,
                  "share of edit examples (instruction edits and masked inpainting), 0-1")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--warmup", o->warmup_steps, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--cooldown", o->cooldown,
                  "final fraction of this run's budget (--hours, else steps) over which the learning rate "
                  "decays linearly to 5%")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--ema", o->ema_decay, "EMA decay of the shipped weights")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "steps between checkpoints")->capture_default_str();
  cmd->add_option("--eval-every", o->eval_every, "steps between periodic evals (0 = none)")->capture_default_str();
  cmd->add_option("--log-every", o->log_every, "steps between log lines")->capture_default_str();
  cmd->add_option("--threads", o->threads, "compute threads (default: all cores)");
  cmd->add_option("--seed", o->seed, "data and initialisation seed")->capture_default_str();
  cmd->add_flag("--restart{false}", o->resume, "ignore an existing checkpoint and start over");
  cmd->add_option("--init-from", o->init_from,
                  "without a checkpoint in --out: start from these pictor-mini weights (e.g. the shipped\n"
                  "models/pictor-mini/pictor-mini.safetensors) with a fresh optimizer");
  cmd->add_flag("--quiet", o->quiet, "no progress output");
  cmd->add_flag("--fp32-matmuls{false}", o->bf16_matmuls,
                "keep token projections in fp32 (default: bf16 products where the CPU has native bf16)");
  return {cmd, [o] { return run_train(*o); }};
}

}  // namespace pictor::app
