#include "engine/models/sd/sd_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <system_error>
#include <filesystem>

namespace pictor::engine::sd {

using nlohmann::json;

Result<std::string> read_text_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("no such file: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return io_error("cannot read " + path);
  return s.str();
}

namespace {

// A key's value, or `def` when the key is absent or null (diffusers/transformers treat both
// as "use the default").
template <typename T>
T get_or(const json& j, const char* key, T def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  return it->get<T>();
}

// An int-or-list config value expanded to one entry per block.
std::vector<int64_t> per_block(const json& j, const char* key, int64_t def, size_t blocks) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::vector<int64_t>(blocks, def);
  if (it->is_array()) return it->get<std::vector<int64_t>>();
  return std::vector<int64_t>(blocks, it->get<int64_t>());
}

bool is_set(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>());
}

}  // namespace

Result<ClipTextConfig> ClipTextConfig::from_json(const std::string& text) {
  auto root = json::parse(text, nullptr, false);
  if (!root.is_object()) return corrupt_data("text encoder config is not a JSON object");
  const json& j = root.contains("text_config") && root["text_config"].is_object() ? root["text_config"] : root;
  ClipTextConfig c;
  try {
    c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
    c.num_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_layers);
    c.num_heads = get_or<int64_t>(j, "num_attention_heads", c.num_heads);
    c.intermediate_size = get_or<int64_t>(j, "intermediate_size", c.intermediate_size);
    c.layer_norm_eps = get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
    c.max_positions = get_or<int64_t>(j, "max_position_embeddings", c.max_positions);
    c.vocab_size = get_or<int64_t>(j, "vocab_size", c.vocab_size);
    c.bos_token_id = get_or<int64_t>(j, "bos_token_id", c.bos_token_id);
    c.eos_token_id = get_or<int64_t>(j, "eos_token_id", c.eos_token_id);
    c.pad_token_id = get_or<int64_t>(j, "pad_token_id", c.pad_token_id);
    const auto act = get_or<std::string>(j, "hidden_act", "quick_gelu");
    if (act == "quick_gelu") c.act = ClipActivation::kQuickGelu;
    else if (act == "gelu") c.act = ClipActivation::kGelu;
    else if (act == "gelu_new" || act == "gelu_pytorch_tanh") c.act = ClipActivation::kGeluTanh;
    else return unsupported("text encoder config: hidden_act \"" + act + "\" is not supported");
  } catch (const json::exception& e) {
    return corrupt_data(std::string("text encoder config: ") + e.what());
  }
  if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.hidden_size % c.num_heads != 0 ||
      c.intermediate_size <= 0 || c.max_positions <= 0 || c.vocab_size <= 0)
    return corrupt_data("text encoder config has inconsistent sizes");
  return c;
}

Result<ClipTextConfig> ClipTextConfig::load(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.is_ok()) return text.status();
  auto c = from_json(*text);
  if (!c.is_ok()) return Status(c.status().code(), path + ": " + c.status().message());
  return c;
}

Result<UNet2DConfig> UNet2DConfig::from_json(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return corrupt_data("UNet config is not a JSON object");
  UNet2DConfig c;
  try {
    // Options that change the architecture beyond what is implemented here.
    for (const char* key : {"addition_embed_type", "class_embed_type", "num_class_embeds",
                            "encoder_hid_dim", "encoder_hid_dim_type", "time_cond_proj_dim",
                            "timestep_post_act", "time_embedding_act_fn", "cross_attention_norm",
                            "reverse_transformer_layers_per_block", "only_cross_attention",
                            "dual_cross_attention", "resnet_skip_time_act", "class_embeddings_concat",
                            "mid_block_only_cross_attention"})
      if (is_set(j, key)) return unsupported("UNet config: " + std::string(key) + " is not supported");
    auto expect = [&](const char* key, const json& want) -> Status {
      auto it = j.find(key);
      if (it != j.end() && !it->is_null() && *it != want)
        return unsupported("UNet config: " + std::string(key) + "=" + it->dump() + " is not supported");
      return Status::ok();
    };
    PICTOR_RETURN_IF_ERROR(expect("act_fn", "silu"));
    PICTOR_RETURN_IF_ERROR(expect("resnet_time_scale_shift", "default"));
    PICTOR_RETURN_IF_ERROR(expect("time_embedding_type", "positional"));
    PICTOR_RETURN_IF_ERROR(expect("attention_type", "default"));
    PICTOR_RETURN_IF_ERROR(expect("conv_in_kernel", 3));
    PICTOR_RETURN_IF_ERROR(expect("conv_out_kernel", 3));
    PICTOR_RETURN_IF_ERROR(expect("resnet_out_scale_factor", 1.0));

    c.in_channels = get_or<int64_t>(j, "in_channels", c.in_channels);
    c.out_channels = get_or<int64_t>(j, "out_channels", c.out_channels);
    c.sample_size = get_or<int64_t>(j, "sample_size", c.sample_size);
    c.center_input_sample = get_or<bool>(j, "center_input_sample", false);
    c.flip_sin_to_cos = get_or<bool>(j, "flip_sin_to_cos", true);
    c.freq_shift = get_or<double>(j, "freq_shift", 0.0);
    c.block_out_channels =
        get_or<std::vector<int64_t>>(j, "block_out_channels", {320, 640, 1280, 1280});
    const size_t n = c.block_out_channels.size();
    for (const auto& t : get_or<std::vector<std::string>>(
             j, "down_block_types",
             {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"})) {
      if (t == "CrossAttnDownBlock2D") c.down_blocks.push_back(DownBlockType::kCrossAttnDown);
      else if (t == "DownBlock2D") c.down_blocks.push_back(DownBlockType::kDown);
      else return unsupported("UNet config: down block type " + t + " is not supported");
    }
    for (const auto& t : get_or<std::vector<std::string>>(
             j, "up_block_types",
             {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"})) {
      if (t == "CrossAttnUpBlock2D") c.up_blocks.push_back(UpBlockType::kCrossAttnUp);
      else if (t == "UpBlock2D") c.up_blocks.push_back(UpBlockType::kUp);
      else return unsupported("UNet config: up block type " + t + " is not supported");
    }
    // Absent means the default mid block; an explicit null means none.
    auto mid = j.find("mid_block_type");
    if (mid != j.end()) {
      if (mid->is_null()) c.mid_block = false;
      else if (mid->get<std::string>() != "UNetMidBlock2DCrossAttn")
        return unsupported("UNet config: mid block type " + mid->get<std::string>() + " is not supported");
    }
    c.layers_per_block = per_block(j, "layers_per_block", 2, n);
    // The naming quirk (diffusers issue 2011): attention_head_dim holds the number of heads.
    c.num_heads = j.contains("num_attention_heads") && !j["num_attention_heads"].is_null()
                      ? per_block(j, "num_attention_heads", 8, n)
                      : per_block(j, "attention_head_dim", 8, n);
    c.transformer_layers = per_block(j, "transformer_layers_per_block", 1, n);
    c.cross_attention_dim = per_block(j, "cross_attention_dim", 1280, n);
    c.downsample_padding = get_or<int64_t>(j, "downsample_padding", 1);
    c.mid_block_scale_factor = get_or<double>(j, "mid_block_scale_factor", 1.0);
    auto groups = j.find("norm_num_groups");
    if (groups != j.end() && groups->is_null())
      return unsupported("UNet config: norm_num_groups null is not supported");
    c.norm_num_groups = get_or<int64_t>(j, "norm_num_groups", 32);
    c.norm_eps = get_or<double>(j, "norm_eps", 1e-5);
    c.use_linear_projection = get_or<bool>(j, "use_linear_projection", false);
    c.upcast_attention = get_or<bool>(j, "upcast_attention", false);
    c.time_embed_dim = get_or<int64_t>(j, "time_embedding_dim", 0);
    if (!c.block_out_channels.empty() && c.time_embed_dim == 0) c.time_embed_dim = c.block_out_channels[0] * 4;
  } catch (const json::exception& e) {
    return corrupt_data(std::string("UNet config: ") + e.what());
  }
  const size_t n = c.block_out_channels.size();
  if (n == 0 || c.down_blocks.size() != n || c.up_blocks.size() != n || c.layers_per_block.size() != n ||
      c.num_heads.size() != n || c.transformer_layers.size() != n || c.cross_attention_dim.size() != n)
    return corrupt_data("UNet config: block lists have different lengths");
  for (size_t i = 0; i < n; ++i) {
    const int64_t ch = c.block_out_channels[i];
    if (ch <= 0 || c.num_heads[i] <= 0 || ch % c.num_heads[i] != 0 || ch % c.norm_num_groups != 0 ||
        c.layers_per_block[i] <= 0 || c.transformer_layers[i] <= 0)
      return corrupt_data("UNet config: inconsistent sizes in block " + std::to_string(i));
  }
  if (c.in_channels <= 0 || c.out_channels <= 0 || c.norm_num_groups <= 0)
    return corrupt_data("UNet config has inconsistent sizes");
  return c;
}

Result<UNet2DConfig> UNet2DConfig::load(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.is_ok()) return text.status();
  auto c = from_json(*text);
  if (!c.is_ok()) return Status(c.status().code(), path + ": " + c.status().message());
  return c;
}

}  // namespace pictor::engine::sd
