#pragma once
// The arena's stored records (docs/arena.md): prompts, battles with their contestants, votes and
// rating snapshots. Votes keep everything a replay needs (models, ranks, axes, weight), so ratings
// can be recomputed from the vote log alone at any time.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pictor::store {

struct ArenaPromptRecord {
  std::string id;               // "prm_…"
  std::string arena;            // "text-to-image" | "image-edit"
  std::string text;
  std::string category;         // axes: classify_category()
  std::string language;         // axes: detect_language()
  std::string source;           // "builtin" | "user" | "seed"
  std::string image_media_id;   // the input image (image-edit), "" otherwise
  std::string text_hash;        // of the normalised text: repeats of one prompt are capped
  int64_t created_at_ms = 0;
};

struct ArenaContestant {
  std::string slot;             // "a" … "d"
  std::string model;            // arena entry id (e.g. "pictor-mini-fast")
  std::string job_id;           // the job that draws it
  std::string media_id;         // the anonymised image (same size and format in every slot)
  std::string status = "pending";  // pending | ready | failed
  std::string error;            // why it failed (shown after the vote only)
};

struct ArenaBattleRecord {
  std::string id;               // "battle_…"
  std::string arena;
  std::string prompt_id;
  std::string judge = "human";  // "human" | "auto": who will vote on it
  std::string creator_key_id;   // the key that created it ("" for the pool and --no-auth)
  std::string voter_id;         // who it was handed to; "" while it waits in the pool
  uint64_t seed = 0;            // one seed for every contestant
  int width = 0, height = 0;    // every slot's image is re-encoded to this size
  bool pooled = false;          // pre-generated, not yet handed to a voter
  int64_t shown_at_ms = 0;      // first time a voter received it with every image ready
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  std::vector<ArenaContestant> contestants;  // in slot order
};

struct ArenaBattleQuery {
  std::optional<std::string> arena;
  std::optional<std::string> judge;
  std::optional<bool> pooled;
  bool unvoted_only = false;
  bool with_pending_slots = false;  // at least one contestant still pending
  int64_t not_expired_at_ms = 0;    // > 0: only battles whose expiry is after this
  int limit = 100;                  // oldest first
};

struct ArenaVoteRecord {
  std::string id;               // "vote_…"
  std::string battle_id;        // unique: one vote per battle
  std::string arena;
  std::string judge = "human";
  std::string voter_id;
  std::string key_id;
  std::string outcome_json;     // the outcome as the voter gave it
  std::vector<std::string> models;  // contestants in slot order
  std::vector<int> ranks;           // per slot, 0 = best, equal = tie
  std::string category, language;   // the prompt's axes
  std::string prompt_hash;
  double weight = 1.0;          // < 1 when its prompt is repeated beyond the cap
  int64_t vote_ms = 0;          // time from the images being shown to the vote
  bool counted = true;
  std::string exclusion_reason; // why not counted: too_fast | daily_cap | excluded_voter …
  int64_t created_at_ms = 0;
};

struct ArenaVoteQuery {
  std::optional<std::string> voter_id;
  std::optional<std::string> arena;
  std::optional<std::string> judge;
  std::optional<std::string> prompt_hash;
  std::optional<bool> counted;
  int64_t since_ms = 0;         // created_at_ms >= since
  int limit = 0;                // 0 = all, in time order
};

struct RatingSnapshotRecord {
  std::string arena, judge, axis, model;
  double mu = 0, sigma = 0, score = 0;
  int64_t votes = 0;
  int rank = 0;
  int64_t taken_at_ms = 0;
  std::string reason;           // "daily" | "replay"
};

struct RatingHistoryQuery {
  std::string model;
  std::optional<std::string> arena;
  std::string judge = "human";
  std::string axis = "overall";
};

}  // namespace pictor::store
