#pragma once
// WordTokenizer: pictor-mini's closed-vocabulary tokenizer. Words follow world::tokenize_words
// (split on whitespace/punctuation, lowercase except single capital letters, which are glyphs).
// Ids: 0 = padding, 1 = start (always present, so an empty prompt is [start]), 2 = unknown word,
// 3.. = vocabulary words. Unknown words are reported, never an error.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace pictor::engine {

struct TokenizedPrompt {
  std::vector<int64_t> ids;                // exactly max_length ids, padded with 0
  int length = 0;                          // ids before the padding
  std::vector<std::string> unknown_words;  // in prompt order, without repeats
  bool truncated = false;                  // the prompt had more words than fit
};

class WordTokenizer {
 public:
  static constexpr int64_t kPad = 0, kStart = 1, kUnknown = 2, kFirstWord = 3;

  WordTokenizer(std::vector<std::string> vocabulary, int max_length);
  TokenizedPrompt encode(const std::string& text) const;
  int64_t vocab_size() const { return kFirstWord + int64_t(words_.size()); }
  int max_length() const { return max_length_; }
  const std::vector<std::string>& words() const { return words_; }

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> ids_;
  int max_length_;
};

}  // namespace pictor::engine
