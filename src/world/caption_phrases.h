#pragma once
// Phrase builders behind caption(): noun phrases for objects and groups, region, relation and
// background phrases, each with paraphrases. Internal to world/ (captions.cpp and tests).
#include <initializer_list>
#include <string>
#include <vector>

#include "core/rng.h"
#include "world/scene.h"

namespace pictor::world::phrases {

// Word choice: random among the paraphrases, or always the first (the plainest and shortest)
// when terse.
struct Chooser {
  Rng* rng;
  bool terse = false;
  const char* pick(std::initializer_list<const char*> options);
  bool chance(double p) { return !terse && rng->chance(p); }
  int below(int n) { return terse ? 0 : rng->below(n); }
};

std::string article_for(const std::string& next_word);  // "a" or "an"
std::string with_article(const std::string& phrase);    // "an orange star"
std::string count_word(int n, Chooser& c);              // "two" or "2"
std::string times_word(int n);                          // "twice", "three times"
std::string shape_noun(Shape s, bool plural, Chooser& c);
std::string colour_word(Colour col, Chooser& c);
std::string size_word(Size s, Chooser& c);
std::string background_colour_word(BackgroundColour b, Chooser& c);
std::string region_phrase(Region r, Chooser& c);         // "at the top left"
std::string relation_phrase(Relation r, Chooser& c);     // "to the left of"
std::string relation_it_phrase(Relation r, Chooser& c);  // "to its left", "above it"

// Indefinite noun phrase for `count` objects like `o` (count >= 1), stating colour and size only
// when mentioned, and the region when mentioned (count == 1 only). "a small red star", "three
// blue squares", "the number 7 in blue", "two copies of the letter A".
std::string object_np(const Object& o, const ObjectMention& m, int count, Chooser& c);
// Definite referring expression without region: "the red star", "the letter A in red"; plural
// for a group of shapes named alike ("the red stars").
std::string object_ref(const Object& o, const ObjectMention& m, Chooser& c, bool plural = false);

// "on a white background", "on a gradient from white at the top to lavender at the bottom".
std::string background_pp(const Background& b, Chooser& c);
// "a white background", "a vertical gradient from white to lavender" (for frames "X with ...").
std::string background_np(const Background& b, Chooser& c);
// "the background is white", "the background fades from white on the left to cream on the right".
std::string background_sentence(const Background& b, Chooser& c);

}  // namespace pictor::world::phrases
