#include "hub/installed.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "engine/weights/safetensors.h"

namespace pictor::hub {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<json> read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  auto j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

long long tree_bytes(const fs::path& dir) {
  long long total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) total += (long long)it->file_size(ec);
  return total;
}

bool has_part_files(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".part") return true;
  return false;
}

// A diffusers folder's family as the SD engine names it (sd_engine.cpp family_of): trailing
// timestep spacing without LCM = SD-Turbo-like, else the text encoder width (cross_attention_dim
// 768 = SD 1.x, 1024 = SD 2.x).
std::string sd_folder_family(const fs::path& dir, const json& index, std::vector<std::string>& notes) {
  const std::string cls = index.value("_class_name", "");
  if (!cls.starts_with("StableDiffusion") || cls.find("XL") != std::string::npos ||
      cls.find('3') != std::string::npos) {
    notes.push_back("pipeline " + (cls.empty() ? std::string("?") : cls) + " is not supported");
    return cls.empty() ? "?" : cls;
  }
  const auto sched = read_json(dir / "scheduler" / "scheduler_config.json");
  const auto unet = read_json(dir / "unet" / "config.json");
  if (!sched || !unet) notes.push_back("incomplete: scheduler/ or unet/ config missing");
  const bool lcm = sched && sched->value("_class_name", "") == "LCMScheduler";
  if (sched && !lcm && sched->value("timestep_spacing", "") == "trailing") return "sd-turbo";
  int cross = 0;
  if (unet && unet->contains("cross_attention_dim")) {
    const auto& c = (*unet)["cross_attention_dim"];
    if (c.is_number_integer()) cross = c.get<int>();
    else if (c.is_array() && !c.empty() && c[0].is_number_integer()) cross = c[0].get<int>();
  }
  if (cross == 768) return "sd-1.x";
  if (cross == 1024) return "sd-2.x";
  return "sd";
}

// A .safetensors file: pictor-mini (pictor.family metadata) or an LDM single-file checkpoint.
std::optional<InstalledModel> classify_file(const fs::path& file) {
  InstalledModel m;
  m.name = file.stem().string();
  m.path = file.string();
  std::error_code ec;
  m.bytes = (long long)fs::file_size(file, ec);
  auto st = weights::SafetensorsFile::open(file.string());
  if (!st.is_ok()) {
    m.family = "?";
    m.format = "unreadable";
    m.notes.push_back(st.status().message());
    return m;
  }
  const auto& meta = (*st)->metadata();
  if (auto it = meta.find("pictor.family"); it != meta.end()) {
    m.family = it->second;
    m.format = "pictor-mini file";
    auto get = [&](const char* k) { auto i = meta.find(k); return i == meta.end() ? std::string("?") : i->second; };
    if (meta.count("train.step")) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "trained %s steps, %s samples, %.1f h", get("train.step").c_str(),
                    get("train.samples").c_str(), std::atof(get("train.seconds").c_str()) / 3600.0);
      m.notes.push_back(buf);
    }
    return m;
  }
  bool unet = false, sd1 = false, sd2 = false, sdxl = false;
  for (const auto& t : (*st)->tensors()) {
    const std::string_view n = t.name;
    unet = unet || n.starts_with("model.diffusion_model.");
    sd1 = sd1 || n.starts_with("cond_stage_model.transformer.");
    sd2 = sd2 || n.starts_with("cond_stage_model.model.");
    sdxl = sdxl || n.starts_with("conditioner.");
  }
  if (!unet && !sdxl) return std::nullopt;  // not a model (a LoRA, a lone component, reference data)
  m.format = "single file";
  m.family = sdxl ? "sdxl" : sd1 ? "sd-1.x" : sd2 ? "sd-2.x" : "sd";
  if (sdxl) m.notes.push_back("SDXL is not supported yet");
  return m;
}

std::optional<InstalledModel> classify_folder(const fs::path& dir) {
  std::error_code ec;
  const std::string name = dir.filename().string();
  if (fs::is_regular_file(dir / (name + ".safetensors"), ec)) {
    auto m = classify_file(dir / (name + ".safetensors"));
    if (m) m->bytes = tree_bytes(dir);
    return m;
  }
  InstalledModel m;
  m.name = name;
  m.path = dir.string();
  m.bytes = tree_bytes(dir);
  if (auto index = read_json(dir / "model_index.json")) {
    m.format = "diffusers folder";
    m.family = sd_folder_family(dir, *index, m.notes);
    if (fs::is_regular_file(dir / "taesd" / "config.json", ec) || fs::is_regular_file(dir.parent_path() / "taesd" / "config.json", ec))
      m.notes.push_back("TAESD decoder available");
    return m;
  }
  if (auto config = read_json(dir / "config.json"); config && config->value("_class_name", "") == "AutoencoderTiny") {
    m.format = "decoder";
    m.family = "taesd";
    m.notes.push_back("used by SD models in this directory (low quality, or --decoder taesd)");
    return m;
  }
  if (has_part_files(dir)) {
    m.format = "partial";
    m.family = "?";
    m.notes.push_back("incomplete download: `pictor pull " + name + "` resumes it");
    return m;
  }
  return std::nullopt;
}

}  // namespace

std::vector<InstalledModel> list_installed(const std::vector<std::string>& dirs) {
  std::vector<InstalledModel> out;
  std::map<std::string, std::string> first_path;  // name → the path --model NAME resolves to
  std::error_code ec;
  for (const auto& d : dirs) {
    if (!fs::is_directory(d, ec)) continue;
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(d, ec)) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& p : entries) {
      std::optional<InstalledModel> m;
      if (fs::is_directory(p, ec)) m = classify_folder(p);
      else if (p.extension() == ".safetensors") m = classify_file(p);
      if (!m) continue;
      auto [it, fresh] = first_path.emplace(m->name, m->path);
      if (!fresh) m->notes.push_back("shadowed: --model " + m->name + " loads " + it->second);
      out.push_back(std::move(*m));
    }
  }
  return out;
}

}  // namespace pictor::hub
