// CLIP BPE tokenizer (see clip_tokenizer.h and docs/models/clip-tokenizer.md).
//
// Pipeline, as transformers' CLIPTokenizer.tokenize runs it:
//   1. split the text on the added tokens (<|startoftext|>, <|endoftext|>, the pad token, ...);
//   2. every other chunk: ftfy.fix_text, whitespace cleanup, lowercase (clip_text.h);
//   3. the CLIP pre-tokeniser pattern:
//        <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | letters+ | one number | symbols+
//   4. byte-level BPE of each piece (bytes mapped to printable characters, "</w>" on the last one,
//      merges applied lowest rank first), with a cache.
#include "engine/tokenizers/clip_tokenizer.h"

#include <algorithm>
#include <array>
#include <climits>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "engine/tokenizers/clip_text.h"

namespace pictor::engine {
namespace fs = std::filesystem;
using clip_text::PretokClass;

namespace {

// transformers reads merges.txt lines [1, 49152 - 256 - 2 + 1): the header, then at most 48894 merges.
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr size_t kCacheLimit = 1 << 16;  // BPE cache entries before it starts over

struct AddedToken {
  std::u32string content;
  std::string text;
  int64_t id = 0;
  bool lstrip = false, rstrip = false;
};

struct SpecialTokens {
  std::string bos = ClipTokenizer::kStartOfText, eos = ClipTokenizer::kEndOfText,
              unk = ClipTokenizer::kEndOfText, pad = ClipTokenizer::kEndOfText;
  std::unordered_map<std::string, std::pair<bool, bool>> strip;  // content -> (lstrip, rstrip)
  std::vector<std::pair<std::string, int64_t>> added;             // added_tokens_decoder
};

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("cannot read " + path.string());
  return ss.str();
}

Result<nlohmann::json> read_json(const fs::path& path) {
  auto text = read_file(path);
  if (!text.is_ok()) return text.status();
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    return corrupt_data("malformed JSON in " + path.string() + ": " + e.what());
  }
}

// The GPT-2/CLIP byte encoder: printable Latin-1 bytes stand for themselves, the other 68 bytes
// take the code points from U+0100 on, in byte order.
std::array<std::string, 256> byte_strings() {
  std::array<std::string, 256> out;
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    char32_t cp = printable ? char32_t(b) : char32_t(256 + next++);
    clip_text::append_utf8(out[b], cp);
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\f\v"), e = s.find_last_not_of(" \t\r\n\f\v");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// A special-token entry: "text" or {"content": "text", "lstrip": ..., "rstrip": ...}.
Status read_token(const nlohmann::json& j, const char* key, const std::string& file, std::string* out,
                  SpecialTokens* st) {
  if (!j.contains(key) || j[key].is_null()) return Status::ok();
  const nlohmann::json& v = j[key];
  if (v.is_string()) {
    *out = v.get<std::string>();
  } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    *out = v["content"].get<std::string>();
    st->strip[*out] = {v.value("lstrip", false), v.value("rstrip", false)};
  } else {
    return corrupt_data(file + ": '" + key + "' is neither a string nor a token object");
  }
  return Status::ok();
}

// The four special tokens, as both tokenizer_config.json and special_tokens_map.json name them.
Status read_special_tokens(const nlohmann::json& j, const std::string& file, SpecialTokens* st) {
  for (auto [key, out] : {std::pair{"bos_token", &st->bos}, {"eos_token", &st->eos}, {"unk_token", &st->unk},
                          {"pad_token", &st->pad}})
    PICTOR_RETURN_IF_ERROR(read_token(j, key, file, out, st));
  return Status::ok();
}

Status read_tokenizer_config(const fs::path& path, SpecialTokens* st, int* max_length) {
  auto j = read_json(path);
  if (!j.is_ok()) return j.status();
  if (!j->is_object()) return corrupt_data(path.string() + " is not a JSON object");
  const std::string file = path.filename().string();
  PICTOR_RETURN_IF_ERROR(read_special_tokens(*j, file, st));
  if (j->contains("model_max_length") && (*j)["model_max_length"].is_number()) {
    double m = (*j)["model_max_length"].get<double>();
    // Configs without a real limit say 1e30 (transformers' VERY_LARGE_INTEGER): keep 77 then.
    if (m >= 2 && m <= 1e6) *max_length = int(m);
  }
  if (j->contains("added_tokens_decoder")) {
    const nlohmann::json& dec = (*j)["added_tokens_decoder"];
    if (!dec.is_object()) return corrupt_data(file + ": 'added_tokens_decoder' is not an object");
    for (auto it = dec.begin(); it != dec.end(); ++it) {
      int64_t id;
      try {
        size_t used = 0;
        id = std::stoll(it.key(), &used);
        if (used != it.key().size()) throw std::invalid_argument("id");
      } catch (const std::exception&) {
        return corrupt_data(file + ": added token id '" + it.key() + "' is not a number");
      }
      const nlohmann::json& t = it.value();
      if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
        return corrupt_data(file + ": added token " + it.key() + " has no 'content'");
      std::string content = t["content"].get<std::string>();
      st->added.emplace_back(content, id);
      st->strip[content] = {t.value("lstrip", false), t.value("rstrip", false)};
    }
  }
  return Status::ok();
}

Status read_special_tokens_map(const fs::path& path, SpecialTokens* st) {
  auto j = read_json(path);
  if (!j.is_ok()) return j.status();
  if (!j->is_object()) return corrupt_data(path.string() + " is not a JSON object");
  return read_special_tokens(*j, path.filename().string(), st);
}

bool is_py_space(char32_t c) { return clip_text::is_py_space(c); }

}  // namespace

struct ClipTokenizer::Impl {
  std::unordered_map<std::string, int64_t> vocab;
  int64_t bos = 0, eos = 0, pad = 0, unk = 0;
  std::string pad_token, bos_text, eos_text;
  int max_length = 77;
  std::vector<AddedToken> added;  // longest first
  std::unordered_map<std::string, int64_t> added_ids;

  // BPE symbols: every string a merge can produce, interned; sym_id is its token id.
  std::vector<std::string> sym_text;
  std::vector<int64_t> sym_id;
  std::unordered_map<std::string, int32_t> sym_index;
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;  // (left, right) -> (rank, merged)
  int32_t byte_sym[256] = {}, byte_end_sym[256] = {};
  int32_t bos_sym = 0, eos_sym = 0;

  mutable std::mutex cache_mu;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;

  int32_t intern(const std::string& s) {
    auto [it, inserted] = sym_index.emplace(s, int32_t(sym_text.size()));
    if (inserted) {
      sym_text.push_back(s);
      auto a = added_ids.find(s);
      auto v = vocab.find(s);
      sym_id.push_back(a != added_ids.end() ? a->second : v != vocab.end() ? v->second : unk);
    }
    return it->second;
  }

  static uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

  std::vector<int32_t> bpe_uncached(const std::string& piece) const {
    std::vector<int32_t> word;
    word.reserve(piece.size());
    for (size_t i = 0; i < piece.size(); ++i) {
      auto b = static_cast<unsigned char>(piece[i]);
      word.push_back(i + 1 == piece.size() ? byte_end_sym[b] : byte_sym[b]);
    }
    std::vector<int32_t> next;
    while (word.size() > 1) {
      int32_t best_rank = INT32_MAX, merged = -1;
      size_t best = 0;
      for (size_t j = 0; j + 1 < word.size(); ++j) {
        auto it = merges.find(key(word[j], word[j + 1]));
        if (it != merges.end() && it->second.first < best_rank) {
          best_rank = it->second.first, merged = it->second.second, best = j;
        }
      }
      if (merged < 0) break;
      int32_t a = word[best], b = word[best + 1];
      next.clear();
      for (size_t i = 0; i < word.size();) {
        if (i + 1 < word.size() && word[i] == a && word[i + 1] == b) {
          next.push_back(merged);
          i += 2;
        } else {
          next.push_back(word[i++]);
        }
      }
      word.swap(next);
    }
    return word;
  }

  void bpe(const std::string& piece, std::vector<int32_t>* out) const {
    // The reference's cache starts with the two markers, which therefore stay whole.
    if (piece == kStartOfText || piece == kEndOfText) {
      out->push_back(piece == kStartOfText ? bos_sym : eos_sym);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(cache_mu);
      auto it = cache.find(piece);
      if (it != cache.end()) {
        out->insert(out->end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int32_t> syms = bpe_uncached(piece);
    out->insert(out->end(), syms.begin(), syms.end());
    std::lock_guard<std::mutex> lock(cache_mu);
    if (cache.size() >= kCacheLimit) cache.clear();
    cache.emplace(piece, std::move(syms));
  }

  // Literal of the pattern at t[i] (IGNORECASE: in lowercased text 's' also matches U+017F).
  static size_t match_literal(const std::u32string& t, size_t i, const char* lit) {
    size_t n = std::char_traits<char>::length(lit);
    if (i + n > t.size()) return 0;
    for (size_t k = 0; k < n; ++k) {
      char32_t c = t[i + k];
      if (c != char32_t(lit[k]) && !(lit[k] == 's' && c == 0x17F)) return 0;
    }
    return n;
  }

  // Steps 2-4 for one chunk of text that holds no added token.
  void encode_chunk(std::u32string_view chunk, std::vector<int32_t>* out) const {
    std::u32string t = clip_text::lowercase(clip_text::whitespace_clean(clip_text::fix_text(chunk)));
    std::string piece;
    for (size_t i = 0; i < t.size();) {
      size_t n = 0;
      if (t[i] == U'<') {
        n = match_literal(t, i, kStartOfText);
        if (!n) n = match_literal(t, i, kEndOfText);
      } else if (t[i] == U'\'') {
        for (const char* c : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"})
          if ((n = match_literal(t, i, c))) break;
      }
      if (!n) {
        PretokClass cls = clip_text::pretok_class(t[i]);
        if (cls == clip_text::kSkip) {
          ++i;
          continue;
        }
        n = 1;
        if (cls != clip_text::kNumber)
          while (i + n < t.size() && clip_text::pretok_class(t[i + n]) == cls) ++n;
      }
      piece.clear();
      for (size_t k = i; k < i + n; ++k) clip_text::append_utf8(piece, t[k]);
      bpe(piece, out);
      i += n;
    }
  }

  // The whole text: step 1, then each chunk. Added tokens come out as -1 - (index in `added`).
  std::vector<int32_t> encode_symbols(const std::string& text) const {
    std::u32string u = clip_text::decode_utf8(text);
    struct Chunk {
      std::u32string_view text;
      int added = -1;
    };
    std::vector<Chunk> chunks;
    size_t start = 0;
    for (size_t i = 0; i < u.size();) {
      int hit = -1;
      for (size_t a = 0; a < added.size() && hit < 0; ++a) {
        const std::u32string& c = added[a].content;
        if (!c.empty() && u.compare(i, c.size(), c) == 0) hit = int(a);
      }
      if (hit < 0) {
        ++i;
        continue;
      }
      if (i > start) chunks.push_back({std::u32string_view(u).substr(start, i - start)});
      chunks.push_back({std::u32string_view(added[hit].content), hit});
      i += added[hit].content.size();
      start = i;
    }
    if (start < u.size()) chunks.push_back({std::u32string_view(u).substr(start)});
    // lstrip / rstrip of added tokens eat the whitespace beside them.
    for (size_t k = 0; k < chunks.size(); ++k) {
      if (chunks[k].added < 0) continue;
      const AddedToken& tok = added[chunks[k].added];
      if (tok.rstrip && k + 1 < chunks.size() && chunks[k + 1].added < 0) {
        auto& r = chunks[k + 1].text;
        while (!r.empty() && is_py_space(r.front())) r.remove_prefix(1);
      }
      if (tok.lstrip && k > 0 && chunks[k - 1].added < 0) {
        auto& l = chunks[k - 1].text;
        while (!l.empty() && is_py_space(l.back())) l.remove_suffix(1);
      }
    }
    std::vector<int32_t> out;
    for (const Chunk& c : chunks) {
      if (c.added >= 0) {
        out.push_back(-1 - c.added);
      } else if (!c.text.empty()) {
        encode_chunk(c.text, &out);
      }
    }
    return out;
  }

  int64_t id_of(int32_t sym) const { return sym < 0 ? added[-1 - sym].id : sym_id[sym]; }

  static ClipTokenizer wrap(std::shared_ptr<Impl> impl) { return ClipTokenizer(std::move(impl)); }
};

Result<ClipTokenizer> load_impl(const fs::path& vocab_path, const fs::path& merges_path, SpecialTokens st,
                                int max_length) {
  if (max_length < 2) return invalid_argument("max_length must be at least 2, got " + std::to_string(max_length));
  auto impl = std::make_shared<ClipTokenizer::Impl>();
  impl->max_length = max_length;

  auto vj = read_json(vocab_path);
  if (!vj.is_ok()) return vj.status();
  if (!vj->is_object() || vj->empty())
    return corrupt_data(vocab_path.string() + " is not a JSON object of token -> id");
  for (auto it = vj->begin(); it != vj->end(); ++it) {
    if (!it.value().is_number_integer())
      return corrupt_data(vocab_path.string() + ": the id of token '" + it.key() + "' is not an integer");
    impl->vocab[it.key()] = it.value().get<int64_t>();
  }
  auto vocab_id = [&](const std::string& token) -> Result<int64_t> {
    auto it = impl->vocab.find(token);
    if (it == impl->vocab.end()) return corrupt_data("special token '" + token + "' is not in " + vocab_path.string());
    return it->second;
  };
  for (auto [name, out] : {std::pair{&st.bos, &impl->bos}, {&st.eos, &impl->eos}, {&st.unk, &impl->unk},
                           {&st.pad, &impl->pad}}) {
    auto id = vocab_id(*name);
    if (!id.is_ok()) return id.status();
    *out = *id;
  }
  impl->pad_token = st.pad;
  impl->bos_text = st.bos;
  impl->eos_text = st.eos;

  // Added tokens: those the config lists, plus the special tokens (transformers adds them too).
  std::vector<std::pair<std::string, int64_t>> added = st.added;
  for (const std::string* s : {&st.bos, &st.eos, &st.unk, &st.pad}) added.emplace_back(*s, impl->vocab[*s]);
  for (auto& [content, id] : added) {
    if (impl->added_ids.count(content)) continue;
    impl->added_ids[content] = id;
    AddedToken t;
    t.text = content;
    t.content = clip_text::decode_utf8(content);
    t.id = id;
    if (auto s = st.strip.find(content); s != st.strip.end()) t.lstrip = s->second.first, t.rstrip = s->second.second;
    impl->added.push_back(std::move(t));
  }
  std::stable_sort(impl->added.begin(), impl->added.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });

  auto bytes = byte_strings();
  for (int b = 0; b < 256; ++b) {
    impl->byte_sym[b] = impl->intern(bytes[b]);
    impl->byte_end_sym[b] = impl->intern(bytes[b] + "</w>");
  }
  impl->bos_sym = impl->intern(ClipTokenizer::kStartOfText);
  impl->eos_sym = impl->intern(ClipTokenizer::kEndOfText);

  auto merges_text = read_file(merges_path);
  if (!merges_text.is_ok()) return merges_text.status();
  std::istringstream lines(trim(*merges_text));
  std::string line;
  std::getline(lines, line);
  if (line.rfind("#version", 0) != 0)
    return corrupt_data(merges_path.string() + " does not start with the '#version' header line (found '" +
                        line.substr(0, 40) + "')");
  size_t rank = 0, line_no = 1;
  while (rank < kMaxMerges && std::getline(lines, line)) {
    ++line_no;
    std::istringstream parts(line);
    std::string a, b, extra;
    if (!(parts >> a >> b) || (parts >> extra))
      return corrupt_data(merges_path.string() + ":" + std::to_string(line_no) + ": expected two symbols, found '" +
                          trim(line) + "'");
    int32_t sa = impl->intern(a), sb = impl->intern(b), merged = impl->intern(a + b);
    impl->merges[ClipTokenizer::Impl::key(sa, sb)] = {int32_t(rank++), merged};  // a repeat: the last wins
  }
  if (rank == 0) return corrupt_data(merges_path.string() + " holds no merges");
  return ClipTokenizer::Impl::wrap(std::move(impl));
}

Result<ClipTokenizer> ClipTokenizer::from_files(const std::string& vocab_path, const std::string& merges_path,
                                                const std::string& pad_token, int max_length) {
  std::vector<std::string> missing;
  for (const std::string& p : {vocab_path, merges_path})
    if (!fs::is_regular_file(p)) missing.push_back(p);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return not_found("tokenizer files missing: " + list);
  }
  SpecialTokens st;
  st.pad = pad_token;
  return load_impl(vocab_path, merges_path, st, max_length);
}

Result<ClipTokenizer> ClipTokenizer::load(const std::string& dir) {
  fs::path d(dir);
  std::error_code ec;
  if (!fs::exists(d, ec)) return not_found("tokenizer folder not found: " + dir);
  if (!fs::is_directory(d, ec)) return invalid_argument("tokenizer path is not a folder: " + dir);
  std::string missing;
  for (const char* f : {"vocab.json", "merges.txt"})
    if (!fs::is_regular_file(d / f, ec)) missing += std::string(missing.empty() ? "" : ", ") + f;
  if (!missing.empty()) return not_found("tokenizer files missing: " + missing + " (in " + dir + ")");

  SpecialTokens st;
  int max_length = 77;
  if (fs::is_regular_file(d / "tokenizer_config.json", ec))
    PICTOR_RETURN_IF_ERROR(read_tokenizer_config(d / "tokenizer_config.json", &st, &max_length));
  if (fs::is_regular_file(d / "special_tokens_map.json", ec))  // overrides the config, as in transformers
    PICTOR_RETURN_IF_ERROR(read_special_tokens_map(d / "special_tokens_map.json", &st));
  return load_impl(d / "vocab.json", d / "merges.txt", st, max_length);
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<int32_t> syms = impl_->encode_symbols(text);
  size_t keep = std::min(syms.size(), size_t(impl_->max_length - 2));
  std::vector<int64_t> ids;
  ids.reserve(impl_->max_length);
  ids.push_back(impl_->bos);
  for (size_t i = 0; i < keep; ++i) ids.push_back(impl_->id_of(syms[i]));
  ids.push_back(impl_->eos);
  ids.resize(impl_->max_length, impl_->pad);
  return ids;
}

std::vector<int64_t> ClipTokenizer::encode_unpadded(const std::string& text) const {
  std::vector<int32_t> syms = impl_->encode_symbols(text);
  std::vector<int64_t> ids;
  ids.reserve(syms.size() + 2);
  ids.push_back(impl_->bos);
  for (int32_t s : syms) ids.push_back(impl_->id_of(s));
  ids.push_back(impl_->eos);
  return ids;
}

std::vector<std::string> ClipTokenizer::tokens(const std::string& text) const {
  std::vector<int32_t> syms = impl_->encode_symbols(text);
  std::vector<std::string> out;
  out.reserve(syms.size() + 2);
  out.push_back(impl_->bos_text);
  for (int32_t s : syms) out.push_back(s < 0 ? impl_->added[-1 - s].text : impl_->sym_text[s]);
  out.push_back(impl_->eos_text);
  return out;
}

int64_t ClipTokenizer::bos_id() const { return impl_->bos; }
int64_t ClipTokenizer::eos_id() const { return impl_->eos; }
int64_t ClipTokenizer::pad_id() const { return impl_->pad; }
int ClipTokenizer::max_length() const { return impl_->max_length; }
int64_t ClipTokenizer::vocab_size() const { return int64_t(impl_->vocab.size()); }
const std::string& ClipTokenizer::pad_token() const { return impl_->pad_token; }

}  // namespace pictor::engine
