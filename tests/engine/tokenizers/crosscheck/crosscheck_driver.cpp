// Cross-check driver for clip_crosscheck.py: reads a JSON array of strings on stdin, prints what
// pictor's CLIP text functions and tokenizer make of each (see clip_crosscheck.py for the build line).
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include "engine/tokenizers/clip_text.h"
#include "engine/tokenizers/clip_tokenizer.h"
using namespace pictor::engine;
namespace ct = pictor::engine::clip_text;
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto tok = ClipTokenizer::load(argv[1]);
  if (!tok.is_ok()) return 1;
  std::string in((std::istreambuf_iterator<char>(std::cin)), {});
  auto arr = nlohmann::json::parse(in);
  nlohmann::json out = nlohmann::json::array();
  for (auto& s : arr) {
    std::string text = s;
    auto u = ct::decode_utf8(text);
    nlohmann::json r;
    r["nfc"] = ct::encode_utf8(ct::nfc(u));
    r["lower"] = ct::encode_utf8(ct::lowercase(u));
    r["ws"] = ct::encode_utf8(ct::whitespace_clean(u));
    r["fix_same"] = ct::fix_text(u) == u;
    r["tokens"] = tok->tokens(text);
    out.push_back(r);
  }
  std::cout << out.dump() << "\n";
}
