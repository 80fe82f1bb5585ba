#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>

#include "arena/axes/prompt_category.h"
#include "test_fixture.h"

namespace pictor::arena {
namespace {

std::set<std::string> category_ids() {
  std::set<std::string> ids;
  for (const CategoryInfo& c : categories()) ids.insert(c.id);
  return ids;
}

TEST(PromptCategory, TwelveCategoriesWithNamesAndRules) {
  const auto ids = category_ids();
  EXPECT_EQ(categories().size(), 12u);
  EXPECT_EQ(ids.size(), 12u);
  for (const char* id : {"objects", "counting", "colour", "spatial", "text", "people", "animals",
                         "nature", "food", "architecture", "art", "abstract"})
    EXPECT_TRUE(ids.count(id)) << id;
  for (const CategoryInfo& c : categories()) {
    EXPECT_FALSE(c.display_name.empty()) << c.id;
    EXPECT_FALSE(c.rule.empty()) << c.id;
  }
  EXPECT_EQ(categories().front().display_name, "Objects & shapes");
}

TEST(PromptCategory, LabelledListAtLeastNinetyPercent) {
  const auto prompts = testing::read_labelled("categories.tsv");
  ASSERT_GE(prompts.size(), 200u);
  const auto ids = category_ids();
  std::map<std::string, int> per_label;
  std::map<std::pair<std::string, std::string>, int> confusion;  // (expected, got) for misses
  int correct = 0, non_english = 0;
  for (const auto& p : prompts) {
    ASSERT_TRUE(ids.count(p.label)) << "line " << p.line << ": unknown category " << p.label;
    ++per_label[p.label];
    for (unsigned char c : p.text) non_english += c >= 0x80 ? 1 : 0;
    const std::string got = classify_category(p.text);
    if (got == p.label) {
      ++correct;
    } else {
      ++confusion[{p.label, got}];
      std::cout << "  miss (line " << p.line << "): expected " << p.label << ", got " << got << ": "
                << p.text << "\n";
    }
  }
  for (const auto& [id, n] : per_label) EXPECT_GE(n, 12) << id;
  EXPECT_EQ(per_label.size(), 12u);
  EXPECT_GT(non_english, 0);
  if (!confusion.empty()) {
    std::cout << "  confusion of the misses (expected -> got: count)\n";
    for (const auto& [pair, n] : confusion)
      std::cout << "    " << pair.first << " -> " << pair.second << ": " << n << "\n";
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(prompts.size());
  std::cout << "  category accuracy " << correct << "/" << prompts.size() << " = " << accuracy
            << "\n";
  EXPECT_GE(accuracy, 0.90);
}

// Precedence: text > counting > spatial > abstract > art > colour > subject.
TEST(PromptCategory, PrecedenceOrder) {
  EXPECT_EQ(classify_category("three copies of the number 5 in green"), "text");
  EXPECT_EQ(classify_category("a sign that says hello next to two cats"), "text");
  EXPECT_EQ(classify_category("two red circles above a blue square"), "counting");
  EXPECT_EQ(classify_category("a red circle to the left of a blue square"), "spatial");
  EXPECT_EQ(classify_category("an abstract oil painting of a cat"), "abstract");
  EXPECT_EQ(classify_category("a watercolor of a red fox and a blue bird"), "art");
  EXPECT_EQ(classify_category("a purple giraffe with green spots"), "colour");
  EXPECT_EQ(classify_category("a purple giraffe"), "animals");
}

TEST(PromptCategory, TextRules) {
  EXPECT_EQ(classify_category("a poster with \"Hello\" in big letters"), "text");
  EXPECT_EQ(classify_category("a mug with the word 'coffee'"), "text");
  EXPECT_EQ(classify_category("the letter A in red"), "text");
  EXPECT_EQ(classify_category("a blue 7"), "text");
  EXPECT_EQ(classify_category("un panneau avec « Bonjour »"), "text");
  // An apostrophe is not a quote, and "the number of" is not a glyph.
  EXPECT_EQ(classify_category("the cat's favourite toy"), "animals");
  EXPECT_EQ(classify_category("a large number of birds in the sky"), "animals");
}

TEST(PromptCategory, CountingRules) {
  EXPECT_EQ(classify_category("three apples on a table"), "counting");
  EXPECT_EQ(classify_category("a table with 10 cupcakes"), "counting");
  EXPECT_EQ(classify_category("exactly one red star"), "counting");
  EXPECT_EQ(classify_category("drei Katzen im Garten"), "counting");
  EXPECT_EQ(classify_category("三只猫"), "counting");
  EXPECT_EQ(classify_category("고양이 두 마리"), "counting");
  // Units and singular nouns after a number are not counts; one is not a count.
  EXPECT_EQ(classify_category("a 3 story house by the lake"), "architecture");
  EXPECT_EQ(classify_category("a two headed dragon"), "animals");
  EXPECT_EQ(classify_category("a diner open 24 hours"), "architecture");
  EXPECT_EQ(classify_category("一只猫"), "animals");
  EXPECT_EQ(classify_category("a triangle, 三角形"), "objects");
}

TEST(PromptCategory, SpatialRules) {
  EXPECT_EQ(classify_category("a lamp next to a bed"), "spatial");
  EXPECT_EQ(classify_category("a small red star in the top left corner"), "spatial");
  EXPECT_EQ(classify_category("move the triangle to the left"), "spatial");
  EXPECT_EQ(classify_category("a tennis ball under a wooden chair"), "spatial");
  EXPECT_EQ(classify_category("a star above it"), "spatial");
  EXPECT_EQ(classify_category("Un chat à gauche d'un chien"), "spatial");
  // "above/under" between a thing and a place or the sky is not a spatial test.
  EXPECT_EQ(classify_category("a castle above the clouds"), "architecture");
  EXPECT_EQ(classify_category("a cat sleeping under a tree"), "animals");
  EXPECT_EQ(classify_category("a field of sunflowers under a clear blue sky"), "nature");
  // "at the top of a hill" is a place, not a position in the frame.
  EXPECT_EQ(classify_category("a church at the top of a hill"), "architecture");
  // "sur"/"on" alone is not a relation test: the brief's example.
  EXPECT_EQ(classify_category("un chat sur un canapé"), "animals");
}

TEST(PromptCategory, ColourRules) {
  EXPECT_EQ(classify_category("a red circle and a blue square"), "colour");
  EXPECT_EQ(classify_category("make the background yellow"), "colour");
  EXPECT_EQ(classify_category("turn the square green"), "colour");
  EXPECT_EQ(classify_category("Rends le fond jaune"), "colour");
  EXPECT_EQ(classify_category("背景を黄色にして"), "colour");
  EXPECT_EQ(classify_category("a bedroom in shades of green"), "colour");
  // One colour, or inherent ones, bind nothing.
  EXPECT_EQ(classify_category("make a red circle"), "objects");
  EXPECT_EQ(classify_category("a blue sky with white clouds over a meadow"), "nature");
  EXPECT_EQ(classify_category("a black and white photo of an old man"), "people");
}

TEST(PromptCategory, SubjectIsTheMainNoun) {
  EXPECT_EQ(classify_category("a man walking his dog on the beach"), "people");
  EXPECT_EQ(classify_category("a dog walking with a man on the beach"), "animals");
  EXPECT_EQ(classify_category("a street musician playing at night"), "people");
  EXPECT_EQ(classify_category("a baby elephant"), "animals");
  EXPECT_EQ(classify_category("a hot dog with mustard"), "food");
  EXPECT_EQ(classify_category("a teddy bear on a bed"), "objects");
  EXPECT_EQ(classify_category("portrait of a golden retriever"), "animals");
  EXPECT_EQ(classify_category("a cup of cappuccino"), "food");
  // Head-final languages: the last noun, or the one before the subject particle.
  EXPECT_EQ(classify_category("沙发上的猫"), "animals");
  EXPECT_EQ(classify_category("ソファの上で眠る猫"), "animals");
  EXPECT_EQ(classify_category("着物を着た女性が桜の下を歩く"), "people");
  EXPECT_EQ(classify_category("一只小狗在雪地里奔跑"), "animals");
  EXPECT_EQ(classify_category("kanepede bir kedi"), "animals");
  EXPECT_EQ(classify_category("Bir kadın sahilde yürüyor"), "people");
}

TEST(PromptCategory, CaseDiacriticsAndBadInput) {
  EXPECT_EQ(classify_category("UN CHAT SUR UN CANAPÉ"), classify_category("un chat sur un canape"));
  EXPECT_EQ(classify_category("EIN HUND IM SCHNEE"), "animals");
  EXPECT_EQ(classify_category("Ｔｈｒｅｅ ｃａｔｓ"), "counting");  // fullwidth forms
  EXPECT_EQ(classify_category(""), "objects");
  EXPECT_EQ(classify_category("!!! ??? ..."), "objects");
  EXPECT_EQ(classify_category("\xff\xfe a cat \xc3"), "animals");  // invalid UTF-8 is skipped
  EXPECT_EQ(classify_category("a cat 🐱 on the moon"), "animals");
  const auto ids = category_ids();
  for (const char* p : {"xyzzy", "ok", "a", "7", "🙂", "\xe2\x82"})
    EXPECT_TRUE(ids.count(classify_category(p))) << p;
}

}  // namespace
}  // namespace pictor::arena
