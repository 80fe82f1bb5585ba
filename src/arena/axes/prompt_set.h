#pragma once
// The built-in arena prompt set: used when a battle is created without a prompt (DESIGN.md §6).
#include <string>
#include <vector>

namespace pictor::arena {

struct ArenaPrompt {
  std::string id;     // stable: "t2i-001", "edit-001"
  std::string arena;  // "text-to-image" | "image-edit"
  std::string text;
  std::string category;  // classify_category(text), stored; a test keeps them equal
  std::string language;  // detect_language(text), stored; likewise
};

const std::vector<ArenaPrompt>& builtin_prompts();

}  // namespace pictor::arena
