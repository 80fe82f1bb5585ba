#pragma once
// A prompt's primary category, one arena axis (DESIGN.md §6). Rules, not a model: keyword and
// pattern lists with a precedence order (docs/arena-axes.md).
#include <string>
#include <string_view>
#include <vector>

namespace pictor::arena {

struct CategoryInfo {
  std::string id;            // "objects", "counting", … (stored with votes; never renamed)
  std::string display_name;  // "Objects & shapes"
  std::string rule;          // one line: what puts a prompt in this category
};

// The twelve categories in the order pages list them.
const std::vector<CategoryInfo>& categories();

// Exactly one category id of categories(). Case- and diacritic-insensitive, any UTF-8 (invalid
// bytes are skipped). Precedence: text > counting > spatial > abstract > art > colour > the subject
// categories (people, animals, food, architecture, nature, objects), where the main noun decides.
std::string classify_category(std::string_view prompt);

}  // namespace pictor::arena
