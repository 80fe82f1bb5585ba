#include "engine/models/layout_planner.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "engine/models/pictor_mini.h"
#include "engine/models/pictor_mini_blocks.h"
#include "world/scene_tokens.h"

namespace pictor::engine {

namespace {

using namespace mini;

// Pre-LN decoder layer: causal self-attention over the layout so far, cross-attention to the
// caption, feed-forward.
class DecoderLayerImpl : public nn::Module {
 public:
  DecoderLayerImpl(int64_t dim, int64_t heads) {
    norm_self_ = register_module("norm_self", nn::LayerNorm(nn::LayerNormOptions({dim})));
    self_attn_ = register_module("self_attn", Attention(dim, dim, heads));
    norm_cross_ = register_module("norm_cross", nn::LayerNorm(nn::LayerNormOptions({dim})));
    cross_attn_ = register_module("cross_attn", Attention(dim, dim, heads));
    norm_ff_ = register_module("norm_ff", nn::LayerNorm(nn::LayerNormOptions({dim})));
    ff_ = register_module("ff", FeedForward(dim, 4));
  }
  // x: [N, T, D], memory: [N, L, D], pad: [N, L] → [N, T, D]
  at::Tensor forward(at::Tensor x, const at::Tensor& memory, const at::Tensor& pad) {
    auto h = norm_self_(x);
    x = x + self_attn_->forward(h, h, at::Tensor(), /*causal=*/true);
    x = x + cross_attn_(norm_cross_(x), memory, pad);
    return x + ff_(norm_ff_(x));
  }

 private:
  nn::LayerNorm norm_self_{nullptr}, norm_cross_{nullptr}, norm_ff_{nullptr};
  Attention self_attn_{nullptr}, cross_attn_{nullptr};
  FeedForward ff_{nullptr};
};
TORCH_MODULE(DecoderLayer);

}  // namespace

LayoutPlannerImpl::LayoutPlannerImpl(const PictorMiniConfig& c) {
  const int64_t d = c.planner_dim;
  word_embedding_ = register_module("word_embedding", nn::Embedding(c.vocab_size, d));
  token_embedding_ = register_module("token_embedding", nn::Embedding(world::kSceneTokenVocab, d));
  word_position_ = register_parameter("word_position", torch::randn({c.max_tokens, d}) * 0.02);
  token_position_ = register_parameter("token_position", torch::randn({world::kMaxSceneTokens, d}) * 0.02);
  if (c.planner_relative_positions > 0)
    relative_bias_ = register_parameter("relative_bias", torch::zeros({c.planner_layers, c.planner_heads, 2 * kMaxOffset + 1}));
  for (int64_t i = 0; i < c.planner_layers; ++i) {
    encoder_->push_back(TextLayer(d, c.planner_heads));
    decoder_->push_back(DecoderLayer(d, c.planner_heads));
  }
  register_module("encoder", encoder_);
  register_module("decoder", decoder_);
  encoder_norm_ = register_module("encoder_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  decoder_norm_ = register_module("decoder_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  head_ = register_module("head", nn::Linear(d, world::kSceneTokenVocab));
  torch::NoGradGuard g;
  word_embedding_->weight.normal_(0, 0.02);
  token_embedding_->weight.normal_(0, 0.02);
}

at::Tensor LayoutPlannerImpl::encode(const at::Tensor& ids) {
  auto pad = ids.eq(0);
  auto x = word_embedding_(ids) + word_position_.slice(0, 0, ids.size(1)).unsqueeze(0);
  at::Tensor offset_index;  // [L, L]: key position − query position, clipped, as a bias column
  if (relative_bias_.defined()) {
    auto pos = torch::arange(ids.size(1), torch::dtype(torch::kLong).device(relative_bias_.device()));
    offset_index = (pos.unsqueeze(0) - pos.unsqueeze(1)).clamp(-kMaxOffset, kMaxOffset) + kMaxOffset;
  }
  int64_t layer_index = 0;
  for (auto& layer : *encoder_) {
    at::Tensor bias;  // [H, L, L]
    if (relative_bias_.defined()) bias = relative_bias_[layer_index].index_select(1, offset_index.flatten()).view({relative_bias_.size(1), ids.size(1), ids.size(1)});
    x = layer->as<TextLayer>()->forward(x, pad, bias);
    ++layer_index;
  }
  return encoder_norm_(x);
}

at::Tensor LayoutPlannerImpl::decode(const at::Tensor& memory, const at::Tensor& pad, const at::Tensor& tokens) {
  auto x = token_embedding_(tokens) + token_position_.slice(0, 0, tokens.size(1)).unsqueeze(0);
  for (auto& layer : *decoder_) x = layer->as<DecoderLayer>()->forward(x, memory, pad);
  return head_(decoder_norm_(x));
}

std::pair<at::Tensor, double> LayoutPlannerImpl::loss(const at::Tensor& ids, const at::Tensor& targets) {
  auto memory = encode(ids);
  auto inputs = targets.slice(1, 0, targets.size(1) - 1);
  auto next = targets.slice(1, 1, targets.size(1));
  auto logits = decode(memory, ids.eq(0), inputs);
  auto flat_logits = logits.reshape({-1, logits.size(-1)});
  auto flat_next = next.reshape({-1});
  auto loss = torch::nn::functional::cross_entropy(
      flat_logits, flat_next, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(world::kSceneTokenPad));
  torch::NoGradGuard g;
  auto valid = flat_next.ne(world::kSceneTokenPad);
  auto right = flat_logits.argmax(-1).eq(flat_next).logical_and(valid);
  const double acc = right.sum().item<double>() / std::max(1.0, valid.sum().item<double>());
  return {loss, acc};
}

std::vector<LayoutPlannerImpl::Draft> LayoutPlannerImpl::draw(const at::Tensor& ids, std::vector<Rng>& rngs,
                                                             double position_temperature) {
  const int64_t n = ids.size(0);
  auto memory = encode(ids);
  auto pad = ids.eq(0);
  std::vector<Draft> drafts(static_cast<size_t>(n));
  for (auto& d : drafts) d.tokens = {world::kSceneTokenBos};
  std::vector<bool> done(size_t(n), false);
  const int x_first = world::scene_token_range(world::SceneTokenField::kX).first;
  const int y_first = world::scene_token_range(world::SceneTokenField::kY).first;
  for (int step = 1; step < world::kMaxSceneTokens; ++step) {
    // Every row has the same length until it ends; finished rows repeat EOS (ignored).
    auto tokens = torch::empty({n, step}, torch::kLong);
    for (int64_t r = 0; r < n; ++r)
      for (int j = 0; j < step; ++j)
        tokens[r][j] = j < int(drafts[size_t(r)].tokens.size()) ? drafts[size_t(r)].tokens[size_t(j)] : world::kSceneTokenEos;
    auto logits = decode(memory, pad, tokens.to(memory.device())).select(1, step - 1).to(torch::kCPU, torch::kDouble);
    bool all_done = true;
    for (int64_t r = 0; r < n; ++r) {
      auto& seq = drafts[size_t(r)].tokens;
      if (done[size_t(r)]) continue;
      const auto ranges = world::next_scene_token_ranges(seq);
      if (ranges.empty()) {
        done[size_t(r)] = true;
        continue;
      }
      // Softmax over the allowed tokens only, then one uniform draw. A position that would
      // overlap an object already planned is not allowed (world scenes never overlap); the share
      // of the model's probability left on the allowed bins is the draft's weight.
      auto row = logits[r];
      double* l = row.data_ptr<double>();
      if (ranges.size() == 1 && (ranges[0].first == x_first || ranges[0].first == y_first)) {
        const auto ok = world::separated_position_bins(seq);
        double top = -1e300;
        for (int b = 0; b < world::kPositionBins; ++b) {
          l[ranges[0].first + b] /= position_temperature;
          top = std::max(top, l[ranges[0].first + b]);
        }
        double all = 0, allowed = 0;
        for (int b = 0; b < world::kPositionBins; ++b) {
          const double e = std::exp(l[ranges[0].first + b] - top);
          all += e;
          if (ok[size_t(b)]) allowed += e;
          else l[ranges[0].first + b] = -1e300;
        }
        drafts[size_t(r)].log_weight += std::log(std::max(allowed / all, 1e-300));
      }
      double top = -1e300;
      for (const auto& rg : ranges)
        for (int t = rg.first; t < rg.first + rg.count; ++t) top = std::max(top, l[t]);
      double total = 0;
      for (const auto& rg : ranges)
        for (int t = rg.first; t < rg.first + rg.count; ++t) total += std::exp(l[t] - top);
      double u = rngs[size_t(r)].uniform() * total;
      int chosen = ranges.back().first + ranges.back().count - 1;
      for (const auto& rg : ranges) {
        bool stop = false;
        for (int t = rg.first; t < rg.first + rg.count; ++t) {
          u -= std::exp(l[t] - top);
          if (u <= 0) {
            chosen = t;
            stop = true;
            break;
          }
        }
        if (stop) break;
      }
      seq.push_back(chosen);
      if (chosen == world::kSceneTokenEos) done[size_t(r)] = true;
      else all_done = false;
    }
    if (all_done) break;
  }
  return drafts;
}

std::vector<world::Scene> LayoutPlannerImpl::sample(const at::Tensor& ids, std::vector<Rng>& rngs, double position_temperature,
                                                    int candidates) {
  const int64_t n = ids.size(0);
  std::vector<world::Scene> out;
  auto scene_of = [](const std::vector<int>& tokens, Rng& rng) {
    auto scene = world::decode_scene_tokens(tokens, &rng);
    return scene.is_ok() ? *scene : world::Scene{};
  };
  if (candidates <= 1) {
    const auto drafts = draw(ids, rngs, position_temperature);
    for (int64_t r = 0; r < n; ++r) out.push_back(scene_of(drafts[size_t(r)].tokens, rngs[size_t(r)]));
    return out;
  }
  // Importance resampling: the overlap rule bends the planner's distribution (a first object put
  // where the second no longer fits where the caption says forces the second elsewhere); drawing
  // k drafts and keeping one with probability ∝ its weight (the product of the shares the rule
  // left) samples, as k grows, the planner's own distribution restricted to non-overlapping plans.
  std::vector<Rng> draft_rngs;
  for (int64_t r = 0; r < n; ++r) {
    const uint64_t seed = rngs[size_t(r)].next_u64();
    for (int c = 0; c < candidates; ++c) draft_rngs.emplace_back(seed, uint64_t(c));
  }
  const auto drafts = draw(ids.repeat_interleave(candidates, 0), draft_rngs, position_temperature);
  for (int64_t r = 0; r < n; ++r) {
    const size_t first = size_t(r) * size_t(candidates);
    double top = -1e300;
    for (int c = 0; c < candidates; ++c) top = std::max(top, drafts[first + size_t(c)].log_weight);
    std::vector<double> w(static_cast<size_t>(candidates));
    double total = 0;
    for (int c = 0; c < candidates; ++c) total += w[size_t(c)] = std::exp(drafts[first + size_t(c)].log_weight - top);
    double u = rngs[size_t(r)].uniform() * total;
    size_t pick = first + size_t(candidates) - 1;
    for (int c = 0; c < candidates; ++c)
      if ((u -= w[size_t(c)]) <= 0) {
        pick = first + size_t(c);
        break;
      }
    out.push_back(scene_of(drafts[pick].tokens, draft_rngs[pick]));
  }
  return out;
}

}  // namespace pictor::engine
