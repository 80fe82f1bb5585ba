// pictor-mini's word tokenizer (world::tokenize_words and the closed vocabulary) on any bytes.
#include "engine/tokenizers/word_tokenizer.h"
#include "fuzz_check.h"
#include "world/captions.h"

using namespace pictor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // pictor-mini's default max_tokens (engine/models/pictor_mini.h).
  static const engine::WordTokenizer tok(world::vocabulary(), 40);
  const engine::TokenizedPrompt p = tok.encode(std::string(fuzz::as_text(data, size)));
  fuzz::check(int(p.ids.size()) == tok.max_length(), "not max_length ids");
  fuzz::check(p.ids[0] == engine::WordTokenizer::kStart, "no start id");
  fuzz::check(p.length >= 1 && p.length <= tok.max_length(), "length out of range");
  for (int i = 0; i < tok.max_length(); ++i) {
    const int64_t id = p.ids[size_t(i)];
    fuzz::check(id >= 0 && id < tok.vocab_size(), "id outside the vocabulary");
    fuzz::check((i < p.length) == (id != engine::WordTokenizer::kPad), "padding inside the prompt or ids after it");
  }
  for (const auto& w : p.unknown_words) fuzz::check(!w.empty(), "an empty unknown word");
  return 0;
}
