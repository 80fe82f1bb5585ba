#pragma once
// Prompts for the scenes world: which facts a prompt states (make_spec) and how it says them
// (caption), plus the closed vocabulary and the word-splitting rule that pictor-mini's tokenizer
// uses.
//
// Tokenisation rule (tokenize_words): split the text on whitespace and on every ASCII character
// that is not a letter or digit (punctuation, hyphens, apostrophes); bytes >= 0x80 (UTF-8) stay
// inside words. Lowercase every word, except a word that is a single capital letter "A".."Z": that
// is a glyph token and stays uppercase. So "A red circle" gives {"A", "red", "circle"} — the glyph
// A, not the article; captions are therefore written in lowercase except for glyph letters.
// Digits are ordinary word characters: "7" is a word, as are the counts "2", "3", "4".
#include <string>
#include <vector>

#include "core/rng.h"
#include "world/scene.h"

namespace pictor::world {

// Picks the facts a prompt about `scene` states: always every object's shape or glyph; usually
// colours; sometimes sizes, regions (only where the centre is clearly inside the region), one or
// two relations between objects that can be named unambiguously (only relations that hold with a
// clear margin, see relation_clear), the total count, the background. Objects of the same kind
// (shape, glyph, colour) share their colour/size mentions so that groups read "three red stars".
SceneSpec make_spec(const Scene& scene, Rng& rng);
// The same with the chance that a scene of two or more objects gets a relation attempt set
// (make_spec's own: 0.45); the draws from rng are the same for any value.
SceneSpec make_spec(const Scene& scene, Rng& rng, double relation_probability);

// English for `spec`, drawn from many templates and paraphrases. States exactly the spec's facts:
// every object (merged into counted groups where the stated attributes are identical), colour if
// mention.colour, size if mention.size, region if mention.region, each relation, the total count
// only if mention_count ("three objects: ...", "exactly ...", "... and nothing else", "only ..."),
// the background only if mention_background. Lowercase except glyph letters. At most
// kMaxCaptionWords words (tokenize_words) whenever the spec's facts fit; longer specs get the
// tersest wording.
std::string caption(const SceneSpec& spec, Rng& rng);
inline constexpr int kMaxCaptionWords = 38;

// Every word that captions and edit instructions use, sorted, unique: lowercase words, the glyph
// tokens "A".."Z" and "0".."9".
std::vector<std::string> vocabulary();

// Splits `text` into words by the rule above.
std::vector<std::string> tokenize_words(const std::string& text);

}  // namespace pictor::world
