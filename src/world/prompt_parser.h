#pragma once
// Reads a free-text prompt of the scenes world back into a SceneSpec: the inverse of caption().
// It understands every template and paraphrase captions.cpp / caption_phrases.cpp produce, plus
// the plain wordings people type ("two red circles above a blue square", "a 7 on top of a heart").
// Words it cannot place are listed, not fatal: pictor-mini does its best with such prompts, and
// `pictor check` and the arena's judge check only the facts that were understood.
//
// What becomes a fact (docs/world.md, "Prompt parser"):
// - every object noun phrase: shape (singular or plural) or glyph ("the number 7 in blue", "an A",
//   "a red capital Q"), with count ("two", "2", "three copies of", ", twice"), colour, size and a
//   region phrase right after it ("at the top left");
// - relations between noun phrases ("X left of Y", "X is above Y", "Y has X to its left",
//   "Y with X below it"); a phrase with a count relates every member ("two red circles above a
//   blue square" = both circles above the square). "the red star" after "a red star ..." refers
//   to that object instead of adding one;
// - the total count ("three objects: ...", "exactly ...", "only", "just", "... and nothing else",
//   "..., four things in total");
// - the background: plain ("on a cream backdrop") or gradient, with its direction.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "world/scene.h"

namespace pictor::world {

inline constexpr size_t kMaxPromptChars = 1000;  // longer prompts are invalid_argument

struct ParsedPrompt {
  // The stated facts. spec.scene is one scene that satisfies them (objects at region centres,
  // laid out so that stated relations and regions hold); unstated attributes keep defaults with
  // their mention flag off (colour red, size medium).
  SceneSpec spec;
  // Words that were not understood (in prompt order, lowercased like tokenize_words).
  std::vector<std::string> unknown_words;
  // Parts that were read but cannot hold in the world ("five circles": at most 4 objects; a
  // stated total that disagrees with the objects listed; a relation with one side missing).
  std::vector<std::string> warnings;
  // Every content word understood, no warnings, and at least one fact stated.
  bool in_world = false;
};

// invalid_argument for an empty (or blank) prompt, bytes that are not UTF-8, or more than
// kMaxPromptChars characters. Anything else parses; see in_world.
Result<ParsedPrompt> parse_prompt(std::string_view prompt);

}  // namespace pictor::world
