#include "engine/models/pictor_mini.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "engine/models/pictor_mini_blocks.h"
#include "engine/ops.h"
#include "world/scene_tokens.h"

namespace pictor::engine {

namespace nn = torch::nn;

// ---------------------------------------------------------------------------------------------
// Config

std::string PictorMiniConfig::to_json() const {
  nlohmann::json j = {{"image_size", image_size}, {"in_channels", in_channels},
                      {"out_channels", out_channels}, {"patch", patch}, {"channels", channels},
                      {"attention", attention}, {"head_dim", head_dim}, {"time_dim", time_dim},
                      {"text_dim", text_dim}, {"text_layers", text_layers},
                      {"text_heads", text_heads}, {"max_tokens", max_tokens},
                      {"vocab_size", vocab_size}};
  if (layout_mode > 0) {
    j["layout_mode"] = layout_mode;
    j["layout_dim"] = layout_dim;
    j["planner_dim"] = planner_dim;
    j["planner_layers"] = planner_layers;
    j["planner_heads"] = planner_heads;
    if (planner_relative_positions > 0) j["planner_relative_positions"] = planner_relative_positions;
  }
  return j.dump();
}

Result<PictorMiniConfig> PictorMiniConfig::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return corrupt_data("pictor-mini config is not a JSON object");
  PictorMiniConfig c;
  try {
    c.image_size = j.at("image_size");
    c.in_channels = j.at("in_channels");
    c.out_channels = j.at("out_channels");
    c.patch = j.at("patch");
    c.channels = j.at("channels").get<std::vector<int64_t>>();
    c.attention = j.at("attention").get<std::vector<int64_t>>();
    c.head_dim = j.at("head_dim");
    c.time_dim = j.at("time_dim");
    c.text_dim = j.at("text_dim");
    c.text_layers = j.at("text_layers");
    c.text_heads = j.at("text_heads");
    c.max_tokens = j.at("max_tokens");
    c.vocab_size = j.at("vocab_size");
    c.layout_mode = j.value("layout_mode", int64_t(0));
    c.layout_dim = j.value("layout_dim", c.layout_dim);
    c.planner_dim = j.value("planner_dim", c.planner_dim);
    c.planner_layers = j.value("planner_layers", c.planner_layers);
    c.planner_heads = j.value("planner_heads", c.planner_heads);
    c.planner_relative_positions = j.value("planner_relative_positions", int64_t(0));
  } catch (const nlohmann::json::exception& e) {
    return corrupt_data(std::string("pictor-mini config: ") + e.what());
  }
  if (c.channels.empty() || c.channels.size() != c.attention.size() || c.image_size <= 0 ||
      c.vocab_size <= 0 || c.patch < 1 || c.layout_mode < 0 || c.layout_mode > 2 || c.layout_dim < 1 ||
      c.planner_dim < 1 || c.planner_heads < 1 || c.planner_relative_positions < 0 || c.planner_dim % c.planner_heads != 0 || c.image_size % (c.patch << (c.channels.size() - 1)) != 0)
    return corrupt_data("pictor-mini config has inconsistent sizes");
  return c;
}

namespace {

using namespace mini;

// Residual block conditioned on the time+text embedding through a per-channel scale and shift.
class ResBlockImpl : public nn::Module {
 public:
  ResBlockImpl(int64_t in, int64_t out, int64_t emb_dim) {
    norm1_ = register_module("norm1", group_norm(in));
    conv1_ = register_module("conv1", conv3(in, out));
    emb_ = register_module("emb", nn::Linear(emb_dim, 2 * out));
    norm2_ = register_module("norm2", group_norm(out));
    conv2_ = register_module("conv2", conv3(out, out));
    zero_(*conv2_);  // each block starts as the identity: stable early training
    if (in != out) skip_ = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
  }
  // The 1×1 skip projection. At inference it runs as a per-pixel linear layer in fixed row
  // blocks: oneDNN's 1×1 convolution splits its reduction by thread count, which changed pixels
  // between 1 and 2 threads. x: [N, in, H, W] → [N, out, H, W]
  at::Tensor skip(const at::Tensor& x) {
    if (torch::GradMode::is_enabled()) return skip_(x);
    auto w = skip_->weight.view({skip_->weight.size(0), skip_->weight.size(1)});
    return linear_in_row_blocks(x.permute({0, 2, 3, 1}), w.to(x.dtype()), skip_->bias.to(x.dtype()))
        .permute({0, 3, 1, 2})
        .contiguous();
  }

  // x: [N, in, H, W], emb: [N, emb_dim] → [N, out, H, W]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& emb) {
    auto h = conv1_(torch::silu(norm1_(x)));
    auto ss = emb_(torch::silu(emb)).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
    h = norm2_(h) * (1 + ss[0]) + ss[1];
    h = conv2_(torch::silu(h));
    return (skip_ ? skip(x) : x) + h;
  }

 private:
  nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, skip_{nullptr};
  nn::Linear emb_{nullptr};
};
TORCH_MODULE(ResBlock);

// Image tokens attend to themselves (optional) and to the prompt.
class SpatialTransformerImpl : public nn::Module {
 public:
  SpatialTransformerImpl(int64_t ch, int64_t text_dim, int64_t head_dim, bool self_attention) {
    const int64_t heads = std::max<int64_t>(1, ch / head_dim);
    norm_ = register_module("norm", group_norm(ch));
    if (self_attention) {
      norm_self_ = register_module("norm_self", nn::LayerNorm(nn::LayerNormOptions({ch})));
      self_attn_ = register_module("self_attn", Attention(ch, ch, heads));
    }
    norm_cross_ = register_module("norm_cross", nn::LayerNorm(nn::LayerNormOptions({ch})));
    cross_attn_ = register_module("cross_attn", Attention(ch, text_dim, heads));
    norm_ff_ = register_module("norm_ff", nn::LayerNorm(nn::LayerNormOptions({ch})));
    ff_ = register_module("ff", FeedForward(ch, 2));
    proj_out_ = register_module("proj_out", FastLinear(ch, ch));
    zero_(*proj_out_);
  }
  // x: [N, C, H, W], context: [N, L, D], pad: [N, L] → [N, C, H, W]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context, const at::Tensor& pad) {
    const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    auto t = norm_(x).flatten(2).transpose(1, 2);  // [N, HW, C]
    if (self_attn_) {
      auto s = norm_self_(t);
      t = t + self_attn_(s, s);
    }
    t = t + cross_attn_(norm_cross_(t), context, pad);
    t = t + ff_(norm_ff_(t));
    return x + proj_out_(t).transpose(1, 2).reshape({n, c, h, w});
  }

 private:
  nn::GroupNorm norm_{nullptr};
  nn::LayerNorm norm_self_{nullptr}, norm_cross_{nullptr}, norm_ff_{nullptr};
  Attention self_attn_{nullptr}, cross_attn_{nullptr};
  FeedForward ff_{nullptr};
  FastLinear proj_out_{nullptr};
};
TORCH_MODULE(SpatialTransformer);

// One resolution level: a residual block, optional attention, and the resampling to the next.
class LevelImpl : public nn::Module {
 public:
  LevelImpl(int64_t in, int64_t out, int64_t emb_dim, const PictorMiniConfig& c, int64_t attention,
            int64_t resample_to, bool up) : up_(up) {
    res_ = register_module("res", ResBlock(in, out, emb_dim));
    if (attention > 0)
      attn_ = register_module("attn", SpatialTransformer(out, c.text_dim, c.head_dim, attention > 1));
    if (resample_to > 0) resample_ = register_module("resample", conv3(out, resample_to, up ? 1 : 2));
  }
  at::Tensor forward(at::Tensor h, const at::Tensor& emb, const at::Tensor& ctx,
                     const at::Tensor& pad) {
    h = res_(h, emb);
    if (attn_) h = attn_(h, ctx, pad);
    return h;
  }
  at::Tensor resample(const at::Tensor& h) {
    if (!resample_) return h;
    if (!up_) return resample_(h);
    return resample_(torch::upsample_nearest2d(h, std::vector<int64_t>{h.size(2) * 2, h.size(3) * 2}));
  }

 private:
  bool up_;
  ResBlock res_{nullptr};
  SpatialTransformer attn_{nullptr};
  nn::Conv2d resample_{nullptr};
};
TORCH_MODULE(Level);

}  // namespace

// ---------------------------------------------------------------------------------------------
// Text encoder

TextEncoderImpl::TextEncoderImpl(const PictorMiniConfig& c) {
  token_embedding_ = register_module("token_embedding", nn::Embedding(c.vocab_size, c.text_dim));
  position_embedding_ = register_parameter("position_embedding",
                                           torch::randn({c.max_tokens, c.text_dim}) * 0.02);
  for (int64_t i = 0; i < c.text_layers; ++i) layers_->push_back(TextLayer(c.text_dim, c.text_heads));
  register_module("layers", layers_);
  final_norm_ = register_module("final_norm", nn::LayerNorm(nn::LayerNormOptions({c.text_dim})));
  torch::NoGradGuard g;
  token_embedding_->weight.normal_(0, 0.02);
}

std::pair<at::Tensor, at::Tensor> TextEncoderImpl::forward(const at::Tensor& ids, const at::Tensor& pad) {
  const auto len = ids.size(1);
  auto x = token_embedding_(ids) + position_embedding_.slice(0, 0, len).unsqueeze(0);
  for (auto& layer : *layers_) x = layer->as<TextLayer>()->forward(x, pad);
  x = final_norm_(x);
  auto keep = (~pad).unsqueeze(-1).to(x.dtype());  // [N, L, 1]
  auto pooled = (x * keep).sum(1) / keep.sum(1).clamp_min(1.0);
  return {x, pooled};
}

// ---------------------------------------------------------------------------------------------
// UNet

class UNetImpl : public nn::Module {
 public:
  explicit UNetImpl(const PictorMiniConfig& c) : config_(c) {
    const auto& ch = c.channels;
    const int64_t levels = int64_t(ch.size());
    time_mlp1_ = register_module("time_mlp1", nn::Linear(c.time_dim, c.time_dim));
    time_mlp2_ = register_module("time_mlp2", nn::Linear(c.time_dim, c.time_dim));
    text_proj_ = register_module("text_proj", nn::Linear(c.text_dim, c.time_dim));
    const int64_t in = c.in_channels + (c.layout_mode == 2 ? c.layout_dim + 2 : 0);
    stem_ = register_module("stem", conv3(in * c.patch * c.patch, ch[0]));
    for (int64_t i = 0; i < levels; ++i) {
      down_->push_back(Level(ch[i], ch[i], c.time_dim, c, c.attention[i],
                             i + 1 < levels ? ch[i + 1] : 0, /*up=*/false));
    }
    register_module("down", down_);
    const int64_t deep = ch.back();
    mid_res1_ = register_module("mid_res1", ResBlock(deep, deep, c.time_dim));
    mid_attn_ = register_module("mid_attn", SpatialTransformer(deep, c.text_dim, c.head_dim, true));
    mid_res2_ = register_module("mid_res2", ResBlock(deep, deep, c.time_dim));
    for (int64_t i = 0; i < levels; ++i) {  // up_[i] works at level i (skip concat doubles input)
      up_->push_back(Level(2 * ch[i], ch[i], c.time_dim, c, c.attention[i], i > 0 ? ch[i - 1] : 0,
                           /*up=*/true));
    }
    register_module("up", up_);
    out_norm_ = register_module("out_norm", group_norm(ch[0]));
    out_conv_ = register_module("out_conv", conv3(ch[0], c.out_channels * c.patch * c.patch));
    zero_(*out_conv_);
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& ctx,
                     const at::Tensor& pooled, const at::Tensor& pad) {
    auto emb = time_mlp2_(torch::silu(time_mlp1_(timestep_embedding(t, config_.time_dim).to(x.dtype()))));
    emb = emb + text_proj_(pooled);
    const int64_t levels = int64_t(config_.channels.size());
    std::vector<at::Tensor> skips;
    auto h = stem_(config_.patch > 1 ? torch::pixel_unshuffle(x, config_.patch) : x);
    for (int64_t i = 0; i < levels; ++i) {
      auto* level = down_[i]->as<Level>();
      h = level->forward(h, emb, ctx, pad);
      skips.push_back(h);
      h = level->resample(h);
    }
    h = mid_res2_(mid_attn_(mid_res1_(h, emb), ctx, pad), emb);
    for (int64_t i = levels - 1; i >= 0; --i) {
      auto* level = up_[i]->as<Level>();
      h = level->forward(torch::cat({h, skips[size_t(i)]}, 1), emb, ctx, pad);
      h = level->resample(h);
    }
    auto out = out_conv_(torch::silu(out_norm_(h)));
    return config_.patch > 1 ? torch::pixel_shuffle(out, config_.patch) : out;
  }

 private:
  PictorMiniConfig config_;
  nn::Linear time_mlp1_{nullptr}, time_mlp2_{nullptr}, text_proj_{nullptr};
  nn::Conv2d stem_{nullptr}, out_conv_{nullptr};
  nn::ModuleList down_, up_;
  ResBlock mid_res1_{nullptr}, mid_res2_{nullptr};
  SpatialTransformer mid_attn_{nullptr};
  nn::GroupNorm out_norm_{nullptr};
};

// ---------------------------------------------------------------------------------------------
// Layout conditioning

LayoutInput layout_input(const std::vector<const world::Scene*>& scenes) {
  const int64_t n = int64_t(scenes.size()), k = world::kMaxSceneObjects;
  LayoutInput in;
  in.kind = torch::full({n, k}, int64_t(world::kNumKinds), torch::kLong);
  in.colour = torch::full({n, k}, int64_t(world::kNumColours), torch::kLong);
  in.size = torch::full({n, k}, int64_t(world::kNumSizes), torch::kLong);
  in.box = torch::zeros({n, k, 4});
  in.present = torch::zeros({n, k});
  in.bg_from = torch::zeros({n}, torch::kLong);
  in.bg_to = torch::zeros({n}, torch::kLong);
  in.bg_gradient = torch::zeros({n}, torch::kLong);
  in.has = torch::zeros({n});
  auto kind = in.kind.accessor<int64_t, 2>(), colour = in.colour.accessor<int64_t, 2>(),
       size = in.size.accessor<int64_t, 2>();
  auto box = in.box.accessor<float, 3>();
  auto present = in.present.accessor<float, 2>();
  for (int64_t r = 0; r < n; ++r) {
    const world::Scene* s = scenes[size_t(r)];
    if (!s) continue;
    in.has[r] = 1.0f;
    in.bg_from[r] = int64_t(s->background.from);
    in.bg_to[r] = int64_t(s->background.gradient == world::GradientDirection::kNone ? s->background.from : s->background.to);
    in.bg_gradient[r] = int64_t(s->background.gradient);
    for (size_t j = 0; j < s->objects.size() && int64_t(j) < k; ++j) {
      const world::Object& o = s->objects[j];
      const float rad = world::size_radius(o.size);
      kind[r][int64_t(j)] = world::kind_index(o);
      colour[r][int64_t(j)] = int64_t(o.colour);
      size[r][int64_t(j)] = int64_t(o.size);
      box[r][int64_t(j)][0] = o.cx - rad;
      box[r][int64_t(j)][1] = o.cy - rad;
      box[r][int64_t(j)][2] = o.cx + rad;
      box[r][int64_t(j)][3] = o.cy + rad;
      present[r][int64_t(j)] = 1.0f;
    }
  }
  return in;
}

// Turns planned objects into what the UNet reads: a layout map (mode 2) or grounding tokens
// (mode 1). Each object is the sum of learned embeddings of its kind, colour and size.
class LayoutConditioningImpl : public nn::Module {
 public:
  explicit LayoutConditioningImpl(const PictorMiniConfig& c) : config_(c) {
    const int64_t e = c.layout_dim;
    kind_ = register_module("kind", nn::Embedding(world::kNumKinds + 1, e));
    colour_ = register_module("colour", nn::Embedding(world::kNumColours + 1, e));
    size_ = register_module("size", nn::Embedding(world::kNumSizes + 1, e));
    background_ = register_module("background", nn::Embedding(world::kNumBackgroundColours, e));
    if (c.layout_mode == 1) {
      gradient_ = register_module("gradient", nn::Embedding(3, e));
      object_proj_ = register_module("object_proj", nn::Linear(e, c.text_dim));
      box_proj_ = register_module("box_proj", nn::Linear(4 * 2 * kFrequencies, c.text_dim));
      background_proj_ = register_module("background_proj", nn::Linear(e, c.text_dim));
    }
  }

  at::Tensor objects(const LayoutInput& l) { return kind_(l.kind) + colour_(l.colour) + size_(l.size); }  // [N, K, E]

  // Mode 2. → [N, E + 2, S, S]: inside a box its object's embedding, elsewhere the background's
  // (ends mixed along a gradient); then "inside some box"; then "has a layout".
  at::Tensor map(const LayoutInput& l, int64_t s, const at::TensorOptions& opts) {
    auto grid = (torch::arange(s, opts) + 0.5) / double(s);            // pixel centres
    auto gx = grid.view({1, 1, 1, s}), gy = grid.view({1, 1, s, 1});
    auto box = l.box.to(opts);
    auto x0 = box.select(2, 0).unsqueeze(-1).unsqueeze(-1), y0 = box.select(2, 1).unsqueeze(-1).unsqueeze(-1);
    auto x1 = box.select(2, 2).unsqueeze(-1).unsqueeze(-1), y1 = box.select(2, 3).unsqueeze(-1).unsqueeze(-1);
    auto inside = (gx >= x0).logical_and(gx < x1).logical_and(gy >= y0).logical_and(gy < y1).to(opts.dtype()) *
                  l.present.to(opts).unsqueeze(-1).unsqueeze(-1);            // [N, K, S, S]
    auto obj = objects(l).to(opts);                                          // [N, K, E]
    auto painted = torch::einsum("nkyx,nke->neyx", {inside, obj});           // [N, E, S, S]
    auto any = inside.sum(1, true).clamp_max(1.0);                           // [N, 1, S, S]
    auto from = background_(l.bg_from).to(opts).unsqueeze(-1).unsqueeze(-1);  // [N, E, 1, 1]
    auto to = background_(l.bg_to).to(opts).unsqueeze(-1).unsqueeze(-1);
    auto vertical = l.bg_gradient.eq(1).to(opts.dtype()).view({-1, 1, 1, 1});
    auto horizontal = l.bg_gradient.eq(2).to(opts.dtype()).view({-1, 1, 1, 1});
    auto g = vertical * gy + horizontal * gx;                                // [N, 1, S, S]
    auto bg = from * (1 - g) + to * g;
    auto has = l.has.to(opts).view({-1, 1, 1, 1});
    return torch::cat({(painted + (1 - any) * bg) * has, any * has, has.expand({-1, 1, s, s})}, 1);
  }

  // Mode 1. → tokens [N, K + 1, text_dim] (the objects, then the background) and their padding
  // [N, K + 1] (true = ignore: empty slots, rows without a layout).
  std::pair<at::Tensor, at::Tensor> tokens(const LayoutInput& l, const at::TensorOptions& opts) {
    auto freq = torch::pow(2.0, torch::arange(kFrequencies, opts)) * M_PI;  // [F]
    auto angles = l.box.to(opts).unsqueeze(-1) * freq;                       // [N, K, 4, F]
    auto fourier = torch::cat({angles.sin(), angles.cos()}, -1).flatten(2);  // [N, K, 8F]
    auto obj = object_proj_(objects(l).to(opts)) + box_proj_(fourier);      // [N, K, D]
    auto bg = background_proj_((background_(l.bg_from) + background_(l.bg_to) + gradient_(l.bg_gradient)).to(opts));
    auto slots = torch::cat({obj, bg.unsqueeze(1)}, 1);
    auto none = l.has.lt(0.5).unsqueeze(1);  // [N, 1]
    auto pad = torch::cat({l.present.lt(0.5).logical_or(none), none}, 1);
    return {slots, pad.to(slots.device())};
  }

 private:
  static constexpr int64_t kFrequencies = 6;
  PictorMiniConfig config_;
  nn::Embedding kind_{nullptr}, colour_{nullptr}, size_{nullptr}, background_{nullptr}, gradient_{nullptr};
  nn::Linear object_proj_{nullptr}, box_proj_{nullptr}, background_proj_{nullptr};
};

// ---------------------------------------------------------------------------------------------
// Whole model

PictorMiniImpl::PictorMiniImpl(const PictorMiniConfig& c) : config_(c) {
  text_ = register_module("text", TextEncoder(c));
  unet_ = register_module("unet", std::make_shared<UNetImpl>(c));
  if (c.layout_mode > 0) {
    layout_ = register_module("layout", std::make_shared<LayoutConditioningImpl>(c));
    planner_ = register_module("planner", LayoutPlanner(c));
  }
}

std::pair<at::Tensor, at::Tensor> PictorMiniImpl::encode_text(const at::Tensor& ids, const at::Tensor& pad) {
  return text_(ids, pad);
}

void PictorMiniImpl::set_bf16_training_matmuls(bool on) {
  for (auto& m : modules(/*include_self=*/false))
    if (auto* fast = dynamic_cast<FastLinearImpl*>(m.get())) fast->set_train_bf16(on);
}

void PictorMiniImpl::set_bf16_matmuls(bool on) {
  for (auto& m : modules(/*include_self=*/false))
    if (auto* fast = dynamic_cast<FastLinearImpl*>(m.get())) fast->set_bf16(on);
}

at::Tensor PictorMiniImpl::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                                   const at::Tensor& pooled, const at::Tensor& pad, const LayoutInput& layout) {
  if (config_.layout_mode == 0) return unet_->forward(x, t, context, pooled, pad);
  TORCH_CHECK(layout.defined() && layout.has.size(0) == x.size(0), "pictor-mini: a layout row per image is required");
  if (config_.layout_mode == 2)
    return unet_->forward(torch::cat({x, layout_->map(layout, x.size(2), x.options())}, 1), t, context, pooled, pad);
  auto [slots, slot_pad] = layout_->tokens(layout, context.options());
  return unet_->forward(x, t, torch::cat({context, slots}, 1), pooled, torch::cat({pad, slot_pad}, 1));
}

}  // namespace pictor::engine
