#pragma once
// Arena entries: what competes in the arena. Every offered model is one entry; pictor-mini's
// quality settings are distinct entries (pictor-mini at medium, pictor-mini-fast at low), so that
// a fresh install has two contestants.
#include <string>
#include <vector>

namespace pictor::jobs {
class EnginePool;
}

namespace pictor::arena {

struct ArenaEntry {
  std::string id;        // "pictor-mini-fast": the name on leaderboards
  std::string model;     // the engine model that draws it ("pictor-mini")
  std::string quality;   // low | medium | high
  bool edits = false;    // can take an input image (image-edit arena)
  int native_width = 0, native_height = 0;  // 0 = unknown (not loaded)
};

std::vector<ArenaEntry> arena_entries(jobs::EnginePool& engines);
// Entries able to serve `arena` ("text-to-image": all; "image-edit": those with edits).
std::vector<ArenaEntry> entries_for(const std::vector<ArenaEntry>& all, const std::string& arena);

}  // namespace pictor::arena
