#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "arena/axes/prompt_language.h"
#include "test_fixture.h"

namespace pictor::arena {
namespace {

TEST(PromptLanguage, LabelledListAtLeastNinetyPercentPerLanguage) {
  const auto prompts = testing::read_labelled("languages.tsv");
  std::map<std::string, int> total, correct;
  for (const auto& p : prompts) {
    ++total[p.label];
    const std::string got = detect_language(p.text);
    if (got == p.label)
      ++correct[p.label];
    else
      std::cout << "  miss (line " << p.line << "): expected " << p.label << ", got " << got << ": "
                << p.text << "\n";
  }
  ASSERT_TRUE(total.count("en"));
  int other = 0;
  for (const auto& [code, n] : total) {
    if (code != "en" && n >= 8) ++other;
    const double accuracy = static_cast<double>(correct[code]) / n;
    std::cout << "  " << code << " " << correct[code] << "/" << n << "\n";
    EXPECT_GE(n, 8) << code;
    EXPECT_GE(accuracy, 0.90) << code;
  }
  EXPECT_GE(other, 10);
}

TEST(PromptLanguage, ScriptDecides) {
  EXPECT_EQ(detect_language("ねこ"), "ja");
  EXPECT_EQ(detect_language("猫がいる"), "ja");
  EXPECT_EQ(detect_language("猫"), "zh");  // Han alone reads as Chinese
  EXPECT_EQ(detect_language("고양이"), "ko");
  EXPECT_EQ(detect_language("кошка"), "ru");
  EXPECT_EQ(detect_language("кішка на дивані"), "uk");
  EXPECT_EQ(detect_language("قطة"), "ar");
  EXPECT_EQ(detect_language("बिल्ली"), "hi");
  EXPECT_EQ(detect_language("γάτα στον καναπέ"), "el");
  EXPECT_EQ(detect_language("חתול על הספה"), "he");
}

TEST(PromptLanguage, ShortLatinPromptsUseTheVote) {
  EXPECT_EQ(detect_language("un chat sur un canapé"), "fr");
  EXPECT_EQ(detect_language("un perro en la playa al atardecer"), "es");
  EXPECT_EQ(detect_language("Dwa koty na kanapie"), "pl");
  EXPECT_EQ(detect_language("a red circle"), "en");
  EXPECT_EQ(detect_language("rotes Auto"), "de");
}

TEST(PromptLanguage, UndeterminedWithoutEvidence) {
  EXPECT_EQ(detect_language(""), "und");
  EXPECT_EQ(detect_language("12345"), "und");
  EXPECT_EQ(detect_language("!!! ??? 🙂"), "und");
  EXPECT_EQ(detect_language("\xff\xfe\xfd"), "und");
}

TEST(PromptLanguage, Names) {
  EXPECT_EQ(language_name("en"), "English");
  EXPECT_EQ(language_name("fr"), "French");
  EXPECT_EQ(language_name("zh"), "Chinese");
  EXPECT_EQ(language_name("und"), "Undetermined");
  EXPECT_EQ(language_name("zu"), "Zulu");  // not in the table: CLD2's name, capitalised
  EXPECT_EQ(language_name("qq"), "qq");
}

}  // namespace
}  // namespace pictor::arena
