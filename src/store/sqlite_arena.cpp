// SqliteStore's arena tables (migration 0002, docs/arena.md).
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/vote_lists.h"

namespace pictor::store {

namespace {

constexpr const char* kPromptColumns =
    "id, arena, text, category, language, source, image_media_id, text_hash, created_at_ms";
constexpr const char* kBattleColumns =
    "id, arena, prompt_id, judge, creator_key_id, voter_id, seed, width, height, pooled, shown_at_ms, "
    "created_at_ms, expires_at_ms";
constexpr const char* kVoteColumns =
    "id, battle_id, arena, judge, voter_id, key_id, outcome_json, models_json, ranks_json, category, language, "
    "prompt_hash, weight, vote_ms, counted, exclusion_reason, created_at_ms";
constexpr const char* kSnapshotColumns = "arena, judge, axis, model, mu, sigma, score, votes, rank, taken_at_ms, reason";

ArenaPromptRecord read_prompt(const Stmt& s) {
  ArenaPromptRecord p;
  p.id = s.text(0);
  p.arena = s.text(1);
  p.text = s.text(2);
  p.category = s.text(3);
  p.language = s.text(4);
  p.source = s.text(5);
  p.image_media_id = s.text(6);
  p.text_hash = s.text(7);
  p.created_at_ms = s.i64(8);
  return p;
}

ArenaBattleRecord read_battle(const Stmt& s) {
  ArenaBattleRecord b;
  b.id = s.text(0);
  b.arena = s.text(1);
  b.prompt_id = s.text(2);
  b.judge = s.text(3);
  b.creator_key_id = s.text(4);
  b.voter_id = s.text(5);
  b.seed = static_cast<uint64_t>(s.i64(6));
  b.width = static_cast<int>(s.i64(7));
  b.height = static_cast<int>(s.i64(8));
  b.pooled = s.i64(9) != 0;
  b.shown_at_ms = s.i64(10);
  b.created_at_ms = s.i64(11);
  b.expires_at_ms = s.i64(12);
  return b;
}

ArenaVoteRecord read_vote(const Stmt& s) {
  ArenaVoteRecord v;
  v.id = s.text(0);
  v.battle_id = s.text(1);
  v.arena = s.text(2);
  v.judge = s.text(3);
  v.voter_id = s.text(4);
  v.key_id = s.text(5);
  v.outcome_json = s.text(6);
  v.models = decode_vote_models(s.text(7));
  v.ranks = decode_vote_ranks(s.text(8));
  v.category = s.text(9);
  v.language = s.text(10);
  v.prompt_hash = s.text(11);
  v.weight = s.f64(12);
  v.vote_ms = s.i64(13);
  v.counted = s.i64(14) != 0;
  v.exclusion_reason = s.text(15);
  v.created_at_ms = s.i64(16);
  return v;
}

RatingSnapshotRecord read_snapshot(const Stmt& s) {
  RatingSnapshotRecord r;
  r.arena = s.text(0);
  r.judge = s.text(1);
  r.axis = s.text(2);
  r.model = s.text(3);
  r.mu = s.f64(4);
  r.sigma = s.f64(5);
  r.score = s.f64(6);
  r.votes = s.i64(7);
  r.rank = static_cast<int>(s.i64(8));
  r.taken_at_ms = s.i64(9);
  r.reason = s.text(10);
  return r;
}

template <typename T, typename F>
Result<std::vector<T>> read_rows(Stmt& s, F read) {
  std::vector<T> out;
  for (;;) {
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return out;
    out.push_back(read(s));
  }
}

// WHERE clause and bindings of a vote query (every value bound, never spliced).
struct VoteFilter {
  std::string where = " WHERE 1 = 1";
  std::vector<std::string> texts;
  int64_t since = 0;
  int counted = -1;
};

VoteFilter vote_filter(const ArenaVoteQuery& q) {
  VoteFilter f;
  auto add = [&](const std::optional<std::string>& v, const char* column) {
    if (!v) return;
    f.texts.push_back(*v);
    f.where += std::string(" AND ") + column + " = ?" + std::to_string(f.texts.size());
  };
  add(q.voter_id, "voter_id");
  add(q.arena, "arena");
  add(q.judge, "judge");
  add(q.prompt_hash, "prompt_hash");
  f.where += " AND created_at_ms >= ?" + std::to_string(f.texts.size() + 1);
  f.since = q.since_ms;
  if (q.counted) {
    f.counted = *q.counted ? 1 : 0;
    f.where += " AND counted = ?" + std::to_string(f.texts.size() + 2);
  }
  return f;
}

void bind_vote_filter(Stmt& s, const VoteFilter& f) {
  int i = 1;
  for (const auto& t : f.texts) s.bind(i++, std::string_view(t));
  s.bind(i++, f.since);
  if (f.counted >= 0) s.bind(i, f.counted);
}

}  // namespace

Status SqliteStore::insert_arena_prompt(const ArenaPromptRecord& p) {
  if (p.id.empty() || p.text.empty()) return invalid_argument("an arena prompt needs an id and a text");
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("INSERT INTO arena_prompts (") + kPromptColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, p.id).bind(2, p.arena).bind(3, p.text).bind(4, p.category).bind(5, p.language).bind(6, p.source)
      .bind(7, p.image_media_id).bind(8, p.text_hash).bind(9, p.created_at_ms ? p.created_at_ms : now_ms());
  return s.run();
}

Result<ArenaPromptRecord> SqliteStore::get_arena_prompt(const std::string& id) {
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("SELECT ") + kPromptColumns + " FROM arena_prompts WHERE id = ?1");
  s.bind(1, id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("No arena prompt with id " + id);
  return read_prompt(s);
}

Status SqliteStore::insert_arena_battle(const ArenaBattleRecord& b) {
  if (b.id.empty() || b.contestants.size() < 2 || b.contestants.size() > 4)
    return invalid_argument("an arena battle needs an id and 2–4 contestants");
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, std::string("INSERT INTO arena_battles (") + kBattleColumns +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    s.bind(1, b.id).bind(2, b.arena).bind(3, b.prompt_id).bind(4, b.judge).bind(5, b.creator_key_id)
        .bind(6, b.voter_id).bind(7, static_cast<int64_t>(b.seed)).bind(8, b.width).bind(9, b.height)
        .bind(10, b.pooled ? 1 : 0).bind(11, b.shown_at_ms).bind(12, b.created_at_ms ? b.created_at_ms : now_ms())
        .bind(13, b.expires_at_ms);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  for (const ArenaContestant& c : b.contestants) {
    PREPARE(s, "INSERT INTO arena_contestants (battle_id, slot, model, job_id, media_id, status, error)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.bind(1, b.id).bind(2, c.slot).bind(3, c.model).bind(4, c.job_id).bind(5, c.media_id).bind(6, c.status)
        .bind(7, c.error);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<ArenaBattleRecord> SqliteStore::get_arena_battle_locked(const std::string& id) {
  ArenaBattleRecord b;
  {
    PREPARE(s, std::string("SELECT ") + kBattleColumns + " FROM arena_battles WHERE id = ?1");
    s.bind(1, id);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return not_found("No arena battle with id " + id);
    b = read_battle(s);
  }
  PREPARE(s, "SELECT slot, model, job_id, media_id, status, error FROM arena_contestants WHERE battle_id = ?1 ORDER BY slot");
  s.bind(1, id);
  auto rows = read_rows<ArenaContestant>(s, [](const Stmt& r) {
    return ArenaContestant{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
  });
  if (!rows.is_ok()) return rows.status();
  b.contestants = std::move(*rows);
  return b;
}

Result<ArenaBattleRecord> SqliteStore::get_arena_battle(const std::string& id) {
  std::lock_guard lock(mu_);
  return get_arena_battle_locked(id);
}

Result<std::vector<ArenaBattleRecord>> SqliteStore::list_arena_battles(const ArenaBattleQuery& q) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT id FROM arena_battles b WHERE 1 = 1");
  std::vector<std::string> texts;
  auto add = [&](const std::optional<std::string>& v, const char* column) {
    if (!v) return;
    texts.push_back(*v);
    sql += std::string(" AND ") + column + " = ?" + std::to_string(texts.size());
  };
  add(q.arena, "arena");
  add(q.judge, "judge");
  const int n = static_cast<int>(texts.size());
  sql += " AND (?" + std::to_string(n + 1) + " < 0 OR pooled = ?" + std::to_string(n + 1) + ")";
  sql += " AND (?" + std::to_string(n + 2) + " = 0 OR expires_at_ms > ?" + std::to_string(n + 2) + ")";
  if (q.unvoted_only) sql += " AND NOT EXISTS (SELECT 1 FROM arena_votes v WHERE v.battle_id = b.id)";
  if (q.with_pending_slots)
    sql += " AND EXISTS (SELECT 1 FROM arena_contestants c WHERE c.battle_id = b.id AND c.status = 'pending')";
  sql += " ORDER BY created_at_ms, id LIMIT ?" + std::to_string(n + 3);
  std::vector<std::string> ids;
  {
    PREPARE(s, sql);
    int i = 1;
    for (const auto& t : texts) s.bind(i++, std::string_view(t));
    s.bind(i++, q.pooled ? (*q.pooled ? 1 : 0) : -1);
    s.bind(i++, q.not_expired_at_ms);
    s.bind(i, q.limit > 0 ? q.limit : 100);
    auto rows = read_rows<std::string>(s, [](const Stmt& r) { return r.text(0); });
    if (!rows.is_ok()) return rows.status();
    ids = std::move(*rows);
  }
  std::vector<ArenaBattleRecord> out;
  for (const auto& id : ids) {
    auto b = get_arena_battle_locked(id);
    if (!b.is_ok()) return b.status();
    out.push_back(std::move(*b));
  }
  return out;
}

Status SqliteStore::update_arena_contestant(const std::string& battle_id, const ArenaContestant& c) {
  std::lock_guard lock(mu_);
  PREPARE(s, "UPDATE arena_contestants SET job_id = ?3, media_id = ?4, status = ?5, error = ?6"
             " WHERE battle_id = ?1 AND slot = ?2");
  s.bind(1, battle_id).bind(2, c.slot).bind(3, c.job_id).bind(4, c.media_id).bind(5, c.status).bind(6, c.error);
  PICTOR_RETURN_IF_ERROR(s.run());
  if (db_->changes() == 0) return not_found("No contestant " + c.slot + " in arena battle " + battle_id);
  return Status::ok();
}

Result<int64_t> SqliteStore::mark_arena_battle_shown(const std::string& id, int64_t shown_at_ms) {
  std::lock_guard lock(mu_);
  {
    PREPARE(s, "UPDATE arena_battles SET shown_at_ms = ?2 WHERE id = ?1 AND shown_at_ms = 0");
    s.bind(1, id).bind(2, shown_at_ms);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  PREPARE(s, "SELECT shown_at_ms FROM arena_battles WHERE id = ?1");
  s.bind(1, id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("No arena battle with id " + id);
  return s.i64(0);
}

Result<std::optional<ArenaBattleRecord>> SqliteStore::claim_pooled_battle(const std::string& arena, const std::string& judge,
                                                                          const std::string& voter_id, int64_t now) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  std::string id;
  {
    PREPARE(s, "SELECT id FROM arena_battles b WHERE pooled = 1 AND arena = ?1 AND judge = ?2 AND expires_at_ms > ?3"
               " AND NOT EXISTS (SELECT 1 FROM arena_contestants c WHERE c.battle_id = b.id AND c.status <> 'ready')"
               " ORDER BY created_at_ms, id LIMIT 1");
    s.bind(1, arena).bind(2, judge).bind(3, now);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return std::optional<ArenaBattleRecord>();
    id = s.text(0);
  }
  {
    PREPARE(s, "UPDATE arena_battles SET pooled = 0, voter_id = ?2 WHERE id = ?1");
    s.bind(1, id).bind(2, voter_id);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  auto b = get_arena_battle_locked(id);
  if (!b.is_ok()) return b.status();
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return std::optional<ArenaBattleRecord>(std::move(*b));
}

Status SqliteStore::insert_arena_vote(const ArenaVoteRecord& v) {
  if (v.id.empty() || v.battle_id.empty() || v.models.size() != v.ranks.size())
    return invalid_argument("an arena vote needs an id, a battle and one rank per model");
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "SELECT count(*) FROM arena_votes WHERE battle_id = ?1");
    s.bind(1, v.battle_id);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (s.i64(0) > 0) return conflict("arena battle " + v.battle_id + " already has a vote");
  }
  {
    PREPARE(s, std::string("INSERT INTO arena_votes (") + kVoteColumns +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
    s.bind(1, v.id).bind(2, v.battle_id).bind(3, v.arena).bind(4, v.judge).bind(5, v.voter_id).bind(6, v.key_id)
        .bind(7, v.outcome_json).bind(8, encode_vote_models(v.models)).bind(9, encode_vote_ranks(v.ranks))
        .bind(10, v.category).bind(11, v.language).bind(12, v.prompt_hash).bind(13, v.weight).bind(14, v.vote_ms)
        .bind(15, v.counted ? 1 : 0).bind(16, v.exclusion_reason).bind(17, v.created_at_ms ? v.created_at_ms : now_ms());
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<std::optional<ArenaVoteRecord>> SqliteStore::get_arena_vote_for_battle(const std::string& battle_id) {
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("SELECT ") + kVoteColumns + " FROM arena_votes WHERE battle_id = ?1");
  s.bind(1, battle_id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return std::optional<ArenaVoteRecord>();
  return std::optional<ArenaVoteRecord>(read_vote(s));
}

Result<std::vector<ArenaVoteRecord>> SqliteStore::list_arena_votes(const ArenaVoteQuery& q) {
  std::lock_guard lock(mu_);
  const VoteFilter f = vote_filter(q);
  std::string sql = std::string("SELECT ") + kVoteColumns + " FROM arena_votes" + f.where + " ORDER BY created_at_ms, id";
  if (q.limit > 0) sql += " LIMIT " + std::to_string(q.limit);  // an int, not user text
  PREPARE(s, sql);
  bind_vote_filter(s, f);
  return read_rows<ArenaVoteRecord>(s, read_vote);
}

Result<int64_t> SqliteStore::count_arena_votes(const ArenaVoteQuery& q) {
  std::lock_guard lock(mu_);
  const VoteFilter f = vote_filter(q);
  PREPARE(s, "SELECT count(*) FROM arena_votes" + f.where);
  bind_vote_filter(s, f);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  return s.i64(0);
}

Result<int> SqliteStore::exclude_voter(const std::string& voter_id, const std::string& reason, int64_t now) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "INSERT OR REPLACE INTO arena_voter_exclusions (voter_id, reason, created_at_ms) VALUES (?1, ?2, ?3)");
    s.bind(1, voter_id).bind(2, reason).bind(3, now);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  int64_t n = 0;
  {
    PREPARE(s, "UPDATE arena_votes SET counted = 0, exclusion_reason = 'excluded_voter' WHERE voter_id = ?1 AND counted = 1");
    s.bind(1, voter_id);
    PICTOR_RETURN_IF_ERROR(s.run());
    n = db_->changes();
  }
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return static_cast<int>(n);
}

Result<int> SqliteStore::include_voter(const std::string& voter_id) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "DELETE FROM arena_voter_exclusions WHERE voter_id = ?1");
    s.bind(1, voter_id);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  int64_t n = 0;
  {
    PREPARE(s, "UPDATE arena_votes SET counted = 1, exclusion_reason = '' WHERE voter_id = ?1 AND exclusion_reason = 'excluded_voter'");
    s.bind(1, voter_id);
    PICTOR_RETURN_IF_ERROR(s.run());
    n = db_->changes();
  }
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return static_cast<int>(n);
}

Result<bool> SqliteStore::is_voter_excluded(const std::string& voter_id) {
  std::lock_guard lock(mu_);
  PREPARE(s, "SELECT count(*) FROM arena_voter_exclusions WHERE voter_id = ?1");
  s.bind(1, voter_id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  return s.i64(0) > 0;
}

Status SqliteStore::insert_rating_snapshots(const std::vector<RatingSnapshotRecord>& rows) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  for (const auto& r : rows) {
    PREPARE(s, std::string("INSERT OR REPLACE INTO arena_rating_snapshots (") + kSnapshotColumns +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    s.bind(1, r.arena).bind(2, r.judge).bind(3, r.axis).bind(4, r.model).bind(5, r.mu).bind(6, r.sigma)
        .bind(7, r.score).bind(8, r.votes).bind(9, r.rank).bind(10, r.taken_at_ms).bind(11, r.reason);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<std::vector<RatingSnapshotRecord>> SqliteStore::rating_history(const RatingHistoryQuery& q) {
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("SELECT ") + kSnapshotColumns +
                 " FROM arena_rating_snapshots WHERE model = ?1 AND judge = ?2 AND axis = ?3"
                 " AND (?4 = '' OR arena = ?4) ORDER BY taken_at_ms, arena");
  s.bind(1, q.model).bind(2, q.judge).bind(3, q.axis).bind(4, q.arena.value_or(""));
  return read_rows<RatingSnapshotRecord>(s, read_snapshot);
}

Result<int64_t> SqliteStore::latest_rating_snapshot_ms() {
  std::lock_guard lock(mu_);
  PREPARE(s, "SELECT coalesce(max(taken_at_ms), 0) FROM arena_rating_snapshots");
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  return s.i64(0);
}

}  // namespace pictor::store
