#pragma once
// Edit data for pictor-mini: instruction edits, masked inpainting and image-to-image, as pairs of
// scenes with an English instruction, the region the edit may change and the facts the result
// must show. Pure C++, deterministic given the Rng (docs/world.md, "Edits").
//
// Every example satisfies, by construction (and checked by tests/world/edits_test.cpp):
// - before and after are valid layouts (valid_layout) of 1-4 objects;
// - render(before) and render(after) are pixel-identical outside box_mask(changed_box) at any
//   size (the box is the union of the touched objects' squares [c - r, c + r] widened by
//   kEditBoxMargin, in fractions of the image; the whole image for background and img2img);
// - check_spec(after, after_spec) holds and, for every kind but img2img, check_spec(before,
//   after_spec) does not (the edit is visible);
// - the instruction uses only vocabulary() words (tokenize_words) and at most kMaxCaptionWords.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/rng.h"
#include "world/scene.h"

namespace pictor::world {

enum class EditKind : uint8_t {
  kRecolour,
  kMove,
  kAdd,
  kRemove,
  kReplaceShape,
  kChangeCount,
  kChangeBackground,
  kGlyph,  // write a glyph or replace one glyph by another
  kInpaint,
  kImageToImage
};
inline constexpr int kNumEditKinds = 10;
// "recolour", "move", "add", "remove", "replace", "count", "background", "glyph", "inpaint",
// "img2img".
const char* edit_kind_name(EditKind k);

// Margin around a touched object's square in changed_box (fraction of the image): more than half
// a pixel from 17 px up, so no anti-aliased pixel of the object has its centre outside the box.
inline constexpr float kEditBoxMargin = 0.03f;

struct EditExample {
  EditKind kind = EditKind::kRecolour;
  Scene before;
  Scene after;
  std::string instruction;  // English, from many templates and paraphrases
  // Region the edit may change, as a fraction box [x0, y0, x1, y1] of the image (0..1): the union
  // of the before/after squares of the touched objects widened by kEditBoxMargin (clipped to the
  // image), or the whole image for background / img2img. For kInpaint it is the user's mask: it
  // contains that union and may be larger, but never reaches an untouched object's square.
  std::array<float, 4> changed_box{0, 0, 1, 1};
  bool has_mask = false;  // kInpaint only: changed_box is the mask
  double strength = -1;   // kImageToImage only: in [0.4, 0.9]
  // The facts of `after` the instruction asks for, for check_spec on the result: every object of
  // `after` with its shape (or glyph) and colour (an added object's colour only when the
  // instruction states it), plus what the instruction states: the size of a new object, the
  // destination region or relation of a move, the background. mention_count is set for remove
  // and count edits (a spec cannot state an absence otherwise). For img2img it is the spec of the
  // caption that is the instruction.
  SceneSpec after_spec;
};

// Held-out colour+shape pairs (scene_sampler.h). exclude_held_out: neither scene contains one
// (training). only_held_out (wins if both are set; evaluation of compositional generalisation):
// kinds that create an object or attribute (recolour, add, replace, inpaint, img2img) create a
// held-out pair, and the instruction names it ("make the red star purple"); the other kinds edit
// a scene that holds at least one; `after` always holds one. With neither, pairs are unrestricted.
struct EditOptions {
  bool exclude_held_out = true;
  bool only_held_out = false;
};

// Samples a valid edit of a random kind (uniform), or of `kind`; deterministic given the rng.
EditExample sample_edit(Rng& rng, const EditOptions& opt = {});
EditExample sample_edit(Rng& rng, EditKind kind, const EditOptions& opt = {});

// A box as a one-channel mask of width x height: 255 where the pixel's centre lies inside the box
// (area to change), 0 elsewhere.
Image box_mask(const std::array<float, 4>& box, int width, int height);

// Preservation check for evaluation: every object of `before` that the edit did not touch (that
// is in `after` unchanged) is in `detected` — same shape and glyph, colour and size, centre
// within kPreserveTolerance — each matched to a different detected object; and when the edit
// keeps the background, `detected` has that background.
inline constexpr float kPreserveTolerance = 0.03f;
struct PreservationCheck {
  bool passed = false;
  std::vector<std::string> failures;
};
PreservationCheck check_preserved(const EditExample& edit, const Scene& detected);

}  // namespace pictor::world
