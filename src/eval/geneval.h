#pragma once
// Runs the prompt set through a generator and scores every image with the detector.
// Scores: per task (in-distribution), held-out combinations apart, overall = mean of the task
// accuracies (GenEval's convention), and a negative control that checks every image against
// another prompt's facts (a lenient scorer would pass those too).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/status.h"
#include "eval/prompt_set.h"
#include "world/scene.h"

namespace pictor::eval {

struct EvalOptions {
  PromptSetOptions prompts;
  int images_per_prompt = 4;
  int limit = 0;  // > 0: only the first `limit` prompts of each task (quick runs)
};

struct TaskResult {
  int images = 0;
  int correct = 0;
  double accuracy() const { return images ? double(correct) / images : 0.0; }
};

struct EvalReport {
  std::map<std::string, TaskResult> tasks;           // in-distribution
  std::map<std::string, TaskResult> held_out_tasks;  // held-out combinations only
  double overall = 0;                                // mean of in-distribution task accuracies
  double held_out = 0;                               // accuracy over all held-out images
  double negative_control = 0;                       // mean task accuracy against shuffled prompts
  int prompts = 0, images = 0;
  double seconds = 0;
  std::vector<std::string> failures;  // up to 5 examples per task: "prompt -> why"
  // Why images failed, per task (in-distribution and held-out together): failure kind → images
  // with that kind (an image may have several). Kinds: see failure_kinds().
  std::map<std::string, std::map<std::string, int>> failure_kinds;
  std::map<std::string, int> failed_images;  // per task
  std::string to_json() const;
};

// generator(prompt, image_index) → image. The engine-backed generator uses seed = image_index.
// The kinds of failure of one image against its prompt (empty when it passes): count_fewer,
// count_more, colour_wrong (an object of the asked shape is there, in another colour), size_wrong,
// region_wrong, shape_wrong (no object of the asked shape or glyph, nothing malformed),
// malformed (no such object, but unrecognised blobs: a smudged shape or an illegible glyph),
// relation_wrong, duplicates_missing (too few distinct matches), background_wrong.
std::vector<std::string> failure_kinds(const world::Scene& detected, const world::SceneSpec& spec);

using Generator = std::function<Result<Image>(const EvalPrompt&, int)>;
using EvalProgress = std::function<void(int done, int total)>;

Result<EvalReport> run_eval(const Generator& generate, const EvalOptions& opts,
                            const EvalProgress& progress = {});

// The "perfect model": renders the scene each prompt was made from (calibrates the scorer).
Generator oracle_generator(int size = 64);

}  // namespace pictor::eval
