// The CLIP BPE tokenizer (Stable Diffusion prompts) on any bytes: invalid UTF-8, mojibake, HTML
// entities, control characters. Vocabulary: the tiny SD fixture's (the full CLIP vocabulary).
#include "engine/tokenizers/clip_tokenizer.h"
#include "fuzz_check.h"

using namespace pictor;

namespace {
const engine::ClipTokenizer* g_tokenizer = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto tok = engine::ClipTokenizer::load(PICTOR_SOURCE_DIR "/tests/fixtures/sd-tiny-A/tokenizer");
  fuzz::check(tok.is_ok(), "loading the fixture tokenizer: " + (tok.is_ok() ? "" : tok.status().message()));
  g_tokenizer = new engine::ClipTokenizer(*tok);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const engine::ClipTokenizer& tok = *g_tokenizer;
  const std::string text(fuzz::as_text(data, size));
  const std::vector<int64_t> ids = tok.encode(text);
  fuzz::check(int(ids.size()) == tok.max_length(), "encode() is not max_length ids");
  fuzz::check(ids.front() == tok.bos_id(), "encode() does not start with <|startoftext|>");
  for (int64_t id : ids) fuzz::check(id >= 0 && id < tok.vocab_size(), "id outside the vocabulary");
  const std::vector<int64_t> all = tok.encode_unpadded(text);
  fuzz::check(all.size() >= 2 && all.back() == tok.eos_id(), "encode_unpadded() does not end with <|endoftext|>");
  fuzz::check(tok.tokens(text).size() == all.size(), "tokens() and encode_unpadded() disagree");
  return 0;
}
