#include "engine/models/pictor_mini_file.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/image.h"
#include "engine/module_io.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine {

Result<PictorMiniFile> load_pictor_mini(const std::string& path) {
  auto file = weights::SafetensorsFile::open(path);
  if (!file.is_ok()) return file.status();
  const auto& meta = (*file)->metadata();
  auto get = [&](const char* key) -> const std::string* {
    auto it = meta.find(key);
    return it == meta.end() ? nullptr : &it->second;
  };
  const std::string* family = get("pictor.family");
  if (!family || *family != "pictor-mini")
    return unsupported(path + " is not a pictor-mini weights file (metadata pictor.family is " +
                       (family ? "'" + *family + "'" : std::string("missing")) + ")");
  const std::string* config_json = get("pictor.config");
  const std::string* vocab_json = get("pictor.vocab");
  if (!config_json || !vocab_json)
    return corrupt_data(path + ": metadata pictor.config or pictor.vocab is missing");
  auto config = PictorMiniConfig::from_json(*config_json);
  if (!config.is_ok()) return Status(config.status().code(), path + ": " + config.status().message());
  PictorMiniFile out;
  auto vocab = nlohmann::json::parse(*vocab_json, nullptr, false);
  if (!vocab.is_array()) return corrupt_data(path + ": pictor.vocab is not a JSON list");
  for (const auto& w : vocab) {
    if (!w.is_string()) return corrupt_data(path + ": pictor.vocab holds a non-string");
    out.vocabulary.push_back(w.get<std::string>());
  }
  out.model = PictorMini(*config);
  PICTOR_RETURN_IF_ERROR(load_module_strict(*out.model, **file));
  out.model->eval();
  out.metadata = meta;
  return out;
}

Status save_pictor_mini(PictorMini& model, const std::vector<std::string>& vocabulary,
                        const std::map<std::string, std::string>& metadata, c10::ScalarType dtype,
                        const std::string& path) {
  weights::SafetensorsWriter writer;
  for (const auto& [k, v] : metadata) writer.set_metadata(k, v);
  writer.set_metadata("pictor.family", "pictor-mini");
  writer.set_metadata("pictor.config", model->config().to_json());
  writer.set_metadata("pictor.vocab", nlohmann::json(vocabulary).dump());
  add_module_tensors(*model, writer, dtype);
  return writer.write(path);
}

at::Tensor image_to_tensor(const Image& image) {
  Image rgb = convert_channels(image, 3);
  auto t = torch::from_blob(rgb.pixels.data(), {rgb.height, rgb.width, 3}, torch::kUInt8);
  return t.permute({2, 0, 1}).to(torch::kFloat).div(127.5).sub(1.0).contiguous();
}

Image tensor_to_image(const at::Tensor& chw) {
  auto t = chw.detach().to(torch::kFloat).add(1.0).mul(127.5).round().clamp(0, 255)
               .to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  Image img(int(t.size(1)), int(t.size(0)), 3);
  std::memcpy(img.pixels.data(), t.data_ptr<uint8_t>(), img.pixels.size());
  return img;
}

at::Tensor pictor_mini_input(const at::Tensor& noisy, const at::Tensor& source, const at::Tensor& mask,
                             const at::Tensor& has_source) {
  const auto n = noisy.size(0), h = noisy.size(2), w = noisy.size(3);
  auto opts = noisy.options();
  auto src = source.defined() ? source.to(noisy.dtype()) : torch::zeros({n, 3, h, w}, opts);
  auto m = mask.defined() ? mask.to(noisy.dtype()) : torch::ones({n, 1, h, w}, opts);
  auto flag = has_source.defined()
                  ? has_source.to(noisy.dtype()).view({n, 1, 1, 1}).expand({n, 1, h, w})
                  : torch::full({n, 1, h, w}, source.defined() ? 1.0 : 0.0, opts);
  return torch::cat({noisy, src, m, flag}, 1);
}

}  // namespace pictor::engine
