#pragma once
// ArenaService: blind battles of 2–4 models on one prompt, votes, and the ratings they make
// (docs/arena.md). It runs contestants through the job queue like any other request (owner
// kArenaOwner, so no API key sees those jobs), re-encodes every output to one size and format
// (no metadata) under a fresh media id, and keeps a small pool of ready battles per arena.
// No HTTP here: server/routes_arena.cpp is a thin layer over this class.
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "arena/entries.h"
#include "arena/rating_book.h"
#include "arena/vote_outcome.h"
#include "core/image.h"
#include "core/status.h"
#include "jobs/job_manager.h"
#include "store/store.h"

namespace pictor::arena {

inline constexpr const char* kArenaOwner = "arena";  // key_id of contestant jobs and media

struct ArenaOptions {
  int pool_size = 2;                        // ready battles kept per arena for voters; 0 = none
  int pool_contestants = 2;
  int64_t battle_ttl_ms = 24 * 3600 * 1000LL;  // a battle can be voted on until then
  int64_t min_vote_ms = 2000;               // faster votes (after all images were shown) are not counted
  int daily_counted_votes = 500;            // per voter per UTC day; later votes are stored, not counted
  int prompt_repeat_cap = 25;               // counted votes per prompt before its weight falls as cap/n
  int max_image_side = 512;                 // battles are drawn at the largest native size up to this
  LeaderboardOptions ratings;               // min_votes (3), bootstrap rounds (100), TrueSkill params
  int64_t refresh_debounce_ms = 1000;       // full recompute this long after the last vote
  // A store other nodes write too: their votes are merged every sync_ms, and every votes held
  // are reloaded from the store every 300 × sync_ms (exclusions made elsewhere). 0 = one node.
  int64_t sync_ms = 0;
  std::string secret;                       // HMAC key (voter cookies, export pseudonyms)
  uint64_t seed = 0;                        // 0 = random (matchmaking, slot order, battle seeds)
};

struct BattleRequest {
  std::string arena = "text-to-image";
  std::optional<std::string> prompt;        // none = drawn from the built-in set
  std::optional<Image> image;               // image-edit: the picture to edit
  int contestants = 2;
  std::string judge = "human";              // "auto": for the detector (pictor arena judge / seed)
  std::string prompt_source = "user";       // stored with the prompt: user | seed
  std::string voter_id;                     // who will see and vote on it
  std::string key_id;                       // the caller's key ("" without auth)
};

struct BattleView {
  store::ArenaBattleRecord battle;
  store::ArenaPromptRecord prompt;
  std::optional<store::ArenaVoteRecord> vote;  // set once voted: then the models may be shown
  bool all_ready() const;
  bool any_failed() const;
};

struct VoteRequest {
  std::string battle_id;
  nlohmann::json outcome;                   // {"winner": …} or {"ranking": …}
  std::string voter_id, key_id;
  std::string judge = "human";
  bool admin = false;                       // may vote on any battle (the auto-judge)
};

struct VoteResult {
  BattleView view;
  VoteOutcome outcome;
  // Each contestant's overall rating on its arena before and after this vote (slot order).
  std::vector<LeaderboardRow> before, after;
};

// An error with the request field it concerns (the server puts it in the envelope's param).
struct ArenaError {
  Status status;
  std::string param;
};

class ArenaService {
 public:
  ArenaService(store::Store& store, jobs::JobManager& jobs, ArenaOptions options);
  ~ArenaService();

  // Replays the stored votes and starts the background thread (pool, finishing slots, recomputes,
  // daily snapshots). Call once, after the job manager has started.
  Status start();
  void stop();

  std::vector<ArenaEntry> entries() const;

  // Answers at once; each slot's image appears as its job finishes.
  Result<BattleView> create_battle(const BattleRequest& req, ArenaError& error);
  // The battle as `voter_id` may see it (another voter's battle is not found), after finishing
  // slots whose jobs are done; waits up to `wait_ms` for every slot. Marks it shown when complete.
  Result<BattleView> get_battle(const std::string& id, const std::string& voter_id, bool admin, int64_t wait_ms);
  // One slot's image (PNG bytes), as anonymous as the battle.
  Result<std::string> slot_image(const std::string& id, const std::string& slot, const std::string& voter_id, bool admin);
  Result<VoteResult> vote(const VoteRequest& req, ArenaError& error);

  // Leaderboards (TrueSkill live, Bradley–Terry as of the last recompute).
  Leaderboard leaderboard(const std::string& arena, const std::string& judge, const std::string& axis);
  std::vector<Leaderboard> boards();
  RatingBook& ratings() { return *book_; }
  // Recomputes everything from the stored votes and writes a "replay" snapshot.
  Status replay();
  // Excludes / re-includes a voter's votes and replays.
  Result<int> set_voter_excluded(const std::string& voter_id, bool excluded, const std::string& reason);
  // Writes one snapshot row per (board, model) now.
  Status snapshot(const std::string& reason);

  const ArenaOptions& options() const { return options_; }
  store::Store& store() { return store_; }

 private:
  struct Drawn {
    std::string text;
    std::string source;
    std::optional<Image> image;
  };
  Result<Drawn> draw_prompt(const std::string& arena);
  Result<store::ArenaBattleRecord> start_battle(const BattleRequest& req, const Drawn& prompt, bool pooled, ArenaError& error);
  // Turns finished contestant jobs into anonymised slot images; true when something changed.
  bool finish_slots(store::ArenaBattleRecord& b);
  Result<BattleView> view_of(store::ArenaBattleRecord b);
  void background_loop();
  void fill_pool();
  Status load_votes();
  // Merges counted votes stored since since_ms (by any node) into the rating book.
  Status merge_votes_since(int64_t since_ms);

  store::Store& store_;
  jobs::JobManager& jobs_;
  ArenaOptions options_;
  std::unique_ptr<RatingBook> book_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
  std::mutex finish_mutex_;                 // one slot finisher at a time (no double re-encode)
  std::mutex bg_mutex_;
  std::condition_variable bg_cv_;
  bool stopping_ = false;
  int64_t last_vote_ms_ = 0;
  std::thread background_;
};

}  // namespace pictor::arena
