#pragma once
// Wording of edit instructions (edits.cpp): unambiguous referring expressions for objects of a
// scene ("the red star", "the star", "the left star", "the leftmost 7") and the instruction
// templates of each edit kind, several paraphrases each. Internal to world/ (edits.cpp, tests).
#include <string>

#include "core/rng.h"
#include "world/caption_phrases.h"
#include "world/scene.h"

namespace pictor::world::edit_phrases {

using phrases::Chooser;

// Position words that single out one of several objects with the same description.
enum class Extreme : int8_t { kNone = -1, kLeft, kRight, kTop, kBottom };

// How to refer to one object: which attributes the description states, and, when even the
// fullest description fits several objects, the position word that singles it out. `pair` = the
// description fits exactly two objects ("the left star"; with more: "the leftmost star").
struct RefPlan {
  bool colour = false;
  bool size = false;
  Extreme extreme = Extreme::kNone;
  bool pair = false;
};

// Centres must differ by this much (fraction of the image) along the axis for a position word.
inline constexpr float kExtremeMargin = 0.12f;

// Picks a referring expression that fits scene.objects[i] and no other object (a random one of
// those that do; shorter ones are not always preferred). False if none does.
bool plan_ref(const Scene& scene, size_t i, Rng& rng, RefPlan& out);
// "the red star", "the star on the left", "the leftmost red 7", "the number 7 in blue".
// allow_suffix = false avoids "the star on the left" where a location follows ("move the star
// on the left to the top"); "the left star" is used instead.
std::string ref_text(const Object& o, const RefPlan& plan, Chooser& c, bool allow_suffix = true);

// A group: every object of one shape/glyph and colour. Singular and plural cores without an
// article: "red star" / "red stars"; glyphs "red 7" / "copies of the red 7".
std::string group_singular(const Object& o, bool colour, Chooser& c);
std::string group_plural(const Object& o, bool colour, Chooser& c);

// "to the top right", "into the top right corner", "to the middle" (destination of a move).
std::string destination_phrase(Region r, Chooser& c);

// Instruction templates. `ref`/`anchor` are ref_text()s, `np` an indefinite noun phrase ("a small
// green heart"), `where` "" or a location ("at the bottom left", "to the left of the star").
std::string recolour_text(const std::string& ref, Colour to, Chooser& c);
std::string move_region_text(const std::string& ref, Region dest, Chooser& c);
std::string move_relation_text(const std::string& ref, Relation r, const std::string& anchor,
                               Chooser& c);
std::string add_text(const std::string& np, const std::string& where, Chooser& c);
std::string remove_text(const std::string& ref, Chooser& c);
std::string replace_text(const std::string& ref, const std::string& new_np, Chooser& c);
// The group of `kind` (colour stated if `colour`) goes from `from` to `to` members.
std::string count_text(const Object& kind, bool colour, int from, int to, Chooser& c);
std::string background_text(const Background& b, Chooser& c);
std::string glyph_write_text(const std::string& np, const std::string& where, Chooser& c);
std::string glyph_replace_text(const std::string& ref, char to, Chooser& c);
// The prompt for a masked region: mostly the bare noun phrase, as for OpenAI's edit with a mask.
std::string inpaint_text(const std::string& np, Chooser& c);

}  // namespace pictor::world::edit_phrases
