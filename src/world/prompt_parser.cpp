// parse_prompt(): a prompt of the scenes world → SceneSpec. One left-to-right scan over the words
// (tokenize_words) reads backgrounds, total counts, relations, regions, "N times" and noun phrases
// into a list of events; relations then link the noun phrases next to them, definite phrases in a
// relation resolve to objects already introduced, and the spec is built and laid out.
#include "world/prompt_parser.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "core/utf8.h"
#include "world/captions.h"
#include "world/facts.h"
#include "world/prompt_lexicon.h"

namespace pictor::world {
namespace {

using lexicon::at;
using lexicon::is;
using lexicon::Words;

struct NounPhrase {
  Object object;
  ObjectMention mention{false, false, false};
  Region region = Region::kCentre;
  int count = 1;
  bool count_stated = false;  // "two", "2", "copies of", "twice"
  bool definite = false;      // "the ..." (a reference when in a relation and seen before)
  bool in_relation = false;
  int refers_to = -1;         // the earlier phrase this one names again
  std::vector<int> objects;   // indices into the spec's objects
};

enum class EventKind { kPhrase, kRelation, kRelationIt };
struct Event {
  EventKind kind;
  int phrase = -1;  // kPhrase
  Relation relation = Relation::kLeftOf;
};

class Parser {
 public:
  explicit Parser(Words words) : w_(std::move(words)) {}
  ParsedPrompt run();

 private:
  bool try_background();
  bool try_total_count();
  bool try_relation();
  bool try_region();
  bool try_times();
  bool try_phrase();
  void unknown(size_t i) { out_.unknown_words.push_back(w_[i]); }
  NounPhrase* last_phrase() {
    return !events_.empty() && events_.back().kind == EventKind::kPhrase
               ? &phrases_[size_t(events_.back().phrase)]
               : nullptr;
  }
  void link_relations();
  void resolve_and_build();

  Words w_;
  size_t pos_ = 0;
  std::vector<NounPhrase> phrases_;
  std::vector<Event> events_;
  std::optional<Region> pending_region_;  // "at the top left, a red star"
  int stated_total_ = -1;
  bool count_marker_ = false;
  bool background_stated_ = false;
  Background background_;
  std::vector<std::array<int, 3>> links_;  // {left phrase, right phrase, relation}
  std::map<int, int> it_antecedent_;        // phrase X of "... X to its left" → what "it" was
  ParsedPrompt out_;
};

bool Parser::try_background() {
  using namespace lexicon;
  size_t j = pos_;
  if (is(w_, j, {"on", "against"})) ++j;
  std::optional<Background> bg;
  std::string bad;
  if (at(w_, j) == "the" && is(w_, j + 1, {"background", "backdrop"})) {
    j += 2;
    if (at(w_, j) == "fades") {
      bg = gradient_from(w_, ++j, GradientDirection::kNone, bad);
    } else {
      if (at(w_, j) == "is") ++j;
      else if (at(w_, j) == "should" && at(w_, j + 1) == "be") j += 2;
      if (at(w_, j) == "plain") ++j;
      if (auto c = background_colour_at(w_, j, bad)) {
        bg = Background{*c, *c, GradientDirection::kNone};
      } else {
        if (is(w_, j, {"a", "an"})) ++j;
        bg = gradient_at(w_, j, bad);
      }
    }
  } else {
    if (is(w_, j, {"a", "an"})) ++j;
    if (at(w_, j) == "plain") ++j;
    size_t k = j;
    std::string bad_colour;
    auto c = background_colour_at(w_, k, bad_colour);
    if ((c || !bad_colour.empty()) && is(w_, k, {"background", "backdrop"})) {
      if (c) bg = Background{*c, *c, GradientDirection::kNone};
      bad = bad_colour;
      j = k + 1;
    } else {
      bg = gradient_at(w_, j, bad);
    }
  }
  if (!bg && bad.empty()) return false;
  if (bg) {
    if (background_stated_ && !(*bg == background_))
      out_.warnings.push_back("two different backgrounds");
    background_stated_ = true;
    background_ = *bg;
  } else {
    out_.unknown_words.push_back(bad);  // "on a red background": not a background colour
  }
  pos_ = j;
  return true;
}

bool Parser::try_total_count() {
  using namespace lexicon;
  size_t len = 0;
  for (const char* p : {"a total of", "nothing else", "in total", "in all", "altogether", "exactly",
                        "only", "just"}) {
    if ((len = phrase_at(w_, pos_, p))) break;
  }
  if (len) {
    count_marker_ = true;
    pos_ += len;
    return true;
  }
  if (auto n = count_at(w_, pos_); n && is_total_noun(at(w_, pos_ + 1))) {
    if (stated_total_ >= 0 && stated_total_ != *n)
      out_.warnings.push_back("two different totals");
    stated_total_ = *n;
    count_marker_ = true;
    pos_ += 2;
    return true;
  }
  return false;
}

bool Parser::try_relation() {
  bool it = false;
  Relation r;
  if (size_t len = lexicon::relation_at(w_, pos_, r, it)) {
    events_.push_back({it ? EventKind::kRelationIt : EventKind::kRelation, -1, r});
    pos_ += len;
    return true;
  }
  return false;
}

bool Parser::try_region() {
  Region r;
  const size_t len = lexicon::region_at(w_, pos_, r);
  if (!len) return false;
  NounPhrase* np = last_phrase();
  if (np && !np->mention.region) {
    np->mention.region = true;
    np->region = r;
  } else if (!pending_region_) {
    pending_region_ = r;
  } else {
    out_.warnings.push_back("a region phrase without an object");
  }
  pos_ += len;
  return true;
}

bool Parser::try_times() {
  int n = 0;
  size_t len = 1;
  if (at(w_, pos_) == "once") n = 1;
  else if (at(w_, pos_) == "twice") n = 2;
  else if (at(w_, pos_) == "thrice") n = 3;
  else if (auto c = lexicon::count_at(w_, pos_); c && at(w_, pos_ + 1) == "times") n = *c, len = 2;
  if (!n) return false;
  NounPhrase* np = last_phrase();
  if (np && !np->count_stated) {
    np->count = n;
    np->count_stated = true;
  } else {
    for (size_t k = 0; k < len; ++k) unknown(pos_ + k);
  }
  pos_ += len;
  return true;
}

bool Parser::try_phrase() {
  using namespace lexicon;
  size_t j = pos_;
  NounPhrase np;
  // Determiner or count. A capital "A" before a modifier or noun is the article ("A red
  // circle"); captions never put a glyph there.
  if (is(w_, j, {"a", "an"}) || (at(w_, j) == "A" && starts_phrase_body(w_, j + 1))) {
    ++j;
    if (at(w_, j) == "single") ++j, np.count_stated = true;
  } else if (at(w_, j) == "the") {
    np.definite = true;
    ++j;
  } else if (auto n = count_at(w_, j); n && (starts_phrase_body(w_, j + 1, /*glyph_ok=*/!is_digit_word(at(w_, j))) ||
                                              is(w_, j + 1, {"copies", "copy"}))) {
    np.count = *n;
    np.count_stated = true;
    ++j;
  }
  if (np.count_stated && is(w_, j, {"copies", "copy"}) && at(w_, j + 1) == "of") {
    j += 2;
    if (is(w_, j, {"the", "a", "an"})) ++j;
  }
  // Modifiers, a few unknown words among them ("a red zebra circle"), then the head.
  std::vector<std::string> skipped;
  bool plural = false, head = false;
  while (j < w_.size() && !head) {
    size_t len = 0;
    std::string bad;
    if (auto s = size_at(w_, j, len)) {
      np.object.size = *s;
      np.mention.size = true;
      j += len;
    } else if (auto c = colour_at(w_, j, len, bad)) {
      np.object.colour = *c;
      np.mention.colour = true;
      j += len;
    } else if (!bad.empty()) {  // "light blue": a background colour, not an object colour
      skipped.push_back(bad);
      j += len;
    } else if (auto sh = shape_at(w_, j, len, plural)) {
      np.object.shape = *sh;
      j += len;
      head = true;
    } else if (auto g = glyph_at(w_, j, len, plural)) {
      np.object.shape = Shape::kGlyph;
      np.object.glyph = *g;
      j += len;
      head = true;
    } else if (!is_known_word(w_[j]) && skipped.size() < 2) {
      skipped.push_back(w_[j]);
      ++j;
    } else {
      break;
    }
  }
  if (!head) return false;
  // "a star in red", "the number 7 in blue"
  if (!np.mention.colour && at(w_, j) == "in") {
    size_t len = 0;
    std::string bad;
    if (auto c = colour_at(w_, j + 1, len, bad)) {
      np.object.colour = *c;
      np.mention.colour = true;
      j += 1 + len;
    }
  }
  for (auto& s : skipped) out_.unknown_words.push_back(std::move(s));
  if (plural && !np.count_stated && !np.definite) np.count = 2;  // "red circles": at least two
  if (plural && np.definite) np.count = 0;                       // "the circles": the whole group
  if (pending_region_) {
    np.mention.region = true;
    np.region = *pending_region_;
    pending_region_.reset();
  }
  phrases_.push_back(np);
  events_.push_back({EventKind::kPhrase, int(phrases_.size()) - 1});
  pos_ = j;
  return true;
}

// Relations link the noun phrases next to them: "X <rel> Y" the nearest phrase on each side;
// "Y has X <rel> it" / "Y with X <rel> it" the phrase before it and the one before that.
void Parser::link_relations() {
  for (size_t e = 0; e < events_.size(); ++e) {
    if (events_[e].kind == EventKind::kPhrase) continue;
    int left = -1, right = -1, before_left = -1;
    for (size_t k = e; k-- > 0;) {
      if (events_[k].kind != EventKind::kPhrase) continue;
      if (left < 0) {
        left = events_[k].phrase;
      } else {
        before_left = events_[k].phrase;
        break;
      }
    }
    for (size_t k = e + 1; k < events_.size() && right < 0; ++k)
      if (events_[k].kind == EventKind::kPhrase) right = events_[k].phrase;
    const int a = left;
    int b = events_[e].kind == EventKind::kRelation ? right : before_left;
    // "Y has X to its left and Z above it": "it" is still Y, not X.
    if (events_[e].kind == EventKind::kRelationIt && b >= 0 && it_antecedent_.count(b))
      b = it_antecedent_[b];
    if (a < 0 || b < 0 || a == b) {
      out_.warnings.push_back(std::string("\"") + relation_name(events_[e].relation) +
                              "\" without an object on each side");
      continue;
    }
    if (events_[e].kind == EventKind::kRelationIt) it_antecedent_[a] = b;
    phrases_[size_t(a)].in_relation = phrases_[size_t(b)].in_relation = true;
    links_.push_back({a, b, int(events_[e].relation)});
  }
}

bool same_statement(const NounPhrase& ref, const NounPhrase& np, bool exact) {
  const Object &a = ref.object, &b = np.object;
  if (a.shape != b.shape || a.glyph != b.glyph) return false;
  auto attr = [exact](bool ma, bool mb, bool equal) {
    if (ma) return mb && equal;
    return !exact || !mb;
  };
  return attr(ref.mention.colour, np.mention.colour, a.colour == b.colour) &&
         attr(ref.mention.size, np.mention.size, a.size == b.size);
}

void Parser::resolve_and_build() {
  SceneSpec& spec = out_.spec;
  for (size_t i = 0; i < phrases_.size(); ++i) {
    NounPhrase& np = phrases_[i];
    if (np.definite && np.in_relation && !np.count_stated && !np.mention.region) {
      // A reference: the one earlier phrase stating the same (else: compatible) attributes.
      for (bool exact : {true, false}) {
        int found = -1, matches = 0;
        for (size_t k = 0; k < i; ++k) {
          if (phrases_[k].refers_to >= 0 || !same_statement(np, phrases_[k], exact)) continue;
          found = int(k);
          ++matches;
        }
        if (matches == 1) {
          np.refers_to = found;
          break;
        }
      }
      if (np.refers_to >= 0) {
        np.objects = phrases_[size_t(np.refers_to)].objects;
        continue;
      }
    }
    if (np.count == 0) np.count = 2;  // "the circles", never introduced
    for (int k = 0; k < np.count && spec.scene.objects.size() < 16; ++k) {
      np.objects.push_back(int(spec.scene.objects.size()));
      spec.scene.objects.push_back(np.object);
      spec.mention.push_back(np.mention);
    }
  }
  for (const auto& [a, b, r] : links_) {
    for (int oa : phrases_[size_t(a)].objects)
      for (int ob : phrases_[size_t(b)].objects) {
        if (oa == ob) continue;
        bool dup = false;
        for (const auto& f : spec.relations)
          dup |= (f.a == oa && f.b == ob && int(f.relation) == r) ||
                 (f.a == ob && f.b == oa && f.relation == inverse(Relation(r)));
        if (!dup) spec.relations.push_back({oa, ob, Relation(r)});
      }
  }
  spec.mention_count = count_marker_;
  spec.mention_background = background_stated_;
  if (background_stated_) spec.scene.background = background_;
  const int n = int(spec.scene.objects.size());
  if (stated_total_ >= 0 && stated_total_ != n)
    out_.warnings.push_back("the prompt states " + std::to_string(stated_total_) +
                            " objects but describes " + std::to_string(n));
  if (n > 4) out_.warnings.push_back("more than 4 objects (the world has 1 to 4)");
  if (stated_total_ == 0 || (count_marker_ && n == 0))
    out_.warnings.push_back("a scene has at least one object");
  if (pending_region_) out_.warnings.push_back("a region phrase without an object");
  std::vector<std::optional<Region>> fixed(static_cast<size_t>(n));
  for (const auto& np : phrases_)
    if (np.mention.region && np.refers_to < 0)
      for (int o : np.objects) fixed[size_t(o)] = np.region;
  lexicon::lay_out(spec, fixed);
}

ParsedPrompt Parser::run() {
  while (pos_ < w_.size()) {
    if (try_background() || try_total_count() || try_relation() || try_region() || try_times() ||
        try_phrase())
      continue;
    if (!lexicon::is_filler(w_[pos_])) unknown(pos_);
    ++pos_;
  }
  link_relations();
  resolve_and_build();
  const bool any_fact = !out_.spec.scene.objects.empty() || out_.spec.mention_background;
  out_.in_world = out_.unknown_words.empty() && out_.warnings.empty() && any_fact;
  return std::move(out_);
}

}  // namespace

Result<ParsedPrompt> parse_prompt(std::string_view prompt) {
  size_t chars = 0;
  if (!is_valid_utf8(prompt, &chars)) return invalid_argument("prompt is not valid UTF-8");
  if (chars > kMaxPromptChars)
    return invalid_argument("prompt is too long (" + std::to_string(chars) + " characters, at most " +
                            std::to_string(kMaxPromptChars) + ")");
  if (prompt.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos)
    return invalid_argument("prompt is empty");
  return Parser(tokenize_words(std::string(prompt))).run();
}

}  // namespace pictor::world
