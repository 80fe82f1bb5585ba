// CLIP tokenizer: parity with transformers' CLIPTokenizer (+ ftfy) on the sd-tiny-A vectors, the
// SD 1.x padding variant (against openai's SimpleTokenizer ids), text normalisation, errors, speed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "engine/tokenizers/clip_text.h"
#include "engine/tokenizers/clip_tokenizer.h"

namespace fs = std::filesystem;
using pictor::StatusCode;
using pictor::engine::ClipTokenizer;
namespace ct = pictor::engine::clip_text;

namespace {

const std::string kDir = std::string(PICTOR_TEST_FIXTURES) + "/sd-tiny-A";
const std::string kTokDir = kDir + "/tokenizer";

const nlohmann::json& vectors() {
  static const nlohmann::json j = [] {
    std::ifstream in(kDir + "/tokenizer_vectors.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

const ClipTokenizer& sd2_tokenizer() {
  static const ClipTokenizer tok = [] {
    auto r = ClipTokenizer::load(kTokDir);
    if (!r.is_ok()) throw std::runtime_error(r.status().message());
    return std::move(r.value());
  }();
  return tok;
}

std::string fix(const std::string& s) { return ct::encode_utf8(ct::fix_text(ct::decode_utf8(s))); }

// A scratch folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("pictor_cliptok_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name, std::ios::binary) << text; }
  void copy(const std::string& name) const { fs::copy_file(fs::path(kTokDir) / name, path / name); }
};

}  // namespace

TEST(ClipTokenizer, LoadsSd2FolderWithPadBang) {
  const ClipTokenizer& tok = sd2_tokenizer();
  const auto& v = vectors();
  EXPECT_EQ(tok.vocab_size(), 49408);
  EXPECT_EQ(tok.bos_id(), v["bos_token_id"].get<int64_t>());
  EXPECT_EQ(tok.eos_id(), v["eos_token_id"].get<int64_t>());
  EXPECT_EQ(tok.pad_id(), v["pad_token_id"].get<int64_t>());
  EXPECT_EQ(tok.pad_token(), "!");
  EXPECT_EQ(tok.max_length(), v["model_max_length"].get<int>());
}

// Every prompt: the padded/truncated pipeline ids, the untruncated ids and the token strings.
TEST(ClipTokenizer, MatchesReferenceVectors) {
  const ClipTokenizer& tok = sd2_tokenizer();
  const auto& prompts = vectors()["prompts"];
  ASSERT_EQ(prompts.size(), 26u);
  int matched = 0;
  for (const auto& p : prompts) {
    const std::string text = p["prompt"];
    SCOPED_TRACE("prompt " + std::to_string(p["index"].get<int>()) + ": " + text);
    auto ids = tok.encode(text);
    EXPECT_EQ(ids, p["input_ids"].get<std::vector<int64_t>>());
    EXPECT_EQ(tok.encode_unpadded(text), p["untruncated_ids"].get<std::vector<int64_t>>());
    EXPECT_EQ(tok.tokens(text), p["tokens"].get<std::vector<std::string>>());
    // The attention mask is 1 over bos..eos: what encode() keeps before the padding.
    auto mask = p["attention_mask"].get<std::vector<int>>();
    size_t kept = std::min<size_t>(tok.encode_unpadded(text).size(), size_t(tok.max_length()));
    EXPECT_EQ(size_t(std::count(mask.begin(), mask.end(), 1)), kept);
    if (!::testing::Test::HasFailure()) ++matched;
  }
  std::printf("[clip tokenizer] %d/%zu reference prompts match exactly (padded, untruncated, tokens)\n", matched,
              prompts.size());
}

TEST(ClipTokenizer, TruncationKeepsEndOfTextLast) {
  const ClipTokenizer& tok = sd2_tokenizer();
  std::string text;
  for (int i = 0; i < 200; ++i) text += "cat ";
  auto ids = tok.encode(text);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), tok.bos_id());
  EXPECT_EQ(ids.back(), tok.eos_id());
  EXPECT_EQ(ids[75], 2368);  // "cat</w>"
  EXPECT_EQ(tok.encode_unpadded(text).size(), 202u);
  auto empty = tok.encode("");
  EXPECT_EQ(empty[0], tok.bos_id());
  EXPECT_EQ(empty[1], tok.eos_id());
  EXPECT_TRUE(std::all_of(empty.begin() + 2, empty.end(), [&](int64_t id) { return id == tok.pad_id(); }));
}

// SD 1.x tokenizers pad with <|endoftext|>, so "!" is an ordinary BPE symbol: the ids are then
// openai's SimpleTokenizer ids between bos and eos for every prompt of the file.
TEST(ClipTokenizer, Sd1PaddingMatchesOpenAiIds) {
  auto tok = ClipTokenizer::from_files(kTokDir + "/vocab.json", kTokDir + "/merges.txt", "<|endoftext|>", 77);
  ASSERT_TRUE(tok.is_ok()) << tok.status().message();
  EXPECT_EQ(tok->pad_id(), 49407);
  for (const auto& p : vectors()["prompts"]) {
    const std::string text = p["prompt"];
    SCOPED_TRACE(text);
    std::vector<int64_t> expected = {tok->bos_id()};
    for (const auto& id : p["openai_simple_tokenizer_ids"]) expected.push_back(id.get<int64_t>());
    expected.push_back(tok->eos_id());
    EXPECT_EQ(tok->encode_unpadded(text), expected);
  }
  auto ids = tok->encode("yes!!!");
  EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.begin() + 5), (std::vector<int64_t>{49406, 1958, 995, 49407, 49407}));
}

TEST(ClipTokenizer, FromFilesWithBangMatchesFolder) {
  auto tok = ClipTokenizer::from_files(kTokDir + "/vocab.json", kTokDir + "/merges.txt", "!", 77);
  ASSERT_TRUE(tok.is_ok()) << tok.status().message();
  EXPECT_EQ(tok->pad_id(), 0);
  EXPECT_EQ(tok->encode("Hello, world! How are you?? ... yes!!!"),
            sd2_tokenizer().encode("Hello, world! How are you?? ... yes!!!"));
  auto short_tok = ClipTokenizer::from_files(kTokDir + "/vocab.json", kTokDir + "/merges.txt", "!", 8);
  ASSERT_TRUE(short_tok.is_ok());
  EXPECT_EQ(short_tok->encode("a photo of an astronaut riding a horse"),
            (std::vector<int64_t>{49406, 320, 1125, 539, 550, 18376, 6765, 49407}));
}

// Cases beyond the vector file, each checked against what the reference pipeline does.
TEST(ClipTokenizer, NormalisationEdgeCases) {
  const ClipTokenizer& tok = sd2_tokenizer();
  auto words = [&](const std::string& s) {
    auto t = tok.tokens(s);
    return std::vector<std::string>(t.begin() + 1, t.end() - 1);
  };
  // Curly quotes are straightened by ftfy, so contractions still split off.
  EXPECT_EQ(words("don\u2019t"), words("don't"));
  // Mojibake of a curly apostrophe: re-decoded, then straightened.
  EXPECT_EQ(words("don\u00e2\u20ac\u2122t"), words("don't"));
  // Decomposed accents are composed (NFC) before BPE.
  EXPECT_EQ(words("cafe\u0301"), words("caf\u00e9"));
  // An upper-case special token is not split out but still matches the pattern after lowercasing.
  EXPECT_EQ(tok.encode_unpadded("a <|ENDOFTEXT|> b"), (std::vector<int64_t>{49406, 320, 49407, 321, 49407}));
  // Final sigma (Python's str.lower).
  EXPECT_EQ(ct::encode_utf8(ct::lowercase(ct::decode_utf8("\u039f\u0394\u039f\u03a3 \u03a3"))),
            "\u03bf\u03b4\u03bf\u03c2 \u03c3");
  // Invalid UTF-8 becomes U+FFFD instead of failing.
  EXPECT_EQ(tok.encode_unpadded("a\xff"), tok.encode_unpadded("a\xef\xbf\xbd"));
  // Entities are left alone once a '<' appears (ftfy's "auto" HTML mode).
  EXPECT_EQ(fix("<b>&amp;</b>"), "<b>&amp;</b>");
}

// ftfy behaviour, with the examples of ftfy's own documentation (6.1.1).
TEST(ClipText, FixTextDocumentedExamples) {
  EXPECT_EQ(fix("\u00e2\u0153\u201d No problems"), "\u2714 No problems");
  EXPECT_EQ(fix("&macr;\\_(\u00e3\xc2\x83\xc2\x84)_/&macr;"), "\u00af\\_(\u30c4)_/\u00af");
  EXPECT_EQ(fix("\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33"), "LOUD NOISES");
  EXPECT_EQ(fix("s\u00c3\u00b3"), "s\u00f3");
  EXPECT_EQ(fix("voil\u00c3 le travail"), "voil\u00e0 le travail");
  EXPECT_EQ(fix("\u00c3\u00a0 perturber la r\u00c3\u00a9flexion"), "\u00e0 perturber la r\u00e9flexion");
  EXPECT_EQ(fix("This text should be in \u00e2\u20ac\u0153quotes\u00e2\u20ac\xc2\x9d."),
            "This text should be in \"quotes\".");
  EXPECT_EQ(fix("(\u00e0\u00b8\u2021'\u00e2\u0152\u00a3')\u00e0\u00b8\u2021"), "(\u0e07'\u2323')\u0e07");
  EXPECT_EQ(fix("mojibake: caf\u00c3\u00a9 \u00c3\u00a9t\u00c3\u00a9 \u65e5\u672c"),
            "mojibake: caf\u00e9 \u00e9t\u00e9 \u65e5\u672c");  // inside otherwise valid text
  EXPECT_EQ(fix("&lt;tag&gt;"), "<tag>");
  EXPECT_EQ(fix("&Jscr;ohn &HilbertSpace;ancock"), "\U0001D4A5ohn \u210Bancock");
  EXPECT_EQ(fix("P&EACUTE;REZ"), "P\u00c9REZ");
  EXPECT_EQ(fix("BUNDESSTRA&SZLIG;E"), "BUNDESSTRASSE");
  EXPECT_EQ(fix("&ntilde; &Ntilde; &NTILDE; &nTILDE;"), "\u00f1 \u00d1 \u00d1 &nTILDE;");
  EXPECT_EQ(fix("&amp;amp;"), "&");
  EXPECT_EQ(fix("&#59; &#x41; &#65abc; &#0; &#128;"), "&#59; A &#65abc; \ufffd \u20ac");
  EXPECT_EQ(fix("\ufb02u\ufb03e\ufb06"), "fluffiest");
  EXPECT_EQ(fix("\uff35\uff80\uff70\uff9d"), "U\u30bf\u30fc\u30f3");
  EXPECT_EQ(fix("\x1b[36;44mI'm blue\x1b[0m"), "I'm blue");
  EXPECT_EQ(fix("\u201chere\u2019s a test\u201d"), "\"here's a test\"");
  EXPECT_EQ(fix("caf\u00e9 na\u00efve \u00c5ngstr\u00f6m"), "caf\u00e9 na\u00efve \u00c5ngstr\u00f6m");
  EXPECT_EQ(fix("a\x01\x7f\xef\xbb\xbf" "b\r\nc"), "ab\nc");
}

TEST(ClipTokenizer, ErrorsAreClear) {
  auto missing = ClipTokenizer::load("/nonexistent/tokenizer");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("tokenizer folder not found"), std::string::npos);

  {
    TempDir d;
    d.copy("merges.txt");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("tokenizer files missing: vocab.json"), std::string::npos)
        << r.status().message();
  }
  {
    TempDir d;
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("vocab.json, merges.txt"), std::string::npos) << r.status().message();
    auto f = ClipTokenizer::from_files((d.path / "vocab.json").string(), (d.path / "merges.txt").string());
    ASSERT_FALSE(f.is_ok());
    EXPECT_NE(f.status().message().find("tokenizer files missing"), std::string::npos);
  }
  {
    TempDir d;
    d.write("vocab.json", "{\"a\": 1,");
    d.copy("merges.txt");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
    EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos) << r.status().message();
  }
  {
    TempDir d;
    d.write("vocab.json", "{\"a\": \"one\"}");
    d.copy("merges.txt");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  }
  {
    TempDir d;
    d.copy("vocab.json");
    d.write("merges.txt", "i n\nt h\n");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
    EXPECT_NE(r.status().message().find("'#version' header"), std::string::npos) << r.status().message();
  }
  {
    TempDir d;
    d.copy("vocab.json");
    d.write("merges.txt", "#version: 0.2\ni n\nthree parts here\n");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find(":3: expected two symbols"), std::string::npos) << r.status().message();
  }
  {
    TempDir d;
    d.copy("vocab.json");
    d.copy("merges.txt");
    d.write("tokenizer_config.json", "{\"pad_token\": \"<|not-in-vocab|>\"}");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("special token '<|not-in-vocab|>'"), std::string::npos)
        << r.status().message();
  }
  {
    TempDir d;
    d.copy("vocab.json");
    d.copy("merges.txt");
    d.write("special_tokens_map.json", "[1, 2]");
    auto r = ClipTokenizer::load(d.path.string());
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  }
  auto bad_len = ClipTokenizer::from_files(kTokDir + "/vocab.json", kTokDir + "/merges.txt", "!", 1);
  ASSERT_FALSE(bad_len.is_ok());
  EXPECT_EQ(bad_len.status().code(), StatusCode::kInvalidArgument);
}

// A folder with only the two vocabulary files is an SD 1.x-style tokenizer (pad = end of text).
TEST(ClipTokenizer, FolderWithoutConfigsPadsWithEndOfText) {
  TempDir d;
  d.copy("vocab.json");
  d.copy("merges.txt");
  auto r = ClipTokenizer::load(d.path.string());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->pad_token(), "<|endoftext|>");
  EXPECT_EQ(r->pad_id(), 49407);
  EXPECT_EQ(r->max_length(), 77);
}

TEST(ClipTokenizer, ThreadsShareTheCache) {
  const ClipTokenizer& tok = sd2_tokenizer();
  std::vector<std::string> texts;
  for (const auto& p : vectors()["prompts"]) texts.push_back(p["prompt"]);
  std::vector<std::vector<int64_t>> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      ClipTokenizer copy = tok;  // copies share the vocabulary and the cache
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < texts.size(); ++i) mismatches[w] += copy.encode(texts[i]) != expected[i];
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::accumulate(mismatches.begin(), mismatches.end(), 0), 0);
}

TEST(ClipTokenizer, Speed) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  auto fresh = ClipTokenizer::load(kTokDir);
  double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  ASSERT_TRUE(fresh.is_ok());
  std::vector<std::string> texts;
  for (const auto& p : vectors()["prompts"]) texts.push_back(p["prompt"]);
  // Cold: the first pass fills the BPE cache; warm: repeated prompts, as a server sees them.
  size_t tokens = 0;
  t0 = clock::now();
  for (const auto& t : texts) tokens += fresh->encode_unpadded(t).size();
  double cold_s = std::chrono::duration<double>(clock::now() - t0).count();
  size_t warm_tokens = 0;
  t0 = clock::now();
  for (int rep = 0; rep < 50; ++rep)
    for (const auto& t : texts) warm_tokens += fresh->encode_unpadded(t).size();
  double warm_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("[clip tokenizer] load %.0f ms; cold %.0f tokens/s; warm %.0f tokens/s (%.1f us per prompt)\n", load_ms,
              tokens / cold_s, warm_tokens / warm_s, 1e6 * warm_s / (50.0 * texts.size()));
  EXPECT_GT(warm_tokens, 0u);
}
