#include "arena/entries.h"

#include <filesystem>

#include "jobs/engine_pool.h"

namespace pictor::arena {

std::vector<ArenaEntry> arena_entries(jobs::EnginePool& engines) {
  std::vector<ArenaEntry> out;
  for (const std::string& model : engines.models()) {
    const engine::ModelInfo* info = engines.info(model);
    ArenaEntry e;
    // A model offered by path competes under its file or folder name.
    e.id = model.find('/') == std::string::npos ? model : std::filesystem::path(model).stem().string();
    e.model = model;
    e.quality = "medium";
    e.edits = info && info->supports_edits;
    if (info) {
      e.native_width = info->native_width;
      e.native_height = info->native_height;
    }
    const bool mini = info ? info->family == "pictor-mini" : e.id == "pictor-mini";
    out.push_back(e);
    if (mini) {
      ArenaEntry fast = e;
      fast.id = e.id + "-fast";
      fast.quality = "low";
      out.push_back(fast);
    }
  }
  return out;
}

std::vector<ArenaEntry> entries_for(const std::vector<ArenaEntry>& all, const std::string& arena) {
  std::vector<ArenaEntry> out;
  for (const auto& e : all)
    if (arena == "text-to-image" || e.edits) out.push_back(e);
  return out;
}

}  // namespace pictor::arena
