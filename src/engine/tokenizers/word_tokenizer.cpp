#include "engine/tokenizers/word_tokenizer.h"

#include <algorithm>

#include "world/captions.h"

namespace pictor::engine {

WordTokenizer::WordTokenizer(std::vector<std::string> vocabulary, int max_length)
    : words_(std::move(vocabulary)), max_length_(max_length) {
  for (size_t i = 0; i < words_.size(); ++i) ids_.emplace(words_[i], kFirstWord + int64_t(i));
}

TokenizedPrompt WordTokenizer::encode(const std::string& text) const {
  TokenizedPrompt out;
  out.ids.assign(size_t(max_length_), kPad);
  out.ids[0] = kStart;
  int n = 1;
  for (const std::string& w : world::tokenize_words(text)) {
    auto it = ids_.find(w);
    int64_t id = it == ids_.end() ? kUnknown : it->second;
    if (id == kUnknown &&
        std::find(out.unknown_words.begin(), out.unknown_words.end(), w) == out.unknown_words.end())
      out.unknown_words.push_back(w);
    if (n < max_length_) out.ids[size_t(n++)] = id;
    else out.truncated = true;
  }
  out.length = n;
  return out;
}

}  // namespace pictor::engine
