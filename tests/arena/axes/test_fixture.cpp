#include "test_fixture.h"

#include <gtest/gtest.h>

#include <fstream>

namespace pictor::arena::testing {

std::vector<LabelledPrompt> read_labelled(const std::string& file_name) {
  const std::string path = std::string(PICTOR_TEST_FIXTURES) + "/arena/" + file_name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  std::vector<LabelledPrompt> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) {
      ADD_FAILURE() << path << ":" << n << ": expected label<TAB>prompt";
      continue;
    }
    out.push_back({line.substr(0, tab), line.substr(tab + 1), n});
  }
  return out;
}

}  // namespace pictor::arena::testing
