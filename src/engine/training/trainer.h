#pragma once
// `pictor train`: trains pictor-mini from scratch (or continues) on the scenes world with
// rectified flow. Everything a run needs to resume lives in its output directory:
//   checkpoint.safetensors  model + EMA weights, step, elapsed time (written atomically)
//   optimizer.pt            AdamW state
//   pictor-mini.safetensors the EMA weights in fp16: the shippable model file
//   train.log               one line per log interval; eval.jsonl one line per periodic eval
//   samples-<step>.png      a grid of samples from fixed prompts
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace pictor::engine {

struct TrainOptions {
  std::string out_dir = "runs/pictor-mini";
  std::string preset = "base";  // base | small | tiny (tests)
  // How a fresh run conditions on the prompt (docs/models/pictor-mini.md, "Design study"):
  // text = cross-attention to the words only; tokens = a layout planner's objects as grounding
  // tokens in cross-attention at every level; map = the planner's objects painted as a layout
  // map into the UNet's input. A resumed run keeps the design it started with.
  std::string design = "text";
  int planner_steps = 2000;     // layout planner pre-training (text only), before the denoiser
  int planner_batch = 128;
  // The planner's captions: chance of a relation attempt for scenes of 2+ objects (make_spec's 0.45).
  double planner_relation_probability = 0.45;
  // A fresh run's planner size (0 = the preset's); ignored when the run continues or takes its
  // planner from planner_from.
  int planner_dim = 0, planner_layers = 0;
  bool planner_relative_positions = false;  // a fresh run's planner encoder with word-offset biases
  // The layout planner, its size and its training steps, from this pictor-mini file (a shipped
  // file or a run's checkpoint), replacing the run's own: planners are trained on text alone, so
  // one trained apart can be put into a denoiser's run. The planner phase then continues only
  // while that file's planner steps are below planner_steps.
  std::string planner_from;
  int64_t steps = 20000;        // total optimizer steps (a resumed run continues to this)
  double max_hours = 0;         // stop (with a checkpoint) after this wall time; 0 = no limit
  int batch_size = 32;
  double edit_fraction = 0.0;   // share of edit examples (instruction edits, inpainting)
  // Token projections multiply in bf16 (fp32 master weights) where the CPU has native bf16:
  // measured 1.8x faster steps here (docs/benchmarks.md). false = fp32 everywhere.
  bool bf16_matmuls = true;
  double learning_rate = 4e-4;
  int warmup_steps = 300;
  // Warmup-stable-decay: over the final `cooldown` fraction of this invocation's budget (its
  // --hours when set, else its remaining steps) the learning rate falls linearly to 5% of its
  // value. Annealing at the end sharpens samples; a constant rate keeps the run resumable.
  double cooldown = 0.0;
  double ema_decay = 0.999;
  int log_every = 20;
  int checkpoint_every = 200;
  int eval_every = 1000;        // 0 = never
  int eval_prompts = 32;
  int threads = 0;
  uint64_t seed = 1;
  bool resume = true;           // continue from out_dir's checkpoint when present
  std::string init_from;        // else start from these pictor-mini weights (fresh optimizer)
  bool quiet = false;           // no progress bar
};

struct TrainReport {
  int64_t steps_done = 0;
  double first_loss = 0;  // mean loss over the first log interval of this invocation
  double last_loss = 0;   // mean loss over the last log interval
  double samples_per_second = 0;
  double seconds = 0;
  double last_eval = -1;  // fraction of eval prompts whose facts the detector confirmed
  double planner_accuracy = -1;  // next-token accuracy over the planner phase's last interval
};

Result<TrainReport> train_pictor_mini(const TrainOptions& opts, const std::atomic<bool>* stop = nullptr);

}  // namespace pictor::engine
