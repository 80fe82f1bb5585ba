// PgStore's arena tables (migration 0002, docs/arena.md). Handing out a pooled battle takes its
// row with FOR UPDATE SKIP LOCKED, so voters on different nodes never get the same battle; one
// vote per battle is the UNIQUE constraint's to keep.
#include "store/pg_db.h"
#include "store/pg_store.h"
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

ArenaPromptRecord read_prompt(const pqxx::row& r) {
  ArenaPromptRecord p;
  p.id = r[0].as<std::string>();
  p.arena = r[1].as<std::string>();
  p.text = r[2].as<std::string>();
  p.category = r[3].as<std::string>();
  p.language = r[4].as<std::string>();
  p.source = r[5].as<std::string>();
  p.image_media_id = r[6].as<std::string>();
  p.text_hash = r[7].as<std::string>();
  p.created_at_ms = r[8].as<int64_t>();
  return p;
}

ArenaBattleRecord read_battle(const pqxx::row& r) {
  ArenaBattleRecord b;
  b.id = r[0].as<std::string>();
  b.arena = r[1].as<std::string>();
  b.prompt_id = r[2].as<std::string>();
  b.judge = r[3].as<std::string>();
  b.creator_key_id = r[4].as<std::string>();
  b.voter_id = r[5].as<std::string>();
  b.seed = static_cast<uint64_t>(r[6].as<int64_t>());
  b.width = r[7].as<int>();
  b.height = r[8].as<int>();
  b.pooled = r[9].as<int>() != 0;
  b.shown_at_ms = r[10].as<int64_t>();
  b.created_at_ms = r[11].as<int64_t>();
  b.expires_at_ms = r[12].as<int64_t>();
  return b;
}

ArenaVoteRecord read_vote(const pqxx::row& r) {
  ArenaVoteRecord v;
  v.id = r[0].as<std::string>();
  v.battle_id = r[1].as<std::string>();
  v.arena = r[2].as<std::string>();
  v.judge = r[3].as<std::string>();
  v.voter_id = r[4].as<std::string>();
  v.key_id = r[5].as<std::string>();
  v.outcome_json = r[6].as<std::string>();
  v.models = decode_vote_models(r[7].as<std::string>());
  v.ranks = decode_vote_ranks(r[8].as<std::string>());
  v.category = r[9].as<std::string>();
  v.language = r[10].as<std::string>();
  v.prompt_hash = r[11].as<std::string>();
  v.weight = r[12].as<double>();
  v.vote_ms = r[13].as<int64_t>();
  v.counted = r[14].as<int>() != 0;
  v.exclusion_reason = r[15].as<std::string>();
  v.created_at_ms = r[16].as<int64_t>();
  return v;
}

RatingSnapshotRecord read_snapshot(const pqxx::row& r) {
  RatingSnapshotRecord s;
  s.arena = r[0].as<std::string>();
  s.judge = r[1].as<std::string>();
  s.axis = r[2].as<std::string>();
  s.model = r[3].as<std::string>();
  s.mu = r[4].as<double>();
  s.sigma = r[5].as<double>();
  s.score = r[6].as<double>();
  s.votes = r[7].as<int64_t>();
  s.rank = r[8].as<int>();
  s.taken_at_ms = r[9].as<int64_t>();
  s.reason = r[10].as<std::string>();
  return s;
}

Result<ArenaBattleRecord> battle_in(pqxx::work& t, const std::string& id) {
  const pqxx::result r = t.exec_params(std::string("SELECT ") + kBattleColumns + " FROM arena_battles WHERE id = $1", id);
  if (r.empty()) return not_found("No arena battle with id " + id);
  ArenaBattleRecord b = read_battle(r[0]);
  for (const auto& c : t.exec_params(
           "SELECT slot, model, job_id, media_id, status, error FROM arena_contestants WHERE battle_id = $1 ORDER BY slot",
           id))
    b.contestants.push_back(ArenaContestant{c[0].as<std::string>(), c[1].as<std::string>(), c[2].as<std::string>(),
                                            c[3].as<std::string>(), c[4].as<std::string>(), c[5].as<std::string>()});
  return b;
}

// WHERE clause and parameters of a vote query (every value a parameter, never spliced).
struct VoteFilter {
  std::string where = " WHERE true";
  std::vector<std::string> params;
};

VoteFilter vote_filter(const ArenaVoteQuery& q) {
  VoteFilter f;
  auto add = [&](const std::string& value, const std::string& condition) {
    f.params.push_back(value);
    f.where += " AND " + condition + "$" + std::to_string(f.params.size());
  };
  if (q.voter_id) add(*q.voter_id, "voter_id = ");
  if (q.arena) add(*q.arena, "arena = ");
  if (q.judge) add(*q.judge, "judge = ");
  if (q.prompt_hash) add(*q.prompt_hash, "prompt_hash = ");
  add(std::to_string(q.since_ms), "created_at_ms >= ");
  f.where += "::bigint";
  if (q.counted) add(*q.counted ? "1" : "0", "counted = ");
  return f;
}

Status check_filter(const VoteFilter& f) {
  for (const auto& p : f.params) PICTOR_RETURN_IF_ERROR(check_no_nul(p, "a vote filter"));
  return Status::ok();
}

}  // namespace

Status PgStore::insert_arena_prompt(const ArenaPromptRecord& p) {
  if (p.id.empty() || p.text.empty()) return invalid_argument("an arena prompt needs an id and a text");
  for (const std::string* s : {&p.id, &p.arena, &p.text, &p.category, &p.language, &p.source, &p.image_media_id,
                               &p.text_hash})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "an arena prompt field"));
  return pool_->transact("storing an arena prompt", [&](pqxx::work& t) -> Status {
    t.exec_params(std::string("INSERT INTO arena_prompts (") + kPromptColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                  p.id, p.arena, p.text, p.category, p.language, p.source, p.image_media_id, p.text_hash,
                  p.created_at_ms ? p.created_at_ms : now_ms());
    return Status::ok();
  });
}

Result<ArenaPromptRecord> PgStore::get_arena_prompt(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the prompt id"));
  ArenaPromptRecord out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading an arena prompt", [&](pqxx::work& t) -> Status {
    const pqxx::result r =
        t.exec_params(std::string("SELECT ") + kPromptColumns + " FROM arena_prompts WHERE id = $1", id);
    if (r.empty()) return not_found("No arena prompt with id " + id);
    out = read_prompt(r[0]);
    return Status::ok();
  }));
  return out;
}

Status PgStore::insert_arena_battle(const ArenaBattleRecord& b) {
  if (b.id.empty() || b.contestants.size() < 2 || b.contestants.size() > 4)
    return invalid_argument("an arena battle needs an id and 2–4 contestants");
  for (const std::string* s : {&b.id, &b.arena, &b.prompt_id, &b.judge, &b.creator_key_id, &b.voter_id})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "an arena battle field"));
  for (const auto& c : b.contestants)
    for (const std::string* s : {&c.slot, &c.model, &c.job_id, &c.media_id, &c.status, &c.error})
      PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "an arena contestant field"));
  return pool_->transact("storing an arena battle", [&](pqxx::work& t) -> Status {
    t.exec_params(std::string("INSERT INTO arena_battles (") + kBattleColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                  b.id, b.arena, b.prompt_id, b.judge, b.creator_key_id, b.voter_id, static_cast<int64_t>(b.seed),
                  b.width, b.height, b.pooled ? 1 : 0, b.shown_at_ms, b.created_at_ms ? b.created_at_ms : now_ms(),
                  b.expires_at_ms);
    for (const ArenaContestant& c : b.contestants)
      t.exec_params(
          "INSERT INTO arena_contestants (battle_id, slot, model, job_id, media_id, status, error)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7)",
          b.id, c.slot, c.model, c.job_id, c.media_id, c.status, c.error);
    return Status::ok();
  });
}

Result<ArenaBattleRecord> PgStore::get_arena_battle(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the battle id"));
  ArenaBattleRecord out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading an arena battle", [&](pqxx::work& t) -> Status {
    auto b = battle_in(t, id);
    if (!b.is_ok()) return b.status();
    out = std::move(*b);
    return Status::ok();
  }));
  return out;
}

Result<std::vector<ArenaBattleRecord>> PgStore::list_arena_battles(const ArenaBattleQuery& q) {
  std::vector<ArenaBattleRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("listing arena battles", [&](pqxx::work& t) -> Status {
    std::vector<std::string> params;
    std::string sql = "SELECT id FROM arena_battles b WHERE true";
    auto add = [&](const std::string& value) {
      params.push_back(value);
      return "$" + std::to_string(params.size());
    };
    if (q.arena) sql += " AND arena = " + add(*q.arena);
    if (q.judge) sql += " AND judge = " + add(*q.judge);
    if (q.pooled) sql += " AND pooled = " + add(*q.pooled ? "1" : "0") + "::int";
    if (q.not_expired_at_ms > 0) sql += " AND expires_at_ms > " + add(std::to_string(q.not_expired_at_ms)) + "::bigint";
    if (q.unvoted_only) sql += " AND NOT EXISTS (SELECT 1 FROM arena_votes v WHERE v.battle_id = b.id)";
    if (q.with_pending_slots)
      sql += " AND EXISTS (SELECT 1 FROM arena_contestants c WHERE c.battle_id = b.id AND c.status = 'pending')";
    sql += " ORDER BY created_at_ms, id LIMIT " + add(std::to_string(q.limit > 0 ? q.limit : 100)) + "::int";
    for (const auto& p : params) PICTOR_RETURN_IF_ERROR(check_no_nul(p, "a battle filter"));
    std::vector<std::string> ids;
    for (const auto& r : t.exec_params(sql, pqxx::prepare::make_dynamic_params(params)))
      ids.push_back(r[0].as<std::string>());
    for (const auto& id : ids) {
      auto b = battle_in(t, id);
      if (!b.is_ok()) return b.status();
      out.push_back(std::move(*b));
    }
    return Status::ok();
  }));
  return out;
}

Status PgStore::update_arena_contestant(const std::string& battle_id, const ArenaContestant& c) {
  for (const std::string* s : {&battle_id, &c.slot, &c.job_id, &c.media_id, &c.status, &c.error})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "an arena contestant field"));
  return pool_->transact("updating an arena contestant", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        "UPDATE arena_contestants SET job_id = $3, media_id = $4, status = $5, error = $6"
        " WHERE battle_id = $1 AND slot = $2",
        battle_id, c.slot, c.job_id, c.media_id, c.status, c.error);
    if (r.affected_rows() == 0) return not_found("No contestant " + c.slot + " in arena battle " + battle_id);
    return Status::ok();
  });
}

Result<int64_t> PgStore::mark_arena_battle_shown(const std::string& id, int64_t shown_at_ms) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the battle id"));
  int64_t shown = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("marking an arena battle shown", [&](pqxx::work& t) -> Status {
    t.exec_params("UPDATE arena_battles SET shown_at_ms = $2 WHERE id = $1 AND shown_at_ms = 0", id, shown_at_ms);
    const pqxx::result r = t.exec_params("SELECT shown_at_ms FROM arena_battles WHERE id = $1", id);
    if (r.empty()) return not_found("No arena battle with id " + id);
    shown = r[0][0].as<int64_t>();
    return Status::ok();
  }));
  return shown;
}

Result<std::optional<ArenaBattleRecord>> PgStore::claim_pooled_battle(const std::string& arena, const std::string& judge,
                                                                      const std::string& voter_id, int64_t now) {
  for (const std::string* s : {&arena, &judge, &voter_id}) PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a claim field"));
  std::optional<ArenaBattleRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("handing out a pooled battle", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        "UPDATE arena_battles SET pooled = 0, voter_id = $4 WHERE id = ("
        " SELECT id FROM arena_battles b WHERE pooled = 1 AND arena = $1 AND judge = $2 AND expires_at_ms > $3"
        " AND NOT EXISTS (SELECT 1 FROM arena_contestants c WHERE c.battle_id = b.id AND c.status <> 'ready')"
        " ORDER BY created_at_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
        arena, judge, now, voter_id);
    if (r.empty()) return Status::ok();
    auto b = battle_in(t, r[0][0].as<std::string>());
    if (!b.is_ok()) return b.status();
    out = std::move(*b);
    return Status::ok();
  }));
  return out;
}

Status PgStore::insert_arena_vote(const ArenaVoteRecord& v) {
  if (v.id.empty() || v.battle_id.empty() || v.models.size() != v.ranks.size())
    return invalid_argument("an arena vote needs an id, a battle and one rank per model");
  for (const std::string* s : {&v.id, &v.battle_id, &v.arena, &v.judge, &v.voter_id, &v.key_id, &v.outcome_json,
                               &v.category, &v.language, &v.prompt_hash, &v.exclusion_reason})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "an arena vote field"));
  for (const auto& m : v.models) PICTOR_RETURN_IF_ERROR(check_no_nul(m, "a vote's model"));
  Status s = pool_->transact("storing an arena vote", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        std::string("INSERT INTO arena_votes (") + kVoteColumns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
            " ON CONFLICT (battle_id) DO NOTHING",
        v.id, v.battle_id, v.arena, v.judge, v.voter_id, v.key_id, v.outcome_json, encode_vote_models(v.models),
        encode_vote_ranks(v.ranks), v.category, v.language, v.prompt_hash, v.weight, v.vote_ms, v.counted ? 1 : 0,
        v.exclusion_reason, v.created_at_ms ? v.created_at_ms : now_ms());
    if (r.affected_rows() == 0) return conflict("arena battle " + v.battle_id + " already has a vote");
    return Status::ok();
  });
  return s;
}

Result<std::optional<ArenaVoteRecord>> PgStore::get_arena_vote_for_battle(const std::string& battle_id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(battle_id, "the battle id"));
  std::optional<ArenaVoteRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading a battle's vote", [&](pqxx::work& t) -> Status {
    const pqxx::result r =
        t.exec_params(std::string("SELECT ") + kVoteColumns + " FROM arena_votes WHERE battle_id = $1", battle_id);
    if (!r.empty()) out = read_vote(r[0]);
    return Status::ok();
  }));
  return out;
}

Result<std::vector<ArenaVoteRecord>> PgStore::list_arena_votes(const ArenaVoteQuery& q) {
  const VoteFilter f = vote_filter(q);
  PICTOR_RETURN_IF_ERROR(check_filter(f));
  std::string sql = std::string("SELECT ") + kVoteColumns + " FROM arena_votes" + f.where + " ORDER BY created_at_ms, id";
  if (q.limit > 0) sql += " LIMIT " + std::to_string(q.limit);  // an int, not user text
  std::vector<ArenaVoteRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("listing arena votes", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(sql, pqxx::prepare::make_dynamic_params(f.params));
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_vote(row));
    return Status::ok();
  }));
  return out;
}

Result<int64_t> PgStore::count_arena_votes(const ArenaVoteQuery& q) {
  const VoteFilter f = vote_filter(q);
  PICTOR_RETURN_IF_ERROR(check_filter(f));
  int64_t n = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("counting arena votes", [&](pqxx::work& t) -> Status {
    n = t.exec_params("SELECT count(*) FROM arena_votes" + f.where, pqxx::prepare::make_dynamic_params(f.params))[0][0]
            .as<int64_t>();
    return Status::ok();
  }));
  return n;
}

Result<int> PgStore::exclude_voter(const std::string& voter_id, const std::string& reason, int64_t now) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(voter_id, "the voter id"));
  PICTOR_RETURN_IF_ERROR(check_no_nul(reason, "the reason"));
  int n = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("excluding a voter", [&](pqxx::work& t) -> Status {
    t.exec_params(
        "INSERT INTO arena_voter_exclusions (voter_id, reason, created_at_ms) VALUES ($1, $2, $3)"
        " ON CONFLICT (voter_id) DO UPDATE SET reason = EXCLUDED.reason, created_at_ms = EXCLUDED.created_at_ms",
        voter_id, reason, now);
    n = static_cast<int>(t.exec_params("UPDATE arena_votes SET counted = 0, exclusion_reason = 'excluded_voter'"
                                       " WHERE voter_id = $1 AND counted = 1",
                                       voter_id)
                             .affected_rows());
    return Status::ok();
  }));
  return n;
}

Result<int> PgStore::include_voter(const std::string& voter_id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(voter_id, "the voter id"));
  int n = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("including a voter", [&](pqxx::work& t) -> Status {
    t.exec_params("DELETE FROM arena_voter_exclusions WHERE voter_id = $1", voter_id);
    n = static_cast<int>(t.exec_params("UPDATE arena_votes SET counted = 1, exclusion_reason = ''"
                                       " WHERE voter_id = $1 AND exclusion_reason = 'excluded_voter'",
                                       voter_id)
                             .affected_rows());
    return Status::ok();
  }));
  return n;
}

Result<bool> PgStore::is_voter_excluded(const std::string& voter_id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(voter_id, "the voter id"));
  bool excluded = false;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading a voter's exclusion", [&](pqxx::work& t) -> Status {
    excluded = !t.exec_params("SELECT 1 FROM arena_voter_exclusions WHERE voter_id = $1", voter_id).empty();
    return Status::ok();
  }));
  return excluded;
}

Status PgStore::insert_rating_snapshots(const std::vector<RatingSnapshotRecord>& rows) {
  for (const auto& r : rows)
    for (const std::string* s : {&r.arena, &r.judge, &r.axis, &r.model, &r.reason})
      PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a rating snapshot field"));
  return pool_->transact("storing rating snapshots", [&](pqxx::work& t) -> Status {
    for (const auto& r : rows)
      t.exec_params(std::string("INSERT INTO arena_rating_snapshots (") + kSnapshotColumns +
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                        " ON CONFLICT (model, judge, axis, arena, taken_at_ms) DO UPDATE SET mu = EXCLUDED.mu,"
                        " sigma = EXCLUDED.sigma, score = EXCLUDED.score, votes = EXCLUDED.votes,"
                        " rank = EXCLUDED.rank, reason = EXCLUDED.reason",
                    r.arena, r.judge, r.axis, r.model, r.mu, r.sigma, r.score, r.votes, r.rank, r.taken_at_ms,
                    r.reason);
    return Status::ok();
  });
}

Result<std::vector<RatingSnapshotRecord>> PgStore::rating_history(const RatingHistoryQuery& q) {
  for (const std::string* s : {&q.model, &q.judge, &q.axis}) PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a history filter"));
  const std::string arena = q.arena.value_or("");
  PICTOR_RETURN_IF_ERROR(check_no_nul(arena, "the arena"));
  std::vector<RatingSnapshotRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading rating history", [&](pqxx::work& t) -> Status {
    for (const auto& r : t.exec_params(std::string("SELECT ") + kSnapshotColumns +
                                           " FROM arena_rating_snapshots WHERE model = $1 AND judge = $2 AND axis = $3"
                                           " AND ($4 = '' OR arena = $4) ORDER BY taken_at_ms, arena",
                                       q.model, q.judge, q.axis, arena))
      out.push_back(read_snapshot(r));
    return Status::ok();
  }));
  return out;
}

Result<int64_t> PgStore::latest_rating_snapshot_ms() {
  int64_t latest = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading the latest rating snapshot", [&](pqxx::work& t) -> Status {
    latest = t.exec1("SELECT coalesce(max(taken_at_ms), 0) FROM arena_rating_snapshots")[0].as<int64_t>();
    return Status::ok();
  }));
  return latest;
}

}  // namespace pictor::store
