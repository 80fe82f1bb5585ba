#include "engine/models/sd/clip_text.h"

#include <torch/torch.h>

#include <filesystem>
#include <limits>

#include "engine/models/sd/sd_layers.h"
#include "engine/module_io.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine::sd {

namespace {

using layers::LayerNorm;
using layers::Linear;

class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int64_t dim, int64_t heads) : heads_(heads) {
    q_proj_ = register_module("q_proj", Linear(dim, dim));
    k_proj_ = register_module("k_proj", Linear(dim, dim));
    v_proj_ = register_module("v_proj", Linear(dim, dim));
    out_proj_ = register_module("out_proj", Linear(dim, dim));
  }
  // x: [N, L, D], mask: additive [L, L] → [N, L, D]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask) {
    auto split = [&](const at::Tensor& t) {  // [N, L, D] → [N, H, L, D/H]
      return t.view({t.size(0), t.size(1), heads_, -1}).transpose(1, 2);
    };
    auto o = layers::attention(split(q_proj_(x)), split(k_proj_(x)), split(v_proj_(x)), mask);
    return out_proj_(o.transpose(1, 2).reshape({x.size(0), x.size(1), -1}));
  }

 private:
  int64_t heads_;
  Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, out_proj_{nullptr};
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(int64_t dim, int64_t hidden, ClipActivation act) : act_(act) {
    fc1_ = register_module("fc1", Linear(dim, hidden));
    fc2_ = register_module("fc2", Linear(hidden, dim));
  }
  // x: [N, L, D] → [N, L, D]
  at::Tensor forward(const at::Tensor& x) {
    auto h = fc1_(x);
    switch (act_) {
      case ClipActivation::kQuickGelu: h = h * torch::sigmoid(h * 1.702); break;
      case ClipActivation::kGelu: h = torch::gelu(h); break;
      case ClipActivation::kGeluTanh: h = torch::gelu(h, "tanh"); break;
    }
    return fc2_(h);
  }

 private:
  ClipActivation act_;
  Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextConfig& c) {
    self_attn_ = register_module("self_attn", ClipAttention(c.hidden_size, c.num_heads));
    layer_norm1_ = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps));
    mlp_ = register_module("mlp", ClipMlp(c.hidden_size, c.intermediate_size, c.act));
    layer_norm2_ = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  // x: [N, L, D], mask: additive [L, L] → [N, L, D]
  at::Tensor forward(at::Tensor x, const at::Tensor& mask) {
    x = x + self_attn_(layer_norm1_(x), mask);
    return x + mlp_(layer_norm2_(x));
  }

 private:
  ClipAttention self_attn_{nullptr};
  LayerNorm layer_norm1_{nullptr}, layer_norm2_{nullptr};
  ClipMlp mlp_{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipEmbeddingsImpl : public torch::nn::Module {
 public:
  ClipEmbeddingsImpl(const ClipTextConfig& c, bool position_ids_buffer) {
    token_embedding_ = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
    position_embedding_ =
        register_module("position_embedding", torch::nn::Embedding(c.max_positions, c.hidden_size));
    if (position_ids_buffer)
      register_buffer("position_ids", torch::arange(c.max_positions, torch::kLong).unsqueeze(0));
  }
  // ids: [N, L] → [N, L, D]
  at::Tensor forward(const at::Tensor& ids) {
    auto pos = position_embedding_->weight.slice(0, 0, ids.size(1)).unsqueeze(0);
    return token_embedding_(ids) + pos;
  }

 private:
  torch::nn::Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
};
TORCH_MODULE(ClipEmbeddings);

class ClipEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderImpl(const ClipTextConfig& c) {
    for (int64_t i = 0; i < c.num_layers; ++i) layers_->push_back(ClipEncoderLayer(c));
    register_module("layers", layers_);
  }
  ClipEncoderLayerImpl& layer(size_t i) { return *layers_[i]->as<ClipEncoderLayerImpl>(); }
  size_t size() const { return layers_->size(); }

 private:
  torch::nn::ModuleList layers_;
};
TORCH_MODULE(ClipEncoder);

}  // namespace

class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  ClipTextTransformerImpl(const ClipTextConfig& c, bool position_ids_buffer) {
    embeddings = register_module("embeddings", ClipEmbeddings(c, position_ids_buffer));
    encoder = register_module("encoder", ClipEncoder(c));
    final_layer_norm = register_module("final_layer_norm", LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  ClipEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  LayerNorm final_layer_norm{nullptr};
};

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& config, bool position_ids_buffer)
    : config_(config) {
  text_model_ = register_module("text_model", std::make_shared<ClipTextTransformerImpl>(config, position_ids_buffer));
}

void ClipTextModelImpl::set_dtype(c10::ScalarType dtype) { layers::cast_module(*this, dtype); }

ClipTextOutput ClipTextModelImpl::forward(const at::Tensor& ids, int64_t clip_skip, bool keep_hidden_states) {
  TORCH_CHECK(ids.dim() == 2 && ids.size(1) <= config_.max_positions, "CLIP ids must be [N, L<=",
              config_.max_positions, "]");
  const int64_t layers = int64_t(text_model_->encoder->size());
  TORCH_CHECK(clip_skip >= 0 && clip_skip < layers, "clip_skip must be in [0, ", layers, ")");
  auto& tm = *text_model_;
  auto x = tm.embeddings(ids);  // [N, L, D]
  const int64_t len = ids.size(1);
  // Causal mask: position i sees positions <= i.
  auto mask = torch::full({len, len}, -std::numeric_limits<float>::infinity(),
                          torch::TensorOptions().dtype(torch::kFloat).device(x.device()))
                  .triu(1);
  ClipTextOutput out;
  if (keep_hidden_states) out.hidden_states.push_back(x);
  at::Tensor skip_input;
  for (int64_t i = 0; i < layers; ++i) {
    x = tm.encoder->layer(size_t(i)).forward(x, mask);
    if (keep_hidden_states) out.hidden_states.push_back(x);
    if (i == layers - 1 - clip_skip) skip_input = x;
  }
  out.last_hidden_state = tm.final_layer_norm(x);
  out.skip_hidden_state = clip_skip == 0 ? out.last_hidden_state : tm.final_layer_norm(skip_input);
  // transformers: with the legacy eos_token_id 2, pool at argmax(ids) (the end-of-text token has
  // the highest id of the CLIP vocabulary); otherwise at the first eos_token_id.
  auto index = config_.eos_token_id == 2 ? ids.to(torch::kInt).argmax(-1)
                                         : ids.eq(config_.eos_token_id).to(torch::kInt).argmax(-1);
  out.pooled = out.last_hidden_state.index({torch::arange(ids.size(0), ids.options().dtype(torch::kLong)), index});
  return out;
}

Result<ClipTextModel> load_clip_text_model(const std::string& folder) {
  namespace fs = std::filesystem;
  auto config = ClipTextConfig::load((fs::path(folder) / "config.json").string());
  if (!config.is_ok()) return config.status();
  std::string path = (fs::path(folder) / "model.safetensors").string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) && fs::is_regular_file(fs::path(folder) / "model.fp16.safetensors", ec))
    path = (fs::path(folder) / "model.fp16.safetensors").string();
  auto file = weights::SafetensorsFile::open(path);
  if (!file.is_ok()) return file.status();
  const bool position_ids = (*file)->find("text_model.embeddings.position_ids") != nullptr;
  ClipTextModel model(*config, position_ids);
  PICTOR_RETURN_IF_ERROR(load_module_strict(*model, **file));
  model->eval();
  return model;
}

}  // namespace pictor::engine::sd
