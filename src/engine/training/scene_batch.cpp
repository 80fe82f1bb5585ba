#include "engine/training/scene_batch.h"

#include <torch/torch.h>

#include "core/rng.h"
#include "world/captions.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace pictor::engine {

SceneBatch make_scene_batch(uint64_t seed, int64_t step, const SceneBatchOptions& opts,
                            const WordTokenizer& tokenizer) {
  Rng rng(seed, uint64_t(step) * 2 + 1);
  world::SamplerOptions sampler;
  sampler.exclude_held_out = true;
  const int b = opts.batch_size, s = opts.image_size, len = tokenizer.max_length();
  SceneBatch batch;
  auto pixels = torch::empty({b, s, s, 3}, torch::kUInt8);
  batch.ids = torch::empty({b, len}, torch::kLong);
  for (int i = 0; i < b; ++i) {
    world::Scene scene = world::sample_scene(rng, sampler);
    Image img = world::render(scene, s, s);
    std::memcpy(pixels[i].data_ptr<uint8_t>(), img.pixels.data(), img.pixels.size());
    std::string text;
    if (!rng.chance(opts.caption_dropout)) text = world::caption(world::make_spec(scene, rng), rng);
    auto tok = tokenizer.encode(text);
    std::memcpy(batch.ids[i].data_ptr<int64_t>(), tok.ids.data(), sizeof(int64_t) * size_t(len));
    batch.captions.push_back(std::move(text));
  }
  batch.images = pixels.permute({0, 3, 1, 2}).to(torch::kFloat).div(127.5).sub(1.0).contiguous();
  return batch;
}

}  // namespace pictor::engine
