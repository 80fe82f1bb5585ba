#include "engine/models/sd/ldm_keys.h"

#include <charconv>
#include <string_view>

namespace pictor::engine::sd::ldm {

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {
    const size_t dot = s.find('.', begin);
    parts.push_back(s.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  return parts;
}

// parts[from..] joined with '.'
std::string join_from(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (i > from) out += '.';
    out += parts[i];
  }
  return out;
}

std::optional<int64_t> to_index(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "prefix_from.rest" → "prefix_to.rest" when s starts with prefix_from + '.'.
std::optional<std::string> swap_prefix(const std::string& s, std::string_view from, std::string_view to) {
  if (s.size() <= from.size() || !starts_with(s, from) || s[from.size()] != '.') return std::nullopt;
  return std::string(to) + s.substr(from.size());
}

// diffusers ResnetBlock2D → LDM ResBlock (UNet).
std::optional<std::string> unet_resnet(const std::string& rest) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"norm1", "in_layers.0"},      {"conv1", "in_layers.2"},  {"time_emb_proj", "emb_layers.1"},
      {"norm2", "out_layers.0"},     {"conv2", "out_layers.3"}, {"conv_shortcut", "skip_connection"}};
  for (const auto& [from, to] : kMap)
    if (auto r = swap_prefix(rest, from, to)) return r;
  return std::nullopt;
}

Source same(std::string key) { return Source{std::move(key), Source::Kind::kSame, 0, 1}; }

}  // namespace

UNetKeyMap::UNetKeyMap(const UNet2DConfig& c) {
  const size_t n = c.block_out_channels.size();
  int64_t k = 1;  // input_blocks.0 is conv_in
  for (size_t i = 0; i < n; ++i) {
    down_resnet_.emplace_back();
    for (int64_t j = 0; j < c.layers_per_block[i]; ++j) down_resnet_.back().push_back(k++);
    downsampler_.push_back(i + 1 < n ? k++ : -1);
  }
  k = 0;
  for (size_t i = 0; i < n; ++i) {
    up_resnet_.emplace_back();
    const int64_t layers = c.layers_per_block[n - 1 - i] + 1;
    for (int64_t j = 0; j < layers; ++j) up_resnet_.back().push_back(k++);
    upsampler_.push_back(i + 1 < n ? up_resnet_.back().back() : -1);
    // The upsampler sits after the resnet (slot 0) and, in cross-attention blocks, the attention (1).
    upsampler_slot_.push_back(c.up_blocks[i] == UpBlockType::kCrossAttnUp ? 2 : 1);
  }
}

std::optional<Source> UNetKeyMap::operator()(const std::string& name) const {
  const std::string P = kUNetPrefix;
  if (auto r = swap_prefix(name, "conv_in", "input_blocks.0.0")) return same(P + *r);
  if (auto r = swap_prefix(name, "time_embedding.linear_1", "time_embed.0")) return same(P + *r);
  if (auto r = swap_prefix(name, "time_embedding.linear_2", "time_embed.2")) return same(P + *r);
  if (auto r = swap_prefix(name, "conv_norm_out", "out.0")) return same(P + *r);
  if (auto r = swap_prefix(name, "conv_out", "out.2")) return same(P + *r);

  const auto parts = split(name);
  if (parts.size() < 5) return std::nullopt;
  if (parts[0] == "mid_block") {
    auto j = to_index(parts[2]);
    if (!j) return std::nullopt;
    const std::string rest = join_from(parts, 3);
    if (parts[1] == "resnets" && *j <= 1) {
      auto r = unet_resnet(rest);
      if (!r) return std::nullopt;
      return same(P + "middle_block." + (*j == 0 ? "0." : "2.") + *r);
    }
    if (parts[1] == "attentions" && *j == 0) return same(P + "middle_block.1." + rest);
    return std::nullopt;
  }
  const bool down = parts[0] == "down_blocks", up = parts[0] == "up_blocks";
  if (!down && !up) return std::nullopt;
  auto i = to_index(parts[1]), j = to_index(parts[3]);
  const auto& resnet_table = down ? down_resnet_ : up_resnet_;
  if (!i || !j || *i >= int64_t(resnet_table.size())) return std::nullopt;
  const std::string blocks = P + (down ? "input_blocks." : "output_blocks.");
  const std::string rest = join_from(parts, 4);
  const auto& layer = resnet_table[*i];
  if (parts[2] == "resnets" || parts[2] == "attentions") {
    if (*j >= int64_t(layer.size())) return std::nullopt;
    const std::string block = blocks + std::to_string(layer[*j]);
    if (parts[2] == "attentions") return same(block + ".1." + rest);
    auto r = unet_resnet(rest);
    if (!r) return std::nullopt;
    return same(block + ".0." + *r);
  }
  if (*j != 0 || parts[4] != "conv") return std::nullopt;
  const std::string tail = join_from(parts, 5);  // weight / bias
  if (down && parts[2] == "downsamplers" && downsampler_[*i] >= 0)
    return same(blocks + std::to_string(downsampler_[*i]) + ".0.op." + tail);
  if (up && parts[2] == "upsamplers" && upsampler_[*i] >= 0)
    return same(blocks + std::to_string(upsampler_[*i]) + "." + std::to_string(upsampler_slot_[*i]) +
                ".conv." + tail);
  return std::nullopt;
}

std::optional<Source> vae_key(const std::string& name, size_t num_blocks) {
  const std::string P = kVaePrefix;
  if (starts_with(name, "quant_conv.") || starts_with(name, "post_quant_conv.")) return same(P + name);
  const auto parts = split(name);
  if (parts.size() < 3 || (parts[0] != "encoder" && parts[0] != "decoder")) return std::nullopt;
  const std::string side = P + parts[0] + ".";
  const std::string rest1 = join_from(parts, 1);
  if (auto r = swap_prefix(rest1, "conv_norm_out", "norm_out")) return same(side + *r);
  if (parts[1] == "conv_in" || parts[1] == "conv_out") return same(side + rest1);

  auto resnet = [](const std::string& rest) -> std::optional<std::string> {
    if (auto r = swap_prefix(rest, "conv_shortcut", "nin_shortcut")) return r;
    for (const char* keep : {"norm1", "conv1", "norm2", "conv2"})
      if (swap_prefix(rest, keep, keep)) return rest;
    return std::nullopt;
  };
  if (parts.size() < 5) return std::nullopt;
  if (parts[1] == "mid_block") {
    // {encoder,decoder}.mid_block.{resnets,attentions}.J.<rest>
    auto j = to_index(parts[3]);
    if (!j) return std::nullopt;
    const std::string rest = join_from(parts, 4);
    if (parts[2] == "resnets" && *j <= 1) {
      auto r = resnet(rest);
      if (!r) return std::nullopt;
      return same(side + "mid.block_" + std::to_string(*j + 1) + "." + *r);
    }
    if (parts[2] != "attentions" || *j != 0) return std::nullopt;
    const std::string attn = side + "mid.attn_1.";
    if (auto r = swap_prefix(rest, "group_norm", "norm")) return same(attn + *r);
    static const std::pair<const char*, const char*> kProj[] = {
        {"to_q", "q"}, {"to_k", "k"}, {"to_v", "v"}, {"to_out.0", "proj_out"}};
    for (const auto& [from, to] : kProj)
      if (auto r = swap_prefix(rest, from, to)) return Source{attn + *r, Source::Kind::kSqueeze, 0, 1};
    return std::nullopt;
  }
  // {encoder.down_blocks, decoder.up_blocks}.I.{resnets.J, downsamplers.0, upsamplers.0}.<rest>
  const bool enc = parts[0] == "encoder";
  if (parts[1] != (enc ? "down_blocks" : "up_blocks") || parts.size() < 6) return std::nullopt;
  auto i = to_index(parts[2]), j = to_index(parts[4]);
  if (!i || !j || *i >= int64_t(num_blocks)) return std::nullopt;
  // The decoder's LDM "up" list is indexed finest first, diffusers' up_blocks coarsest first.
  const int64_t level = enc ? *i : int64_t(num_blocks) - 1 - *i;
  const std::string block = side + (enc ? "down." : "up.") + std::to_string(level) + ".";
  const std::string rest = join_from(parts, 5);
  if (parts[3] == "resnets") {
    auto r = resnet(rest);
    if (!r) return std::nullopt;
    return same(block + "block." + std::to_string(*j) + "." + *r);
  }
  if (*j == 0 && parts[3] == (enc ? "downsamplers" : "upsamplers") && parts[5] == "conv")
    return same(block + (enc ? "downsample." : "upsample.") + rest);
  return std::nullopt;
}

std::optional<Source> clip_key(const std::string& name, bool text_model_infix) {
  if (!starts_with(name, "text_model.")) return std::nullopt;
  return same(std::string(kClipPrefix) + (text_model_infix ? name : name.substr(11)));
}

std::optional<Source> open_clip_key(const std::string& name) {
  const std::string P = kOpenClipPrefix;
  if (name == "text_model.embeddings.token_embedding.weight") return same(P + "token_embedding.weight");
  if (name == "text_model.embeddings.position_embedding.weight") return same(P + "positional_embedding");
  if (auto r = swap_prefix(name, "text_model.final_layer_norm", "ln_final")) return same(P + *r);
  const auto parts = split(name);
  // text_model.encoder.layers.N.<module>.<param>
  if (parts.size() < 6 || parts[0] != "text_model" || parts[1] != "encoder" || parts[2] != "layers")
    return std::nullopt;
  auto n = to_index(parts[3]);
  if (!n) return std::nullopt;
  const std::string block = P + "transformer.resblocks." + std::to_string(*n) + ".";
  const std::string rest = join_from(parts, 4);
  static const std::pair<const char*, const char*> kMap[] = {
      {"layer_norm1", "ln_1"}, {"layer_norm2", "ln_2"},          {"self_attn.out_proj", "attn.out_proj"},
      {"mlp.fc1", "mlp.c_fc"}, {"mlp.fc2", "mlp.c_proj"}};
  for (const auto& [from, to] : kMap)
    if (auto r = swap_prefix(rest, from, to)) return same(block + *r);
  static const char* kQkv[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"};
  for (int c = 0; c < 3; ++c) {
    auto r = swap_prefix(rest, kQkv[c], "");
    if (!r) continue;
    const std::string param = r->substr(1);  // "weight" / "bias"
    if (param != "weight" && param != "bias") return std::nullopt;
    return Source{block + "attn.in_proj_" + param, Source::Kind::kChunk, c, 3};
  }
  return std::nullopt;
}

}  // namespace pictor::engine::sd::ldm
