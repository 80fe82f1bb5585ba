#include "engine/models/sd/unet2d.h"

#include <torch/torch.h>

#include <filesystem>

#include "engine/module_io.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine::sd {

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNet2DConfig& c) : config_(c) {
  const auto& ch = c.block_out_channels;
  const int64_t n = int64_t(ch.size());
  const unet::BlockSettings s{c.time_embed_dim, c.norm_num_groups, c.norm_eps, c.use_linear_projection};
  conv_in_ = register_module("conv_in", layers::Conv2d(c.in_channels, ch[0], 3, 1, 1));
  time_embedding_ = register_module("time_embedding", unet::TimestepEmbedding(ch[0], c.time_embed_dim));

  int64_t out = ch[0];
  for (int64_t i = 0; i < n; ++i) {
    const int64_t in = out;
    out = ch[size_t(i)];
    const bool cross = c.down_blocks[size_t(i)] == DownBlockType::kCrossAttnDown;
    down_blocks_->push_back(unet::DownBlock(in, out, c.layers_per_block[size_t(i)], /*add_downsample=*/i < n - 1,
                                            c.downsample_padding, cross ? c.num_heads[size_t(i)] : 0,
                                            c.transformer_layers[size_t(i)], c.cross_attention_dim[size_t(i)], s));
  }
  register_module("down_blocks", down_blocks_);

  if (c.mid_block)
    mid_block_ = register_module("mid_block", unet::MidBlock(ch.back(), c.num_heads.back(), c.transformer_layers.back(),
                                                             c.cross_attention_dim.back(), c.mid_block_scale_factor, s));

  out = ch.back();
  for (int64_t i = 0; i < n; ++i) {
    const size_t r = size_t(n - 1 - i);  // the matching down block
    const int64_t prev_out = out;
    out = ch[r];
    const int64_t in = ch[size_t(std::max<int64_t>(n - 2 - i, 0))];
    const bool cross = c.up_blocks[size_t(i)] == UpBlockType::kCrossAttnUp;
    up_blocks_->push_back(unet::UpBlock(in, out, prev_out, c.layers_per_block[r] + 1, /*add_upsample=*/i < n - 1,
                                        cross ? c.num_heads[r] : 0, c.transformer_layers[r],
                                        c.cross_attention_dim[r], s));
  }
  register_module("up_blocks", up_blocks_);

  conv_norm_out_ = register_module("conv_norm_out", layers::GroupNorm(c.norm_num_groups, ch[0], c.norm_eps));
  conv_out_ = register_module("conv_out", layers::Conv2d(ch[0], c.out_channels, 3, 1, 1));
}

void UNet2DConditionModelImpl::set_dtype(c10::ScalarType dtype) { layers::cast_module(*this, dtype); }

at::Tensor UNet2DConditionModelImpl::forward(const at::Tensor& sample_in, const at::Tensor& timesteps,
                                             const at::Tensor& context_in) {
  TORCH_CHECK(sample_in.dim() == 4 && sample_in.size(1) == config_.in_channels, "UNet sample must be [N, ",
              config_.in_channels, ", H, W]");
  TORCH_CHECK(context_in.dim() == 3 && context_in.size(0) == sample_in.size(0),
              "UNet context must be [N, L, D] with the sample's batch size");
  const auto dtype = this->dtype();
  auto sample = sample_in.to(dtype);
  const auto context = context_in.to(dtype);
  const int64_t batch = sample.size(0);
  TORCH_CHECK(timesteps.dim() == 0 || (timesteps.dim() == 1 && (timesteps.size(0) == batch || timesteps.size(0) == 1)),
              "UNet timesteps must be a scalar or [N]");

  // Total downsampling factor; other sizes make each upsampler match its skip connection's size.
  const int64_t factor = int64_t(1) << (config_.block_out_channels.size() - 1);
  const bool forward_upsample_size = sample.size(2) % factor != 0 || sample.size(3) % factor != 0;

  if (config_.center_input_sample) sample = 2 * sample - 1.0;
  // Time: sinusoidal features in fp32, then the MLP in the model's dtype.
  auto t = timesteps.to(sample.device()).reshape({-1}).expand({batch});
  auto t_features = layers::diffusers_timestep_embedding(t, config_.block_out_channels[0], config_.flip_sin_to_cos,
                                                         config_.freq_shift);
  const auto temb = time_embedding_(t_features.to(dtype));  // [N, time_embed_dim]

  auto h = conv_in_(sample);
  std::vector<at::Tensor> skips{h};
  for (auto& block : *down_blocks_) h = block->as<unet::DownBlockImpl>()->forward(h, temb, context, skips);
  if (mid_block_) h = mid_block_(h, temb, context);
  for (size_t i = 0; i < up_blocks_->size(); ++i) {
    auto* block = up_blocks_[i]->as<unet::UpBlockImpl>();
    std::optional<std::vector<int64_t>> upsample_size;
    const size_t used = size_t(block->num_resnets());
    if (forward_upsample_size && i + 1 < up_blocks_->size() && skips.size() > used) {
      const auto& next = skips[skips.size() - used - 1];
      upsample_size = std::vector<int64_t>{next.size(2), next.size(3)};
    }
    h = block->forward(h, temb, context, skips, upsample_size);
  }
  return conv_out_(conv_norm_out_->forward(h, /*silu=*/true)).contiguous();
}

Result<UNet2DConditionModel> load_unet2d(const std::string& folder) {
  namespace fs = std::filesystem;
  auto config = UNet2DConfig::load((fs::path(folder) / "config.json").string());
  if (!config.is_ok()) return config.status();
  std::string path = (fs::path(folder) / "diffusion_pytorch_model.safetensors").string();
  const auto fp16 = fs::path(folder) / "diffusion_pytorch_model.fp16.safetensors";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) && fs::is_regular_file(fp16, ec)) path = fp16.string();
  auto file = weights::SafetensorsFile::open(path);
  if (!file.is_ok()) return file.status();
  UNet2DConditionModel model(*config);
  PICTOR_RETURN_IF_ERROR(load_module_strict(*model, **file));
  model->eval();
  return model;
}

}  // namespace pictor::engine::sd
