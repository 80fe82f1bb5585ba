#pragma once
// A prompt's facts checked one by one against a picture: the reading behind `pictor check` and
// the arena's auto-judge, which ranks contestant images by `score` (facts held / facts stated).
//
// Facts of a spec, in order: each group of objects stated alike ("2 red circles", "1 small blue
// number 7 at the top left": at least that many such objects); each relation between two groups
// ("the red circles above the blue square": every member of the first above every member of the
// second); the total count ("3 objects in total": recognised + unrecognised blobs); the
// background. Each fact is checked on its own (check_spec on a spec holding just that fact), so
// a picture earns partial credit; `all_hold` is the joint check_spec (one object per mention).
#include <string>
#include <string_view>
#include <vector>

#include "core/image.h"
#include "core/status.h"
#include "world/prompt_parser.h"
#include "world/scene.h"

namespace pictor::world {

struct FactCheck {
  std::string text;  // "2 red circles", "the red circles above the blue square"
  bool holds = false;
  std::string why;  // when it fails: "the circles are left of it", "found 1"
};

struct PromptCheck {
  Scene detected;  // the detector's reading of the picture
  std::vector<FactCheck> facts;
  int facts_held = 0;
  int facts_total = 0;
  double score = 0;  // facts_held / facts_total; 0 when the spec states nothing
  // check_spec(detected, spec) passed and at least one fact is stated. Can be false with every
  // fact holding on its own (two mentions matched by one object): see failures.
  bool all_hold = false;
  std::vector<std::string> failures;  // check_spec's explanations when the joint check fails
};

// The facts of `spec` (in the order above) checked against a detected scene.
PromptCheck check_facts(const Scene& detected, const SceneSpec& spec);
// detect(image), then check_facts with the parsed prompt's spec. Facts the parser did not
// understand are not checked: see prompt.in_world and prompt.unknown_words.
PromptCheck check_prompt(const Image& image, const ParsedPrompt& prompt);
// parse_prompt + check_prompt; invalid_argument for a prompt parse_prompt refuses.
Result<PromptCheck> check_prompt(const Image& image, std::string_view prompt);

}  // namespace pictor::world
