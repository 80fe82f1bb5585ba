// ArenaService: battles (creation, the pool, finishing slots) and the background thread.
// Votes and ratings: arena_votes.cpp.
#include "arena/arena_service.h"

#include <algorithm>
#include <chrono>

#include "arena/axes/prompt_category.h"
#include "arena/axes/prompt_language.h"
#include "arena/axes/prompt_set.h"
#include "arena/matchmaking.h"
#include "codecs/codecs.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/utf8.h"
#include "jobs/job_input.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace pictor::arena {

using nlohmann::json;

namespace {

constexpr size_t kMaxPromptChars = 4000;

bool known_arena(const std::string& a) { return a == "text-to-image" || a == "image-edit"; }

// Normalised prompt text (trimmed, lower-case ASCII, single spaces) for the repeat cap.
std::string prompt_hash(const std::string& text) {
  std::string norm;
  for (char c : text) {
    char l = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    if (l == ' ' || l == '\t' || l == '\n' || l == '\r') {
      if (!norm.empty() && norm.back() != ' ') norm += ' ';
    } else {
      norm += l;
    }
  }
  while (!norm.empty() && norm.back() == ' ') norm.pop_back();
  return jobs::request_hash(norm);
}

std::string png_string(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace

bool BattleView::all_ready() const {
  return std::all_of(battle.contestants.begin(), battle.contestants.end(),
                     [](const store::ArenaContestant& c) { return c.status == "ready"; });
}

bool BattleView::any_failed() const {
  return std::any_of(battle.contestants.begin(), battle.contestants.end(),
                     [](const store::ArenaContestant& c) { return c.status == "failed"; });
}

ArenaService::ArenaService(store::Store& store, jobs::JobManager& jobs, ArenaOptions options)
    : store_(store), jobs_(jobs), options_(std::move(options)),
      book_(std::make_unique<RatingBook>(options_.ratings)),
      rng_(options_.seed ? options_.seed : std::random_device{}()) {}

ArenaService::~ArenaService() { stop(); }

Status ArenaService::start() {
  PICTOR_RETURN_IF_ERROR(load_votes());
  background_ = std::thread([this] { background_loop(); });
  return Status::ok();
}

void ArenaService::stop() {
  {
    std::lock_guard lock(bg_mutex_);
    stopping_ = true;
  }
  bg_cv_.notify_all();
  if (background_.joinable()) background_.join();
}

std::vector<ArenaEntry> ArenaService::entries() const { return arena_entries(jobs_.engines()); }

Result<ArenaService::Drawn> ArenaService::draw_prompt(const std::string& arena) {
  std::vector<const ArenaPrompt*> set;
  for (const auto& p : builtin_prompts())
    if (p.arena == arena) set.push_back(&p);
  if (set.empty()) return internal_error("the built-in prompt set has no " + arena + " prompts");
  uint64_t pick = 0, scene_seed = 0;
  {
    std::lock_guard lock(rng_mutex_);
    pick = rng_() % set.size();
    scene_seed = rng_();
  }
  Drawn d{set[pick]->text, "builtin", std::nullopt};
  if (arena == "image-edit") {
    // The picture to edit: a scene of pictor's own world (shapes on a background).
    Rng rng(scene_seed);
    world::SamplerOptions opt;
    opt.min_objects = 1;
    opt.max_objects = 3;
    opt.glyph_probability = 0;
    d.image = world::render(world::sample_scene(rng, opt), 256, 256);
  }
  return d;
}

Result<BattleView> ArenaService::create_battle(const BattleRequest& req, ArenaError& error) {
  auto fail = [&](Status s, std::string param) -> Result<BattleView> {
    error = {s, std::move(param)};
    return s;
  };
  if (!known_arena(req.arena)) return fail(invalid_argument("'arena' must be \"text-to-image\" or \"image-edit\""), "arena");
  if (req.contestants < kMinContestants || req.contestants > kMaxContestants)
    return fail(invalid_argument("'contestants' must be 2, 3 or 4"), "contestants");
  if (req.judge != "human" && req.judge != "auto") return fail(invalid_argument("'judge' must be human or auto"), "judge");
  if (req.image && req.arena != "image-edit")
    return fail(invalid_argument("an input 'image' belongs to the image-edit arena"), "image");
  if (req.prompt) {
    if (req.prompt->find_first_not_of(" \t\r\n") == std::string::npos) return fail(invalid_argument("'prompt' is empty"), "prompt");
    if (req.prompt->size() > kMaxPromptChars)
      return fail(invalid_argument("'prompt' is longer than " + std::to_string(kMaxPromptChars) + " characters"), "prompt");
    if (req.arena == "image-edit" && !req.image)
      return fail(invalid_argument("the image-edit arena needs an 'image' with the instruction"), "image");
  } else if (req.image) {
    return fail(invalid_argument("an 'image' needs a 'prompt' (the edit instruction)"), "prompt");
  }
  const auto able = entries_for(entries(), req.arena);
  if (able.size() < 2) {
    std::string names;
    for (const auto& e : able) names += (names.empty() ? "" : ", ") + e.id;
    return fail(conflict("the " + req.arena + " arena needs at least two models that can serve it; this server has " +
                         std::to_string(able.size()) + (names.empty() ? "" : " (" + names + ")") +
                         ": start it with more --model options"),
                "arena");
  }
  if (int(able.size()) < req.contestants)
    return fail(conflict("a battle of " + std::to_string(req.contestants) + " needs " + std::to_string(req.contestants) +
                         " models that can serve the " + req.arena + " arena; this server has " + std::to_string(able.size())),
                "contestants");
  // A voter who brings no prompt gets a ready battle from the pool when there is one.
  if (!req.prompt && req.judge == "human" && options_.pool_size > 0 && req.contestants == options_.pool_contestants) {
    auto pooled = store_.claim_pooled_battle(req.arena, req.judge, req.voter_id, store::now_ms());
    if (!pooled.is_ok()) return fail(pooled.status(), "");
    if (pooled->has_value()) {
      bg_cv_.notify_all();  // refill
      return get_battle((**pooled).id, req.voter_id, false, 0);
    }
  }
  Drawn drawn;
  if (req.prompt) {
    drawn = {*req.prompt, req.prompt_source, req.image};
  } else {
    auto d = draw_prompt(req.arena);
    if (!d.is_ok()) return fail(d.status(), "");
    drawn = std::move(*d);
  }
  auto battle = start_battle(req, drawn, false, error);
  if (!battle.is_ok()) return battle.status();
  return get_battle(battle->id, req.voter_id, false, 0);
}

Result<store::ArenaBattleRecord> ArenaService::start_battle(const BattleRequest& req, const Drawn& drawn, bool pooled,
                                                            ArenaError& error) {
  auto fail = [&](Status s, std::string param) -> Result<store::ArenaBattleRecord> {
    error = {s, std::move(param)};
    return s;
  };
  const auto able = entries_for(entries(), req.arena);
  // Matchmaking on the arena's overall board of the battle's judge.
  const auto ratings = book_->overall(req.arena, req.judge);
  std::vector<MatchCandidate> candidates;
  for (const auto& e : able) {
    MatchCandidate c{e.id, TrueSkill().create_rating().score(), 0};
    if (auto it = ratings.find(e.id); it != ratings.end()) {
      c.score = it->second.score;
      c.votes = it->second.votes;
    }
    candidates.push_back(c);
  }
  std::vector<std::string> picked;
  uint64_t seed = 0;
  {
    std::lock_guard lock(rng_mutex_);
    picked = pick_contestants(candidates, req.contestants, rng_);
    seed = rng_() >> 1;
  }
  store::ArenaPromptRecord prompt;
  prompt.id = store::new_id("prm");
  prompt.arena = req.arena;
  prompt.text = drawn.text;
  prompt.category = classify_category(drawn.text);
  prompt.language = detect_language(drawn.text);
  prompt.source = drawn.source;
  prompt.text_hash = prompt_hash(drawn.text);
  prompt.created_at_ms = store::now_ms();
  if (drawn.image) {
    Image rgb = convert_channels(*drawn.image, 3);
    auto png = codecs::encode_image(rgb, codecs::ImageFormat::kPng);
    if (!png.is_ok()) return fail(png.status(), "image");
    auto id = jobs_.store_input_image(kArenaOwner, "image/png", rgb.width, rgb.height, png_string(*png));
    if (!id.is_ok()) return fail(id.status(), "image");
    prompt.image_media_id = *id;
  }
  if (Status s = store_.insert_arena_prompt(prompt); !s.is_ok()) return fail(s, "");

  store::ArenaBattleRecord b;
  b.id = store::new_id("battle");
  b.arena = req.arena;
  b.prompt_id = prompt.id;
  b.judge = req.judge;
  b.creator_key_id = req.key_id;
  b.voter_id = pooled ? "" : req.voter_id;
  b.seed = seed;
  b.pooled = pooled;
  b.created_at_ms = store::now_ms();
  b.expires_at_ms = b.created_at_ms + options_.battle_ttl_ms;
  int side = 0;
  for (const auto& id : picked)
    for (const auto& e : able)
      if (e.id == id) side = std::max({side, e.native_width, e.native_height});
  side = std::min(side > 0 ? side : 256, options_.max_image_side);
  b.width = b.height = side;
  for (size_t i = 0; i < picked.size(); ++i) {
    const ArenaEntry* entry = nullptr;
    for (const auto& e : able)
      if (e.id == picked[i]) entry = &e;
    jobs::JobInput in;
    in.model = entry->model;
    in.quality = entry->quality;
    in.prompt = drawn.text;
    in.seed = seed;
    in.output_format = "png";
    if (!prompt.image_media_id.empty()) in.image_ids = {prompt.image_media_id};
    auto job = jobs_.submit(in, {kArenaOwner, "", ""});
    if (!job.is_ok()) {
      for (const auto& c : b.contestants) (void)jobs_.cancel(c.job_id);
      return fail(job.status(), "");
    }
    store::ArenaContestant c;
    c.slot = slot_name(int(i));
    c.model = entry->id;
    c.job_id = job->record.id;
    b.contestants.push_back(c);
  }
  if (Status s = store_.insert_arena_battle(b); !s.is_ok()) return fail(s, "");
  log_event(LogLevel::kInfo, "arena.battle_created",
            {{"battle", b.id}, {"arena", b.arena}, {"contestants", int(b.contestants.size())}, {"pooled", pooled}});
  return b;
}

bool ArenaService::finish_slots(store::ArenaBattleRecord& b) {
  std::lock_guard lock(finish_mutex_);
  // Re-read under the lock: another thread may have finished these slots already.
  auto fresh = store_.get_arena_battle(b.id);
  if (fresh.is_ok()) b = std::move(*fresh);
  bool changed = false;
  for (auto& c : b.contestants) {
    if (c.status != "pending") continue;
    auto job = jobs_.get(c.job_id);
    if (!job.is_ok()) {
      c.status = "failed";
      c.error = job.status().message();
    } else if (job->record.status == store::JobStatus::kCompleted) {
      json out = json::parse(job->record.output_json, nullptr, false);
      const std::string media_id =
          out.is_object() && out.contains("media") && !out["media"].empty() ? out["media"][0].value("id", "") : "";
      auto bytes = store_.get_media_data(media_id);
      Result<Image> img = bytes.is_ok() ? codecs::decode_image(std::span<const uint8_t>(
                                              reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()))
                                        : Result<Image>(bytes.status());
      if (!img.is_ok()) {
        c.status = "failed";
        c.error = "cannot read the output: " + img.status().message();
      } else {
        // Same size, same format, no metadata, a fresh media id: nothing tells the slots apart.
        Image rgb = resize_image(convert_channels(*img, 3), b.width, b.height);
        auto png = codecs::encode_image(rgb, codecs::ImageFormat::kPng);
        if (!png.is_ok()) {
          c.status = "failed";
          c.error = png.status().message();
        } else {
          store::MediaRecord m;
          m.id = store::new_id("media");
          m.key_id = kArenaOwner;
          m.content_type = "image/png";
          m.width = rgb.width;
          m.height = rgb.height;
          m.size_bytes = int64_t(png->size());
          m.created_at_ms = store::now_ms();
          if (Status s = store_.put_media(m, png_string(*png)); !s.is_ok()) continue;  // retried later
          c.media_id = m.id;
          c.status = "ready";
        }
      }
    } else if (store::is_terminal(job->record.status)) {
      c.status = "failed";
      c.error = job->record.error_message.empty() ? std::string(store::job_status_name(job->record.status))
                                                  : job->record.error_message;
    } else {
      continue;
    }
    if (store_.update_arena_contestant(b.id, c).is_ok()) changed = true;
  }
  return changed;
}

Result<BattleView> ArenaService::view_of(store::ArenaBattleRecord b) {
  BattleView v;
  auto p = store_.get_arena_prompt(b.prompt_id);
  if (!p.is_ok()) return p.status();
  v.prompt = std::move(*p);
  auto vote = store_.get_arena_vote_for_battle(b.id);
  if (!vote.is_ok()) return vote.status();
  v.vote = std::move(*vote);
  v.battle = std::move(b);
  return v;
}

Result<BattleView> ArenaService::get_battle(const std::string& id, const std::string& voter_id, bool admin, int64_t wait_ms) {
  auto rec = store_.get_arena_battle(id);
  if (!rec.is_ok()) return rec.status();
  // Another voter's battle, or one still in the pool, does not exist for this caller.
  if (!admin && (rec->pooled || rec->voter_id != voter_id)) return not_found("No arena battle with id " + id);
  store::ArenaBattleRecord b = std::move(*rec);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(0, wait_ms));
  for (;;) {
    finish_slots(b);
    const auto pending = std::find_if(b.contestants.begin(), b.contestants.end(),
                                      [](const store::ArenaContestant& c) { return c.status == "pending"; });
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (pending == b.contestants.end() || left.count() <= 0) break;
    (void)jobs_.wait(pending->job_id, std::min(left, std::chrono::milliseconds(2000)));
  }
  auto view = view_of(std::move(b));
  if (!view.is_ok()) return view.status();
  if (view->all_ready() && view->battle.shown_at_ms == 0 && !admin) {
    auto shown = store_.mark_arena_battle_shown(id, store::now_ms());
    if (shown.is_ok()) view->battle.shown_at_ms = *shown;
  }
  return view;
}

Result<std::string> ArenaService::slot_image(const std::string& id, const std::string& slot, const std::string& voter_id,
                                             bool admin) {
  auto rec = store_.get_arena_battle(id);
  if (!rec.is_ok()) return rec.status();
  bool voted = false;
  if (auto v = store_.get_arena_vote_for_battle(id); v.is_ok()) voted = v->has_value();
  // Voted battles are public (arena examples); others only for their voter.
  if (!admin && !voted && (rec->pooled || rec->voter_id != voter_id)) return not_found("No arena battle with id " + id);
  for (const auto& c : rec->contestants)
    if (c.slot == slot) {
      if (c.status != "ready") return not_found("slot " + slot + " of battle " + id + " has no image yet");
      return store_.get_media_data(c.media_id);
    }
  return not_found("battle " + id + " has no slot '" + std::string(utf8_prefix(slot, 8)) + "'");
}

void ArenaService::fill_pool() {
  if (options_.pool_size <= 0) return;
  for (const char* arena : {"text-to-image", "image-edit"}) {
    if (entries_for(entries(), arena).size() < 2) continue;
    store::ArenaBattleQuery q;
    q.arena = arena;
    q.judge = "human";
    q.pooled = true;
    q.not_expired_at_ms = store::now_ms();
    auto pool = store_.list_arena_battles(q);
    if (!pool.is_ok()) continue;
    for (auto& b : *pool) finish_slots(b);
    // Do not crowd out people's requests: only top up when the queue is quiet.
    for (int n = int(pool->size()); n < options_.pool_size && jobs_.queue_depth() == 0; ++n) {
      auto d = draw_prompt(arena);
      if (!d.is_ok()) break;
      BattleRequest req;
      req.arena = arena;
      req.contestants = options_.pool_contestants;
      ArenaError err;
      if (!start_battle(req, *d, true, err).is_ok()) break;
    }
  }
}

// A vote is stored with its node's clock at commit: look back this far for ones committed late.
constexpr int64_t kSyncOverlapMs = 120'000;

void ArenaService::background_loop() {
  int64_t last_pool_ms = 0, last_snapshot_check_ms = 0;
  int64_t last_sync_ms = store::now_ms(), last_reload_ms = last_sync_ms;
  for (;;) {
    {
      std::unique_lock lock(bg_mutex_);
      bg_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; });
      if (stopping_) return;
    }
    const int64_t now = store::now_ms();
    if (now - last_pool_ms >= 1000) {
      fill_pool();
      last_pool_ms = now;
    }
    if (options_.sync_ms > 0 && now - last_reload_ms >= 300 * options_.sync_ms) {
      if (Status st = load_votes(); !st.is_ok())
        log_event(LogLevel::kWarn, "arena.reload_failed", {{"error", st.message()}});
      last_reload_ms = last_sync_ms = now;
    } else if (options_.sync_ms > 0 && now - last_sync_ms >= options_.sync_ms) {
      if (Status st = merge_votes_since(last_sync_ms - kSyncOverlapMs); !st.is_ok())
        log_event(LogLevel::kWarn, "arena.sync_failed", {{"error", st.message()}});
      last_sync_ms = now;
    }
    int64_t last_vote = 0;
    {
      std::lock_guard lock(bg_mutex_);
      last_vote = last_vote_ms_;
    }
    if (book_->stale() && now - last_vote >= options_.refresh_debounce_ms) {
      if (Status s = book_->refresh(); !s.is_ok())
        log_event(LogLevel::kWarn, "arena.refresh_failed", {{"error", s.message()}});
    }
    if (now - last_snapshot_check_ms >= 60'000) {
      last_snapshot_check_ms = now;
      // A daily snapshot: once per UTC day, when there are votes.
      const int64_t day_start = now - now % 86'400'000;
      auto latest = store_.latest_rating_snapshot_ms();
      if (latest.is_ok() && *latest < day_start && book_->votes_held() > 0) (void)snapshot("daily");
    }
  }
}

}  // namespace pictor::arena
