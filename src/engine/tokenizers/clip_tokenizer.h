#pragma once
// ClipTokenizer: the CLIP byte-level BPE tokenizer of Stable Diffusion's text encoders, without
// torch. It reproduces transformers' CLIPTokenizer (the slow one that diffusers' pipelines name,
// with ftfy installed) id for id: see docs/models/clip-tokenizer.md for the behaviour, what is and
// is not covered, and the parity check against tests/fixtures/sd-tiny-A/tokenizer_vectors.json.
//
//   auto tok = ClipTokenizer::load("sd-turbo/tokenizer");  // vocab.json, merges.txt, configs
//   std::vector<int64_t> ids = tok->encode("a photo of an astronaut");  // 77 ids
//
// encode() is const and thread-safe (the BPE cache is shared and locked); copies share the data.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::engine {

class ClipTokenizer {
 public:
  static constexpr const char* kStartOfText = "<|startoftext|>";
  static constexpr const char* kEndOfText = "<|endoftext|>";

  // A diffusers/transformers tokenizer folder: vocab.json and merges.txt, and optionally
  // special_tokens_map.json / tokenizer_config.json, which give the pad token ("!" in SD 2.x,
  // "<|endoftext|>" in SD 1.x), the other special tokens, added tokens and model_max_length.
  static Result<ClipTokenizer> load(const std::string& dir);
  // The two vocabulary files with explicit settings (bos <|startoftext|>, eos/unk <|endoftext|>).
  static Result<ClipTokenizer> from_files(const std::string& vocab_path, const std::string& merges_path,
                                          const std::string& pad_token = kEndOfText, int max_length = 77);

  // What a pipeline feeds the text encoder: <|startoftext|>, the text's tokens (at most
  // max_length - 2 of them: truncation keeps <|endoftext|> last), <|endoftext|>, then pad_id()
  // up to exactly max_length ids.
  std::vector<int64_t> encode(const std::string& text) const;
  // <|startoftext|>, every token of the text, <|endoftext|>: no truncation and no padding.
  std::vector<int64_t> encode_unpadded(const std::string& text) const;
  // The token strings of encode_unpadded (byte-level BPE strings, "</w>" ending a word).
  std::vector<std::string> tokens(const std::string& text) const;
  // How many text tokens encode() keeps: max_length() - 2.
  int max_text_tokens() const { return max_length() - 2; }

  int64_t bos_id() const;
  int64_t eos_id() const;
  int64_t pad_id() const;
  int max_length() const;
  int64_t vocab_size() const;     // entries of vocab.json
  const std::string& pad_token() const;

  struct Impl;

 private:
  explicit ClipTokenizer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace pictor::engine
