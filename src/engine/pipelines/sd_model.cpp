#include "engine/pipelines/sd_model.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pictor::engine::sd {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

Result<json> read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return not_found("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const std::exception& e) {
    return corrupt_data(path.string() + " is not valid JSON: " + e.what());
  }
}

// The class a model_index.json entry names: ["diffusers", "EulerDiscreteScheduler"] → the second.
std::string component_class(const json& index, const char* key) {
  auto it = index.find(key);
  if (it == index.end() || !it->is_array() || it->size() != 2 || !(*it)[1].is_string()) return "";
  return (*it)[1].get<std::string>();
}

Status prefix(const Status& s, const std::string& what) {
  return Status(s.code(), what + ": " + s.message());
}

}  // namespace

bool is_diffusers_folder(const std::string& folder) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(folder) / "model_index.json", ec);
}

std::string find_taesd_folder(const std::string& model_folder) {
  std::error_code ec;
  const fs::path base = fs::path(model_folder).lexically_normal();
  for (const fs::path& dir : {base / "taesd", base.parent_path() / "taesd"})
    if (fs::is_regular_file(dir / "config.json", ec)) return dir.string();
  return "";
}

Result<SdModel> load_sd_folder(const std::string& folder) {
  const fs::path root(folder);
  auto index = read_json(root / "model_index.json");
  if (!index.is_ok())
    return invalid_argument(folder + " is not a model: no model_index.json (expected a diffusers Stable-Diffusion "
                            "folder with model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/)");
  const std::string cls = index->value("_class_name", "");
  if (cls != "StableDiffusionPipeline" && cls != "StableDiffusionImg2ImgPipeline" &&
      cls != "StableDiffusionInpaintPipeline") {
    if (cls.find("XL") != std::string::npos || cls.find("3") != std::string::npos || cls.find("Flux") != std::string::npos)
      return unsupported(folder + ": " + (cls.empty() ? "unknown pipeline" : cls) +
                         " is not supported yet (Stable Diffusion 1.x / 2.x / Turbo only)");
    return unsupported(folder + ": pipeline class \"" + cls +
                       "\" is not supported (expected StableDiffusionPipeline)");
  }
  const std::string te_class = component_class(*index, "text_encoder");
  if (!te_class.empty() && te_class != "CLIPTextModel")
    return unsupported(folder + ": text encoder \"" + te_class + "\" is not supported (CLIPTextModel only)");

  std::error_code ec;
  for (const char* sub : {"unet", "vae", "text_encoder", "scheduler"})
    if (!fs::is_directory(root / sub, ec)) return not_found(folder + ": the model folder has no " + sub + "/ folder");
  const fs::path tok = root / "tokenizer";
  for (const char* f : {"vocab.json", "merges.txt"})
    if (!fs::is_regular_file(tok / f, ec))
      return not_found(folder + ": tokenizer file tokenizer/" + f + " is missing (the CLIP tokenizer needs vocab.json and merges.txt)");

  SdModel m;
  m.folder = folder;
  auto tokenizer = ClipTokenizer::load(tok.string());
  if (!tokenizer.is_ok()) return prefix(tokenizer.status(), (tok).string());
  m.tokenizer = std::move(*tokenizer);

  auto sched_path = root / "scheduler" / "scheduler_config.json";
  auto sched = DiscreteScheduleConfig::load(sched_path.string());
  if (!sched.is_ok()) return prefix(sched.status(), sched_path.string());
  m.scheduler = *sched;
  if (auto sj = read_json(sched_path); sj.is_ok()) m.scheduler_class = sj->value("_class_name", "");
  if (m.scheduler_class.empty()) m.scheduler_class = component_class(*index, "scheduler");

  auto te = load_clip_text_model((root / "text_encoder").string());
  if (!te.is_ok()) return prefix(te.status(), "text_encoder");
  m.text_encoder = *te;
  auto unet = load_unet2d((root / "unet").string());
  if (!unet.is_ok()) return prefix(unet.status(), "unet");
  m.unet = *unet;
  if (m.unet->config().in_channels != 4)
    return unsupported(folder + ": a UNet with " + std::to_string(m.unet->config().in_channels) +
                       " input channels (inpainting-specific models) is not supported yet");
  auto vae = load_autoencoder_kl((root / "vae").string());
  if (!vae.is_ok()) return prefix(vae.status(), "vae");
  m.vae = *vae;

  m.taesd_folder = find_taesd_folder(folder);
  if (!m.taesd_folder.empty()) {
    auto taesd = load_autoencoder_tiny(m.taesd_folder);
    if (!taesd.is_ok()) return prefix(taesd.status(), m.taesd_folder);
    m.taesd = *taesd;
  }
  m.text_encoder->eval();
  m.unet->eval();
  m.vae->eval();
  if (m.taesd) m.taesd->eval();
  return m;
}

}  // namespace pictor::engine::sd

#if __has_include("engine/models/sd/single_file.h")
#include "engine/models/sd/single_file.h"
#define PICTOR_HAVE_SINGLE_FILE 1
#endif

namespace pictor::engine::sd {

Result<SdModel> load_sd_single_file(const std::string& path) {
#ifdef PICTOR_HAVE_SINGLE_FILE
  const fs::path dir = fs::path(path).parent_path();
  // Sizes the weights cannot tell (heads, group counts) come from a diffusers folder's configs
  // beside the file, where there is one.
  SingleFileOptions options;
  std::error_code ec;
  if (fs::is_regular_file(dir / "unet" / "config.json", ec) || fs::is_regular_file(dir / "text_encoder" / "config.json", ec) ||
      fs::is_regular_file(dir / "vae" / "config.json", ec)) {
    auto hints = SingleFileHints::from_diffusers_folder(dir.string());
    if (!hints.is_ok()) return hints.status();
    options.hints = *hints;
  }
  auto loaded = load_single_file(path, options);
  if (!loaded.is_ok()) return loaded.status();
  SdModel m;
  m.folder = dir.string();
  m.text_encoder = loaded->text_encoder;
  m.unet = loaded->unet;
  m.vae = loaded->vae;
  auto tokenizer = ClipTokenizer::load(loaded->tokenizer_folder);
  if (!tokenizer.is_ok()) return prefix(tokenizer.status(), loaded->tokenizer_folder);
  m.tokenizer = std::move(*tokenizer);
  const fs::path sched_path = dir / "scheduler" / "scheduler_config.json";
  if (fs::is_regular_file(sched_path, ec)) {
    auto sched = DiscreteScheduleConfig::load(sched_path.string());
    if (!sched.is_ok()) return prefix(sched.status(), sched_path.string());
    m.scheduler = *sched;
    if (auto sj = read_json(sched_path); sj.is_ok()) m.scheduler_class = sj->value("_class_name", "");
  } else {
    m.scheduler.beta_schedule = BetaSchedule::kScaledLinear;
    m.scheduler.beta_start = 0.00085;
    m.scheduler.beta_end = 0.012;
    m.scheduler.timestep_spacing = TimestepSpacing::kLeading;
    m.scheduler.steps_offset = 1;
    m.scheduler_class = "PNDMScheduler";
  }
  if (m.unet->config().in_channels != 4)
    return unsupported(path + ": a UNet with " + std::to_string(m.unet->config().in_channels) +
                       " input channels (inpainting-specific models) is not supported yet");
  m.taesd_folder = find_taesd_folder(dir.string());
  if (!m.taesd_folder.empty()) {
    auto taesd = load_autoencoder_tiny(m.taesd_folder);
    if (!taesd.is_ok()) return prefix(taesd.status(), m.taesd_folder);
    m.taesd = *taesd;
    m.taesd->eval();
  }
  m.text_encoder->eval();
  m.unet->eval();
  m.vae->eval();
  return m;
#else
  return unsupported(path + " is a single-file Stable-Diffusion checkpoint; this build loads diffusers folders only");
#endif
}

}  // namespace pictor::engine::sd
