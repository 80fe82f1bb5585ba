#include "eval/edit_eval.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "world/detector.h"
#include "world/renderer.h"

namespace pictor::eval {

namespace {

bool whole_image(const std::array<float, 4>& b) { return b[0] <= 0 && b[1] <= 0 && b[2] >= 1 && b[3] >= 1; }

// PSNR over the pixels outside `box` (fractions of the image); 99 dB when identical.
double psnr_outside(const Image& a, const Image& b, const std::array<float, 4>& box) {
  double se = 0;
  long n = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      const float fx = (x + 0.5f) / a.width, fy = (y + 0.5f) / a.height;
      if (fx >= box[0] && fx <= box[2] && fy >= box[1] && fy <= box[3]) continue;
      for (int c = 0; c < 3; ++c) {
        const double d = double(a.at(x, y)[c]) - b.at(x, y)[c];
        se += d * d;
      }
      n += 3;
    }
  if (n == 0) return -1;
  if (se == 0) return 99.0;
  return 10.0 * std::log10(255.0 * 255.0 / (se / double(n)));
}

}  // namespace

Image openai_mask(const world::EditExample& edit, int size) {
  Image change = world::box_mask(edit.changed_box, size, size);
  Image mask(size, size, 4);
  for (size_t i = 0, n = size_t(size) * size; i < n; ++i) mask.pixels[i * 4 + 3] = change.pixels[i] ? 0 : 255;
  return mask;
}

std::string EditEvalReport::to_json() const {
  nlohmann::json j;
  j["success"]["overall"] = success;
  j["preservation"]["overall"] = preservation;
  for (const auto& [kind, r] : kinds) {
    j["success"][kind] = r.edits ? double(r.success) / r.edits : 0.0;
    j["preservation"][kind] = r.edits ? double(r.preserved) / r.edits : 0.0;
    if (r.psnr_count) j["psnr_outside"][kind] = r.psnr_sum / r.psnr_count;
    if (r.unsupported) j["unsupported"][kind] = r.unsupported;
  }
  j["psnr_outside"]["overall"] = psnr_outside;
  j["seconds"] = seconds;
  return j.dump(2);
}

Result<EditEvalReport> run_edit_eval(const EditGenerator& generate, const EditEvalOptions& opts,
                                     const std::function<void(int, int)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  EditEvalReport report;
  const int total = opts.per_kind * world::kNumEditKinds;
  int done = 0, psnr_n = 0;
  double psnr_total = 0;
  for (int k = 0; k < world::kNumEditKinds; ++k) {
    const auto kind = world::EditKind(k);
    Rng rng(opts.seed, uint64_t(k) + 1);
    EditKindResult& r = report.kinds[world::edit_kind_name(kind)];
    for (int i = 0; i < opts.per_kind; ++i) {
      world::EditExample edit = world::sample_edit(rng, kind);
      Image input = world::render(edit.before, opts.size, opts.size);
      Image mask = edit.has_mask ? openai_mask(edit, opts.size) : Image();
      auto result = generate(edit, input, mask, i);
      if (!result.is_ok() && result.status().code() == StatusCode::kUnsupported) {
        ++r.edits;  // weights that cannot do this kind of edit score 0 on it
        ++r.unsupported;
        if (progress) progress(++done, total);
        continue;
      }
      if (!result.is_ok()) return result.status();
      Image out = result->width == opts.size && result->height == opts.size
                      ? std::move(*result) : resize_image(*result, opts.size, opts.size);
      const world::Scene detected = world::detect(out);
      ++r.edits;
      r.success += world::check_spec(detected, edit.after_spec).passed;
      r.preserved += world::check_preserved(edit, detected).passed;
      if (!whole_image(edit.changed_box)) {
        const double p = psnr_outside(out, input, edit.changed_box);
        if (p >= 0) { r.psnr_sum += p; ++r.psnr_count; psnr_total += p; ++psnr_n; }
      }
      if (progress) progress(++done, total);
    }
  }
  for (const auto& [kind, r] : report.kinds) {
    report.success += double(r.success) / r.edits;
    report.preservation += double(r.preserved) / r.edits;
  }
  report.success /= double(report.kinds.size());
  report.preservation /= double(report.kinds.size());
  report.psnr_outside = psnr_n ? psnr_total / psnr_n : 0;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

EditGenerator oracle_edit_generator() {
  return [](const world::EditExample& edit, const Image& input, const Image&, int) -> Result<Image> {
    return world::render(edit.after, input.width, input.height);
  };
}

}  // namespace pictor::eval
