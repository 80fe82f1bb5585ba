#pragma once
// The words and phrases parse_prompt() reads (internal to world/): each matcher looks at the
// words from index i on and returns how many it used (0 = no match). The phrase lists mirror
// caption_phrases.cpp, plus a few plain wordings people type ("on top of", "top to bottom").
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "world/scene.h"

namespace pictor::world::lexicon {

using Words = std::vector<std::string>;

const std::string& at(const Words& w, size_t i);  // "" past the end
bool is(const Words& w, size_t i, std::initializer_list<const char*> options);
size_t phrase_at(const Words& w, size_t i, const char* phrase);  // "to the left of" → 4

std::optional<int> count_at(const Words& w, size_t i);  // "two", "2" (0–10)
bool is_digit_word(const std::string& s);
bool is_total_noun(const std::string& s);  // objects, shapes, things, items
// Whether a noun phrase's modifiers or head start at i (after "a" or a count).
bool starts_phrase_body(const Words& w, size_t i, bool glyph_ok = true);

std::optional<Size> size_at(const Words& w, size_t i, size_t& len);
// An object colour. A background colour ("light blue", "white") is not one: nullopt with
// `bad` set to its words and len to their number.
std::optional<Colour> colour_at(const Words& w, size_t i, size_t& len, std::string& bad);
std::optional<Shape> shape_at(const Words& w, size_t i, size_t& len, bool& plural);
// "number 7", "capital letter A", "letter q", "7", "A".
std::optional<char> glyph_at(const Words& w, size_t i, size_t& len, bool& plural);

// Background colour at j (advances j). An object colour there gives nullopt with `bad` set.
std::optional<BackgroundColour> background_colour_at(const Words& w, size_t& j, std::string& bad);
// "[vertical|top to bottom|…] gradient [background] from X [at the top] to Y [at the bottom]".
std::optional<Background> gradient_at(const Words& w, size_t& j, std::string& bad);
// "from X … to Y …" after "gradient" or "fades"; `direction` from words already read.
std::optional<Background> gradient_from(const Words& w, size_t& j, GradientDirection direction,
                                        std::string& bad);

// "to the left of" (it = false) or "to its left", "above it" (it = true).
size_t relation_at(const Words& w, size_t i, Relation& r, bool& it);
size_t region_at(const Words& w, size_t i, Region& r);

const std::vector<std::string>& filler_words();  // frame and glue words: "draw", "there", "with"
bool is_filler(const std::string& word);
bool is_known_word(const std::string& word);  // in vocabulary() or one of the lists here

// Places spec.scene's objects on the 3 × 3 grid of region centres so that every stated region
// and relation holds (fixed[i]: object i's stated region); keeps the grid order when no
// placement satisfies them all.
void lay_out(SceneSpec& spec, const std::vector<std::optional<Region>>& fixed);

}  // namespace pictor::world::lexicon
