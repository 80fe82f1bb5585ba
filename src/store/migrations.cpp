#include "store/migrations.h"

#include <string>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace pictor::store {

namespace {

// Times are Unix milliseconds; 0 means "not yet"/"never". Text columns are NOT NULL DEFAULT ''
// so that the C++ records round-trip without NULL handling.
constexpr const char* k0001Init = R"sql(
CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  key_id          TEXT NOT NULL DEFAULT '',
  model           TEXT NOT NULL,
  kind            TEXT NOT NULL,
  input_json      TEXT NOT NULL DEFAULT '',
  request_hash    TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','canceled')),
  progress        REAL NOT NULL DEFAULT 0,
  error_code      TEXT NOT NULL DEFAULT '',
  error_message   TEXT NOT NULL DEFAULT '',
  output_json     TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at_ms   INTEGER NOT NULL,
  started_at_ms   INTEGER NOT NULL DEFAULT 0,
  completed_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (key_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX jobs_created ON jobs (created_at_ms, id);
CREATE INDEX jobs_key_created ON jobs (key_id, created_at_ms, id);
CREATE INDEX jobs_unfinished ON jobs (created_at_ms, id) WHERE status IN ('queued', 'running');

-- Metadata and bytes live apart: listing or checking media never reads a blob. A deleted or
-- expired media keeps its row (deleted_at_ms <> 0) as a tombstone and loses its media_data row.
CREATE TABLE media (
  id            TEXT PRIMARY KEY,
  job_id        TEXT NOT NULL DEFAULT '',
  key_id        TEXT NOT NULL DEFAULT '',
  content_type  TEXT NOT NULL,
  width         INTEGER NOT NULL DEFAULT 0,
  height        INTEGER NOT NULL DEFAULT 0,
  size_bytes    INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL DEFAULT 0,
  deleted_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX media_job ON media (job_id) WHERE job_id <> '';
CREATE INDEX media_expiry ON media (expires_at_ms) WHERE expires_at_ms <> 0 AND deleted_at_ms = 0;
CREATE TABLE media_data (
  media_id TEXT PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE,
  data     BLOB NOT NULL
);

-- Only the SHA-256 of a key is stored (docs/store.md); the key itself is shown once at creation.
CREATE TABLE api_keys (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL UNIQUE,
  prefix                TEXT NOT NULL,
  hash                  TEXT NOT NULL UNIQUE,
  created_at_ms         INTEGER NOT NULL,
  revoked_at_ms         INTEGER NOT NULL DEFAULT 0,
  rate_limit_per_minute INTEGER NOT NULL DEFAULT 0
);

-- One row per finished job (at most one: finish_job may be retried).
CREATE TABLE usage (
  id              INTEGER PRIMARY KEY,
  job_id          TEXT NOT NULL DEFAULT '',
  key_id          TEXT NOT NULL DEFAULT '',
  model           TEXT NOT NULL DEFAULT '',
  quality         TEXT NOT NULL DEFAULT '',
  images          INTEGER NOT NULL DEFAULT 0,
  pixels          INTEGER NOT NULL DEFAULT 0,
  compute_seconds REAL NOT NULL DEFAULT 0,
  cost_usd        REAL NOT NULL DEFAULT 0,
  created_at_ms   INTEGER NOT NULL
);
CREATE INDEX usage_created ON usage (created_at_ms);
CREATE UNIQUE INDEX usage_job ON usage (job_id) WHERE job_id <> '';
)sql";


// The arena (docs/arena.md) and the admin scope of API keys. A vote copies what a replay needs
// (models and ranks in slot order, the prompt's axes, its weight) so that ratings are recomputed
// from arena_votes alone; counted = 0 votes are kept with their exclusion reason.
constexpr const char* k0002Arena = R"sql(
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '';

CREATE TABLE arena_prompts (
  id             TEXT PRIMARY KEY,
  arena          TEXT NOT NULL CHECK (arena IN ('text-to-image','image-edit')),
  text           TEXT NOT NULL,
  category       TEXT NOT NULL DEFAULT '',
  language       TEXT NOT NULL DEFAULT '',
  source         TEXT NOT NULL DEFAULT '',
  image_media_id TEXT NOT NULL DEFAULT '',
  text_hash      TEXT NOT NULL DEFAULT '',
  created_at_ms  INTEGER NOT NULL
);

CREATE TABLE arena_battles (
  id             TEXT PRIMARY KEY,
  arena          TEXT NOT NULL CHECK (arena IN ('text-to-image','image-edit')),
  prompt_id      TEXT NOT NULL REFERENCES arena_prompts (id),
  judge          TEXT NOT NULL CHECK (judge IN ('human','auto')),
  creator_key_id TEXT NOT NULL DEFAULT '',
  voter_id       TEXT NOT NULL DEFAULT '',
  seed           INTEGER NOT NULL,
  width          INTEGER NOT NULL,
  height         INTEGER NOT NULL,
  pooled         INTEGER NOT NULL DEFAULT 0,
  shown_at_ms    INTEGER NOT NULL DEFAULT 0,
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL
);
CREATE INDEX arena_battles_pool ON arena_battles (arena, judge, created_at_ms) WHERE pooled = 1;
CREATE INDEX arena_battles_created ON arena_battles (created_at_ms, id);

CREATE TABLE arena_contestants (
  battle_id TEXT NOT NULL REFERENCES arena_battles (id),
  slot      TEXT NOT NULL CHECK (slot IN ('a','b','c','d')),
  model     TEXT NOT NULL,
  job_id    TEXT NOT NULL DEFAULT '',
  media_id  TEXT NOT NULL DEFAULT '',
  status    TEXT NOT NULL CHECK (status IN ('pending','ready','failed')),
  error     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (battle_id, slot)
);
CREATE INDEX arena_contestants_pending ON arena_contestants (battle_id) WHERE status = 'pending';

CREATE TABLE arena_votes (
  id               TEXT PRIMARY KEY,
  battle_id        TEXT NOT NULL UNIQUE REFERENCES arena_battles (id),
  arena            TEXT NOT NULL,
  judge            TEXT NOT NULL CHECK (judge IN ('human','auto')),
  voter_id         TEXT NOT NULL,
  key_id           TEXT NOT NULL DEFAULT '',
  outcome_json     TEXT NOT NULL,
  models_json      TEXT NOT NULL,
  ranks_json       TEXT NOT NULL,
  category         TEXT NOT NULL DEFAULT '',
  language         TEXT NOT NULL DEFAULT '',
  prompt_hash      TEXT NOT NULL DEFAULT '',
  weight           REAL NOT NULL DEFAULT 1,
  vote_ms          INTEGER NOT NULL DEFAULT 0,
  counted          INTEGER NOT NULL,
  exclusion_reason TEXT NOT NULL DEFAULT '',
  created_at_ms    INTEGER NOT NULL
);
CREATE INDEX arena_votes_created ON arena_votes (created_at_ms, id);
CREATE INDEX arena_votes_voter ON arena_votes (voter_id, created_at_ms);
CREATE INDEX arena_votes_prompt ON arena_votes (arena, prompt_hash);

-- Voters whose votes an operator stopped counting (their later votes are not counted either).
CREATE TABLE arena_voter_exclusions (
  voter_id      TEXT PRIMARY KEY,
  reason        TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL
);

CREATE TABLE arena_rating_snapshots (
  arena       TEXT NOT NULL,
  judge       TEXT NOT NULL,
  axis        TEXT NOT NULL,
  model       TEXT NOT NULL,
  mu          REAL NOT NULL,
  sigma       REAL NOT NULL,
  score       REAL NOT NULL,
  votes       INTEGER NOT NULL,
  rank        INTEGER NOT NULL,
  taken_at_ms INTEGER NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (model, judge, axis, arena, taken_at_ms)
);
CREATE INDEX arena_rating_snapshots_taken ON arena_rating_snapshots (taken_at_ms);
)sql";

}  // namespace

// Webhook deliveries and their tries (docs/server.md "Webhooks"); usage learns which provider ran
// a job (the gateway's upstreams, docs/providers.md).
constexpr const char* k0003Webhooks = R"sql(
ALTER TABLE usage ADD COLUMN provider TEXT NOT NULL DEFAULT '';

CREATE TABLE webhook_deliveries (
  id                 TEXT PRIMARY KEY,
  job_id             TEXT NOT NULL,
  key_id             TEXT NOT NULL DEFAULT '',
  url                TEXT NOT NULL,
  event              TEXT NOT NULL,
  payload            TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
  created_at_ms      INTEGER NOT NULL,
  finished_at_ms     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (job_id, event)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at_ms) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
  n           INTEGER NOT NULL,
  at_ms       INTEGER NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (delivery_id, n)
);
)sql";

// The shared queue (docs/store.md): workers claim jobs under a lease they renew; a job whose
// worker died goes back to the queue when its lease runs out.
constexpr const char* k0004JobLeases = R"sql(
ALTER TABLE jobs ADD COLUMN worker_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_queued ON jobs (created_at_ms, id) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until_ms) WHERE status = 'running';

-- Values every node must share, e.g. the arena's and the webhooks' signing secrets.
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "0001_init", k0001Init},
      {2, "0002_arena", k0002Arena},
      {3, "0003_webhooks", k0003Webhooks},
      {4, "0004_job_leases", k0004JobLeases},
  };
  return kMigrations;
}

namespace {

// One-row query returning two integers.
Status query_two(SqliteDb& db, const std::string& sql, int64_t bind1, int64_t& a, int64_t& b) {
  auto st = db.prepare(sql);
  if (!st.is_ok()) return st.status();
  if (sql.find("?1") != std::string::npos) (*st)->bind(1, bind1);
  auto row = (*st)->step();
  if (!row.is_ok()) return row.status();
  if (!*row) return internal_error("no row from: " + sql);
  a = (*st)->i64(0);
  b = (*st)->i64(1);
  return Status::ok();
}

}  // namespace

Status apply_sqlite_migrations(SqliteDb& db) {
  const int known = sqlite_migrations().back().version;
  {
    Transaction txn(db);
    PICTOR_RETURN_IF_ERROR(txn.begin());
    // A foreign SQLite file (tables, but no schema_migrations) is refused rather than written into.
    int64_t ours = 0, tables = 0;
    PICTOR_RETURN_IF_ERROR(query_two(
        db,
        "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'),"
        "       (SELECT count(*) FROM sqlite_master WHERE type = 'table')",
        0, ours, tables));
    if (ours == 0 && tables > 0)
      return corrupt_data(db.path() + " is an SQLite database, but not pictor's (no schema_migrations table)");
    PICTOR_RETURN_IF_ERROR(db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)"));
    PICTOR_RETURN_IF_ERROR(txn.commit());
  }
  for (const Migration& m : sqlite_migrations()) {
    // Check and apply inside one write transaction: two processes opening a new file at once
    // cannot both apply the same migration.
    Transaction txn(db);
    PICTOR_RETURN_IF_ERROR(txn.begin());
    int64_t newest = 0, applied = 0;
    PICTOR_RETURN_IF_ERROR(query_two(
        db, "SELECT coalesce(max(version), 0), count(*) FILTER (WHERE version = ?1) FROM schema_migrations",
        m.version, newest, applied));
    if (newest > known)
      return unsupported(db.path() + " has schema version " + std::to_string(newest) +
                         ", newer than this pictor knows (" + std::to_string(known) + "); upgrade pictor");
    if (applied) continue;
    if (Status s = db.exec(m.sql); !s.is_ok())
      return Status(s.code(), std::string("migration ") + m.name + " failed: " + s.message());
    {
      auto st = db.prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?1, ?2, ?3)");
      if (!st.is_ok()) return st.status();
      (*st)->bind(1, m.version).bind(2, std::string_view(m.name)).bind(3, now_ms());
      PICTOR_RETURN_IF_ERROR((*st)->run());
    }
    PICTOR_RETURN_IF_ERROR(txn.commit());
  }
  return Status::ok();
}

}  // namespace pictor::store
