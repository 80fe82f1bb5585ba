#pragma once
// The auto-judge: for prompts of pictor's scenes world, the detector ranks a battle's images by
// how many of the prompt's facts each one satisfies (world::check_prompt). Its votes carry
// judge = "auto" and make their own leaderboards, never mixed with people's.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "arena/arena_service.h"
#include "core/image.h"
#include "core/status.h"

namespace pictor::arena {

// Ranks (0 = best, equal = tie) of `images` for `prompt`: by the share of facts held, an image
// whose facts all hold jointly ahead of one that only holds them one by one. nullopt when the
// prompt is not of the scenes world (the judge abstains).
Result<std::optional<std::vector<int>>> judge_ranks(const std::string& prompt, const std::vector<Image>& images);

// The vote body for those ranks: {"ranking": [[…], …]}.
nlohmann::json ranking_body(const std::vector<int>& ranks);

using JudgeProgress = std::function<void(int done, int total)>;

struct JudgeSummary {
  int judged = 0, abstained = 0, failed = 0;
};

// Judges every unvoted auto battle in the store (waiting for its images).
Result<JudgeSummary> judge_pending(ArenaService& arena, const JudgeProgress& progress = {});

// Creates `battles` auto battles on built-in prompts of the scenes world, waits for them and
// judges them: fills a fresh install's auto-judge board.
Result<JudgeSummary> seed_auto_battles(ArenaService& arena, int battles, int contestants, const JudgeProgress& progress = {});

}  // namespace pictor::arena
