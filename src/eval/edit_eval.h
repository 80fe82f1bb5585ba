#pragma once
// `pictor eval --edits`: per edit kind, does the result show the instructed change (success:
// the detector confirms the edit's after-spec) and keep what the instruction did not touch
// (preservation: every untouched object still detected in place; plus PSNR outside the changed
// region)?
#include <functional>
#include <map>
#include <string>

#include "core/image.h"
#include "core/status.h"
#include "world/edits.h"

namespace pictor::eval {

struct EditEvalOptions {
  int per_kind = 40;   // edits per kind, fixed seed
  uint64_t seed = 77;
  int size = 64;       // render size of the input images
};

struct EditKindResult {
  int edits = 0, success = 0, preserved = 0;
  int unsupported = 0;  // the model refused the edit (counts as neither success nor preserved)
  double psnr_sum = 0;  // over edits whose changed region leaves something outside it
  int psnr_count = 0;
};

struct EditEvalReport {
  std::map<std::string, EditKindResult> kinds;
  double success = 0;       // mean over kinds
  double preservation = 0;  // mean over kinds
  double psnr_outside = 0;  // mean dB over edits with an outside region (capped at 99 for identical)
  double seconds = 0;
  std::string to_json() const;  // {"success": {"overall", <kind>…}, "preservation": {…}, …}
};

// generate(edit, input image, mask or empty image, index) → result image.
using EditGenerator = std::function<Result<Image>(const world::EditExample&, const Image& input,
                                                   const Image& mask, int index)>;

Result<EditEvalReport> run_edit_eval(const EditGenerator& generate, const EditEvalOptions& opts,
                                     const std::function<void(int, int)>& progress = {});

// The perfect editor: renders each edit's `after` scene (calibrates the scorer).
EditGenerator oracle_edit_generator();
// An OpenAI-convention mask (RGBA, alpha 0 = change) for an edit's changed box.
Image openai_mask(const world::EditExample& edit, int size);

}  // namespace pictor::eval
