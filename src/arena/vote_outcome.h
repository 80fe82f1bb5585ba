#pragma once
// Parsing what voters send (a winner or a ranking of a battle's slots) and the lines of a vote log
// (`pictor arena replay`, GET /v1/arena/votes?format=jsonl) into ranks: 0 = best, equal = tie.
// Pure functions over JSON, no HTTP: the server maps an error's `param` into its envelope.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pictor::arena {

inline constexpr int kMinContestants = 2;
inline constexpr int kMaxContestants = 4;
// Slot names in order: index 0 = "a".
std::string slot_name(int index);
int slot_index(std::string_view slot);  // -1 when not "a".."d"

struct VoteOutcome {
  std::string kind;        // "winner" | "tie" | "both_bad" | "ranking"
  std::vector<int> ranks;  // one per slot, 0 = best; ties share a rank
  nlohmann::json canonical;  // the outcome as stored: {"winner": "b"} or {"ranking": [["c"], ["a","d"], ["b"]]}
};

struct OutcomeError {
  std::string message;
  std::string param;       // "winner", "ranking", or the unknown key
};

// body: {"winner": "a"|…|"tie"|"both_bad"} or {"ranking": [["c"], ["a","d"], ["b"]]} for a battle
// with `slots` contestants (2–4). A winner of 3–4 ranks the winner first and ties the rest.
// Returns false and fills `error` for anything else.
bool parse_vote_outcome(const nlohmann::json& body, int slots, VoteOutcome& out, OutcomeError& error);

// One line of a vote log. Either {"left", "right", "outcome": "left"|"right"|"tie"|"both_bad", "ts"}
// or {"models": [...], "ranks": [...], "ts"} (lower rank = better, equal = tie). Optional:
// "arena" (default text-to-image), "judge" (human), "category", "language", "weight" (0–1],
// "counted" (true). ts: Unix seconds (number) or milliseconds when ≥ 1e11.
struct LoggedVote {
  std::string arena = "text-to-image";
  std::string judge = "human";
  std::vector<std::string> models;
  std::vector<int> ranks;
  double weight = 1.0;
  int64_t ts_ms = 0;
  std::string category, language;
  bool counted = true;
};
Result<LoggedVote> parse_vote_log_line(std::string_view line);

}  // namespace pictor::arena
