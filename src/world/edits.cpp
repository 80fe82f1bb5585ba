// Edit data (edits.h): the public API — sampling loop and invariants, boxes as masks, the
// preservation check. The kinds are built in edit_kinds.cpp, worded in edit_phrases.cpp and
// edit_templates.cpp.
#include "world/edits.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>

#include "world/captions.h"
#include "world/detector.h"
#include "world/edit_sampling.h"

namespace pictor::world {
namespace {

using namespace edit_sampling;

// The invariants of edits.h that sampling does not guarantee by construction.
bool acceptable(const Ctx& x, const EditExample& e) {
  const size_t n = e.after.objects.size();
  if (n < 1 || n > 4 || !valid_layout(e.after) || !valid_layout(e.before)) return false;
  if (x.opt.only_held_out) {
    if (!any_held_out(e.after)) return false;
  } else if (x.opt.exclude_held_out) {
    if (any_held_out(e.before) || any_held_out(e.after)) return false;
  }
  if (!check_spec(e.after, e.after_spec).passed) return false;
  if (e.kind != EditKind::kImageToImage && check_spec(e.before, e.after_spec).passed) return false;
  return int(tokenize_words(e.instruction).size()) <= kMaxCaptionWords;
}

}  // namespace

const char* edit_kind_name(EditKind k) {
  static const char* const kNames[kNumEditKinds] = {"recolour", "move",   "add",        "remove",
                                                    "replace",  "count",  "background", "glyph",
                                                    "inpaint",  "img2img"};
  return int(k) < kNumEditKinds ? kNames[int(k)] : "?";
}

EditExample sample_edit(Rng& rng, const EditOptions& opt) {
  return sample_edit(rng, EditKind(rng.below(kNumEditKinds)), opt);
}

EditExample sample_edit(Rng& rng, EditKind kind, const EditOptions& opt) {
  Ctx x{rng, opt, phrases::Chooser{&rng, false}};
  for (int attempt = 0; attempt < 100000; ++attempt) {
    EditExample e;
    e.kind = kind;
    if (!make_edit(x, kind, e)) continue;
    e.changed_box = clip01(e.changed_box);
    if (acceptable(x, e)) return e;
  }
  throw std::logic_error(std::string("sample_edit: no valid edit of kind ") + edit_kind_name(kind));
}

Image box_mask(const std::array<float, 4>& box, int width, int height) {
  Image mask(width, height, 1);
  for (int y = 0; y < height; ++y) {
    const float fy = (float(y) + 0.5f) / float(height);
    if (fy < box[1] || fy > box[3]) continue;
    for (int x = 0; x < width; ++x) {
      const float fx = (float(x) + 0.5f) / float(width);
      if (fx >= box[0] && fx <= box[2]) *mask.at(x, y) = 255;
    }
  }
  return mask;
}

PreservationCheck check_preserved(const EditExample& edit, const Scene& detected) {
  PreservationCheck out;
  // Untouched: objects of `before` that are in `after` unchanged (as a multiset).
  std::vector<Object> keep;
  std::vector<char> used(edit.after.objects.size(), 0);
  for (const Object& o : edit.before.objects) {
    for (size_t j = 0; j < edit.after.objects.size(); ++j) {
      if (!used[j] && edit.after.objects[j] == o) {
        used[j] = 1;
        keep.push_back(o);
        break;
      }
    }
  }
  const auto& got = detected.objects;
  auto ok = [&](size_t i, size_t j) {
    const Object &a = keep[i], &b = got[j];
    return a.shape == b.shape && a.glyph == b.glyph && a.colour == b.colour && a.size == b.size &&
           std::fabs(a.cx - b.cx) <= kPreserveTolerance &&
           std::fabs(a.cy - b.cy) <= kPreserveTolerance;
  };
  std::vector<char> taken(got.size(), 0);
  std::function<bool(size_t)> assign = [&](size_t i) -> bool {
    if (i == keep.size()) return true;
    for (size_t j = 0; j < got.size(); ++j) {
      if (taken[j] || !ok(i, j)) continue;
      taken[j] = 1;
      if (assign(i + 1)) return true;
      taken[j] = 0;
    }
    return false;
  };
  if (!assign(0)) {
    bool missing = false;
    for (size_t i = 0; i < keep.size(); ++i) {
      bool any = false;
      for (size_t j = 0; j < got.size() && !any; ++j) any = ok(i, j);
      if (!any) {
        missing = true;
        char where[48];
        std::snprintf(where, sizeof where, " at (%.2f, %.2f)", double(keep[i].cx),
                      double(keep[i].cy));
        out.failures.push_back("not preserved: " + describe(keep[i]) + where);
      }
    }
    if (!missing) out.failures.push_back("not preserved: too few distinct matches");
  }
  if (edit.before.background == edit.after.background &&
      (!detected.background_known || !(detected.background == edit.before.background)))
    out.failures.push_back(
        std::string("background not preserved: expected ") +
        background_colour_name(edit.before.background.from) +
        (edit.before.background.gradient == GradientDirection::kNone
             ? ""
             : std::string(" to ") + background_colour_name(edit.before.background.to)));
  out.passed = out.failures.empty();
  return out;
}

}  // namespace pictor::world
