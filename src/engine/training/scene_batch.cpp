#include "engine/training/scene_batch.h"

#include <torch/torch.h>

#include "core/rng.h"
#include "world/captions.h"
#include "world/edits.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"
#include "world/scene_tokens.h"

namespace pictor::engine {

namespace {

void put_image(const Image& img, at::Tensor& dst_hwc_u8, int index) {
  std::memcpy(dst_hwc_u8[index].data_ptr<uint8_t>(), img.pixels.data(), img.pixels.size());
}

at::Tensor to_unit_range(const at::Tensor& hwc_u8) {  // [B, S, S, 3] u8 → [B, 3, S, S] in [−1, 1]
  return hwc_u8.permute({0, 3, 1, 2}).to(torch::kFloat).div(127.5).sub(1.0).contiguous();
}

}  // namespace

SceneBatch make_scene_batch(uint64_t seed, int64_t step, const SceneBatchOptions& opts,
                            const WordTokenizer& tokenizer) {
  Rng rng(seed, uint64_t(step) * 2 + 1);
  world::SamplerOptions sampler;
  sampler.exclude_held_out = true;
  world::EditOptions edit_opts;
  edit_opts.exclude_held_out = true;
  const int b = opts.batch_size, s = opts.image_size, len = tokenizer.max_length();
  SceneBatch batch;
  auto targets = torch::empty({b, s, s, 3}, torch::kUInt8);
  auto sources = torch::zeros({b, s, s, 3}, torch::kUInt8);
  batch.masks = torch::ones({b, 1, s, s}, torch::kFloat);
  batch.has_source = torch::zeros({b}, torch::kFloat);
  batch.ids = torch::empty({b, len}, torch::kLong);
  for (int i = 0; i < b; ++i) {
    // The order of draws matters: with edit_fraction 0 the stream equals that of earlier
    // versions, so a run resumed by a newer binary sees the batches it would have seen.
    std::string text;
    std::optional<world::Scene> layout;
    if (opts.edit_fraction > 0 && rng.chance(opts.edit_fraction)) {
      world::EditExample edit = world::sample_edit(rng, edit_opts);
      if (edit.kind == world::EditKind::kImageToImage) edit = world::sample_edit(rng, world::EditKind::kInpaint, edit_opts);
      put_image(world::render(edit.before, s, s), sources, i);
      put_image(world::render(edit.after, s, s), targets, i);
      batch.has_source[i] = 1.0f;
      if (edit.has_mask) {
        Image mask = world::box_mask(edit.changed_box, s, s);
        batch.masks[i][0].copy_(torch::from_blob(mask.pixels.data(), {s, s}, torch::kUInt8).to(torch::kFloat).div(255.0));
      }
      if (!rng.chance(opts.caption_dropout)) text = edit.instruction;
    } else {
      world::Scene scene = world::sample_scene(rng, sampler);
      put_image(world::render(scene, s, s), targets, i);
      if (!rng.chance(opts.caption_dropout)) {
        text = world::caption(world::make_spec(scene, rng), rng);
        layout = scene;
      }
    }
    batch.layouts.push_back(std::move(layout));
    auto tok = tokenizer.encode(text);
    std::memcpy(batch.ids[i].data_ptr<int64_t>(), tok.ids.data(), sizeof(int64_t) * size_t(len));
    batch.captions.push_back(std::move(text));
  }
  batch.images = to_unit_range(targets);
  batch.sources = to_unit_range(sources).mul_(batch.has_source.view({b, 1, 1, 1}));
  return batch;
}

PlannerBatch make_planner_batch(uint64_t seed, int64_t step, int batch_size, const WordTokenizer& tokenizer,
                                double relation_probability) {
  // A stream of its own: the denoiser's batches stay those of earlier versions.
  Rng rng(seed ^ 0x9b1a7e5ull, uint64_t(step));
  world::SamplerOptions sampler;
  sampler.exclude_held_out = true;
  // More groups than the denoiser's scenes (0.25): counts and group relations ("two red circles
  // above a blue square") are what planners get wrong, and text-only examples are cheap.
  sampler.group_probability = 0.4;
  const int len = tokenizer.max_length();
  PlannerBatch b;
  b.ids = torch::zeros({batch_size, len}, torch::kLong);
  b.targets = torch::zeros({batch_size, world::kMaxSceneTokens}, torch::kLong);
  auto targets = b.targets.accessor<int64_t, 2>();
  for (int i = 0; i < batch_size; ++i) {
    world::Scene scene = world::sample_scene(rng, sampler);
    auto tok = tokenizer.encode(world::caption(world::make_spec(scene, rng, relation_probability), rng));
    std::memcpy(b.ids[i].data_ptr<int64_t>(), tok.ids.data(), sizeof(int64_t) * size_t(len));
    const auto seq = world::encode_scene_tokens(scene);
    for (size_t j = 0; j < seq.size(); ++j) targets[i][int64_t(j)] = seq[j];
  }
  return b;
}

}  // namespace pictor::engine
