// Parsing and matching of the category keyword lists (see category_keywords.h).
#include <map>

#include "arena/axes/category_keywords.h"
#include "arena/axes/text_fold.h"

namespace pictor::arena {
namespace {

std::vector<Keyword> parse(const char* src) {
  std::vector<Keyword> out;
  std::string_view s(src);
  std::string tag;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find_first_of(",;", start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view entry = s.substr(start, end - start);
    if (const auto colon = entry.find(':'); colon != std::string_view::npos) {
      tag = std::string(entry.substr(0, colon));
      tag.erase(0, tag.find_first_not_of(' '));
      entry = entry.substr(colon + 1);
    }
    std::string raw(entry);
    raw.erase(0, raw.find_first_not_of(' '));
    while (!raw.empty() && raw.back() == ' ') raw.pop_back();
    if (!raw.empty()) {
      Keyword kw;
      kw.tag = tag;
      if (raw.back() == '*') {
        kw.prefix = true;
        raw.pop_back();
      }
      std::string folded = fold_text(raw);  // " word "
      kw.text = folded.size() >= 2 ? folded.substr(1, folded.size() - 2) : std::string();
      std::size_t i = 0;
      while (i < raw.size()) {
        const Script sc = script_of(next_code_point(raw, i));
        if (sc == Script::kArabic || sc == Script::kHebrew || sc == Script::kDevanagari ||
            sc == Script::kThai || sc == Script::kHan || sc == Script::kKana ||
            sc == Script::kHangul)
          kw.substring = true;
      }
      if (!kw.text.empty()) out.push_back(std::move(kw));
    }
    if (end < s.size() && s[end] == ';') tag.clear();
    start = end + 1;
  }
  return out;
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace

std::vector<Match> find_matches(std::string_view t, const Keyword& kw) {
  std::vector<Match> out;
  if (kw.substring) {
    for (std::size_t p = t.find(kw.text); p != std::string_view::npos; p = t.find(kw.text, p + 1))
      out.push_back({p, kw.text.size()});
    return out;
  }
  // English plurals: "cat" finds "cats", "box" finds "boxes", "puppy" finds "puppies".
  const bool plural = !kw.prefix && is_ascii(kw.text) && kw.text.size() >= 2;
  const bool y_stem = plural && kw.text.back() == 'y';
  const std::string stem = " " + (y_stem ? kw.text.substr(0, kw.text.size() - 1) : kw.text);
  static const char* const kTails[] = {" ", "s ", "es "};
  static const char* const kYTails[] = {"y ", "ys ", "ies "};
  for (std::size_t p = t.find(stem); p != std::string_view::npos; p = t.find(stem, p + 1)) {
    const std::size_t end = p + stem.size();
    if (kw.prefix) {
      const std::size_t word_end = t.find(' ', end);
      out.push_back({p + 1, (word_end == std::string_view::npos ? t.size() : word_end) - p - 1});
      continue;
    }
    const auto& tails = y_stem ? kYTails : kTails;
    const int n_tails = plural ? 3 : 1;
    for (int k = 0; k < n_tails; ++k) {
      const std::string_view tail = tails[k];
      if (t.substr(end, tail.size()) == tail) {
        out.push_back({p + 1, stem.size() - 1 + tail.size() - 1});
        break;
      }
    }
  }
  return out;
}

bool contains_any(std::string_view t, const std::vector<Keyword>& list) {
  for (const Keyword& kw : list)
    if (!find_matches(t, kw).empty()) return true;
  return false;
}

const std::vector<Keyword>& keywords(List list) {
  static const auto kLists = [] {
    std::map<List, std::vector<Keyword>> lists;
    for (int l = 0; l <= static_cast<int>(List::kObjectsWeak); ++l) {
      const List id = static_cast<List>(l);
      const char* src = keyword_source(id);
      lists[id] = src ? parse(src) : std::vector<Keyword>{};
    }
    return lists;
  }();
  return kLists.at(list);
}

}  // namespace pictor::arena
