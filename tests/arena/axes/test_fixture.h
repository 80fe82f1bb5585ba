#pragma once
// Reads the labelled prompt lists under tests/fixtures/arena/ ("label<TAB>prompt", # comments).
#include <string>
#include <vector>

namespace pictor::arena::testing {

struct LabelledPrompt {
  std::string label;
  std::string text;
  int line = 0;
};

// Fails the calling test (ADD_FAILURE) on a missing file or a malformed line.
std::vector<LabelledPrompt> read_labelled(const std::string& file_name);

}  // namespace pictor::arena::testing
