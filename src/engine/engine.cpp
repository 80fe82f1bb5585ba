#include "engine/engine.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "engine/pictor_mini_engine.h"
#include "engine/sd_engine.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine {

namespace fs = std::filesystem;

Result<Quality> parse_quality(const std::string& s) {
  if (s == "low") return Quality::kLow;
  if (s == "medium") return Quality::kMedium;
  if (s == "high") return Quality::kHigh;
  if (s == "auto") return Quality::kAuto;
  return invalid_argument("unknown quality '" + s + "' (expected low, medium, high or auto)");
}

const char* quality_name(Quality q) {
  switch (q) {
    case Quality::kLow: return "low";
    case Quality::kMedium: return "medium";
    case Quality::kHigh: return "high";
    case Quality::kAuto: return "auto";
  }
  return "auto";
}

std::vector<std::string> model_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("PICTOR_MODELS"); env && *env) dirs.push_back(env);
  // Next to the installed binary: <prefix>/bin/pictor → <prefix>/share/pictor/models
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share/pictor/models").string());
  dirs.push_back(std::string(PICTOR_SOURCE_DIR) + "/models");
  return dirs;
}

Result<std::string> resolve_model_path(const std::string& name_or_path) {
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || fs::exists(name_or_path, ec)) {
    if (!fs::exists(name_or_path, ec)) return not_found("model path '" + name_or_path + "' does not exist");
    return name_or_path;
  }
  std::string searched;
  for (const auto& dir : model_search_dirs()) {
    for (const fs::path& candidate : {fs::path(dir) / name_or_path / (name_or_path + ".safetensors"),
                                      fs::path(dir) / (name_or_path + ".safetensors"),
                                      fs::path(dir) / name_or_path}) {
      if (fs::is_regular_file(candidate, ec)) return candidate.string();
    }
    // A named model folder (diffusers layout).
    if (fs::is_regular_file(fs::path(dir) / name_or_path / "model_index.json", ec))
      return (fs::path(dir) / name_or_path).string();
    searched += (searched.empty() ? "" : ", ") + dir;
  }
  return not_found("model '" + name_or_path + "' not found (searched " + searched + ")");
}

Status validate_request(const GenerateRequest& req) {
  if (req.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid_argument("prompt is empty");
  if (req.prompt.size() > 32000) return invalid_argument("prompt is longer than 32000 characters");
  if (req.n < 1 || req.n > 10) return invalid_argument("n must be between 1 and 10 (got " + std::to_string(req.n) + ")");
  if (req.width < 0 || req.height < 0 || req.width > 4096 || req.height > 4096)
    return invalid_argument("size must be between 1x1 and 4096x4096");
  if (req.steps < 0 || req.steps > 200) return invalid_argument("steps must be between 1 and 200");
  if (req.guidance > 30) return invalid_argument("guidance must be between 0 and 30");
  if (req.images.size() > 16) return invalid_argument("at most 16 input images are accepted");
  if (req.strength > 1.0) return invalid_argument("strength must be in (0, 1]");
  return Status::ok();
}

Result<std::unique_ptr<Engine>> Engine::load(const std::string& model, const LoadOptions& opts) {
  auto path = resolve_model_path(model);
  if (!path.is_ok()) return path.status();
  std::error_code ec;
  // A folder: a diffusers Stable-Diffusion pipeline (model_index.json), nothing else.
  if (fs::is_directory(*path, ec)) {
    if (fs::is_regular_file(fs::path(*path) / "model_index.json", ec)) return load_sd_engine(*path, opts);
    return invalid_argument(*path + " is not a model: a model folder needs a model_index.json (a diffusers "
                            "Stable-Diffusion folder); pictor-mini models are single .safetensors files");
  }
  // A file: pictor-mini (metadata pictor.family) or a single-file Stable-Diffusion checkpoint.
  if (fs::path(*path).extension() == ".safetensors") {
    auto file = weights::SafetensorsFile::open(*path);
    if (!file.is_ok()) return file.status();
    if ((*file)->metadata().count("pictor.family") == 0) {
      bool ldm = false;
      for (const auto& t : (*file)->tensors()) {
        const std::string_view name = t.name;
        if (name.starts_with("model.diffusion_model.") || name.starts_with("first_stage_model.") ||
            name.starts_with("cond_stage_model.") || name.starts_with("conditioner.")) {
          ldm = true;
          break;
        }
      }
      if (ldm) return load_sd_single_file_engine(*path, opts);
    }
  } else if (fs::path(*path).extension() == ".ckpt" || fs::path(*path).extension() == ".pt") {
    return unsupported(*path + ": pickled checkpoints (.ckpt/.pt) are not supported; use the .safetensors "
                       "file or a diffusers folder");
  }
  return load_pictor_mini_engine(*path, opts);
}

}  // namespace pictor::engine
