#pragma once
// The fixed, seeded prompt set of `pictor eval`: GenEval's tasks rebuilt on the scenes world.
// Each prompt carries the SceneSpec it states, so the detector can check every stated fact.
#include <cstdint>
#include <string>
#include <vector>

#include "world/scene.h"

namespace pictor::eval {

// Task names, in report order.
inline const std::vector<std::string> kTasks = {"single_object", "two_objects", "counting", "colours",
                                                "position", "colour_attribution", "text"};

struct EvalPrompt {
  std::string task;
  bool held_out = false;  // states a colour+shape pair kept out of training
  world::SceneSpec spec;
  std::string prompt;
};

struct PromptSetOptions {
  int per_task = 60;           // in-distribution prompts per task
  int held_out_per_task = 30;  // for the tasks that state colours: colours, colour_attribution, counting
  uint64_t seed = 2026;
};

// Deterministic for given options: the same prompts on every machine.
std::vector<EvalPrompt> build_prompt_set(const PromptSetOptions& opts = {});

}  // namespace pictor::eval
