#include <gtest/gtest.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "arena/axes/prompt_category.h"
#include "arena/axes/prompt_language.h"
#include "arena/axes/prompt_set.h"

namespace pictor::arena {
namespace {

TEST(PromptSet, StoredAxesEqualTheClassifiers) {
  int drift = 0;
  for (const ArenaPrompt& p : builtin_prompts()) {
    const std::string category = classify_category(p.text);
    const std::string language = detect_language(p.text);
    if (category != p.category || language != p.language) {
      ++drift;
      std::cout << "  drift " << p.id << ": stored " << p.category << "/" << p.language
                << ", classifiers say " << category << "/" << language << "; row:\n      {\""
                << p.id << "\", \"" << p.arena << "\", \"" << p.text << "\", \"" << category
                << "\", \"" << language << "\"},\n";
    }
  }
  EXPECT_EQ(drift, 0);
}

TEST(PromptSet, IdsAreStableAndUnique) {
  std::set<std::string> ids, texts;
  int t2i = 0, edit = 0;
  for (const ArenaPrompt& p : builtin_prompts()) {
    EXPECT_TRUE(ids.insert(p.id).second) << p.id;
    EXPECT_TRUE(texts.insert(p.arena + "|" + p.text).second) << "duplicate text " << p.id;
    EXPECT_FALSE(p.text.empty()) << p.id;
    char expected[16];
    if (p.arena == "text-to-image") {
      std::snprintf(expected, sizeof expected, "t2i-%03d", ++t2i);
    } else {
      ASSERT_EQ(p.arena, "image-edit") << p.id;
      std::snprintf(expected, sizeof expected, "edit-%03d", ++edit);
    }
    EXPECT_EQ(p.id, expected);  // numbered in order, so appending keeps old ids
  }
}

TEST(PromptSet, Coverage) {
  std::set<std::string> category_ids;
  for (const CategoryInfo& c : categories()) category_ids.insert(c.id);
  std::map<std::string, std::map<std::string, int>> by_category, by_language;
  for (const ArenaPrompt& p : builtin_prompts()) {
    ++by_category[p.arena][p.category];
    ++by_language[p.arena][p.language];
  }
  int t2i = 0, edit = 0;
  for (const auto& [c, n] : by_category["text-to-image"]) t2i += n;
  for (const auto& [c, n] : by_category["image-edit"]) edit += n;
  EXPECT_GE(t2i, 150);
  EXPECT_GE(edit, 60);
  for (const std::string& c : category_ids) EXPECT_GE(by_category["text-to-image"][c], 8) << c;
  EXPECT_GE(by_language["text-to-image"].size(), 6u);
  EXPECT_GE(by_language["image-edit"].size(), 4u);
  for (const char* lang : {"en", "fr", "de", "es", "ja", "zh"})
    EXPECT_GE(by_language["text-to-image"][lang], 3) << lang;
  EXPECT_EQ(by_language["text-to-image"].count("und"), 0u);
  for (const auto& [arena, counts] : by_category) {
    std::cout << "  " << arena << ":";
    for (const auto& [c, n] : counts) std::cout << " " << c << "=" << n;
    std::cout << "\n   ";
    for (const auto& [l, n] : by_language[arena]) std::cout << " " << l << "=" << n;
    std::cout << "\n";
  }
}

}  // namespace
}  // namespace pictor::arena
