// PostgreSQL's schema: the same numbered migrations as SQLite's (migrations.cpp), in PostgreSQL's
// types. Times and counts are BIGINT milliseconds; REAL in SQLite is 8 bytes, so DOUBLE PRECISION
// here; blobs are BYTEA. Text columns stay NOT NULL DEFAULT '' as in SQLite.
#include <string>

#include "store/migrations.h"
#include "store/pg_db.h"
#include "store/store.h"

namespace pictor::store {

namespace {

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
  progress        DOUBLE PRECISION NOT NULL DEFAULT 0,
  error_code      TEXT NOT NULL DEFAULT '',
  error_message   TEXT NOT NULL DEFAULT '',
  output_json     TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at_ms   BIGINT NOT NULL,
  started_at_ms   BIGINT NOT NULL DEFAULT 0,
  completed_at_ms BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (key_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX jobs_created ON jobs (created_at_ms, id);
CREATE INDEX jobs_key_created ON jobs (key_id, created_at_ms, id);
CREATE INDEX jobs_unfinished ON jobs (created_at_ms, id) WHERE status IN ('queued', 'running');

CREATE TABLE media (
  id            TEXT PRIMARY KEY,
  job_id        TEXT NOT NULL DEFAULT '',
  key_id        TEXT NOT NULL DEFAULT '',
  content_type  TEXT NOT NULL,
  width         INTEGER NOT NULL DEFAULT 0,
  height        INTEGER NOT NULL DEFAULT 0,
  size_bytes    BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL DEFAULT 0,
  deleted_at_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX media_job ON media (job_id) WHERE job_id <> '';
CREATE INDEX media_expiry ON media (expires_at_ms) WHERE expires_at_ms <> 0 AND deleted_at_ms = 0;
-- Media bytes live in the database, so any API node serves any image.
CREATE TABLE media_data (
  media_id TEXT PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE,
  data     BYTEA NOT NULL
);

CREATE TABLE api_keys (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL UNIQUE,
  prefix                TEXT NOT NULL,
  hash                  TEXT NOT NULL UNIQUE,
  created_at_ms         BIGINT NOT NULL,
  revoked_at_ms         BIGINT NOT NULL DEFAULT 0,
  rate_limit_per_minute INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE usage (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id          TEXT NOT NULL DEFAULT '',
  key_id          TEXT NOT NULL DEFAULT '',
  model           TEXT NOT NULL DEFAULT '',
  quality         TEXT NOT NULL DEFAULT '',
  images          INTEGER NOT NULL DEFAULT 0,
  pixels          BIGINT NOT NULL DEFAULT 0,
  compute_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  cost_usd        DOUBLE PRECISION NOT NULL DEFAULT 0,
  created_at_ms   BIGINT NOT NULL
);
CREATE INDEX usage_created ON usage (created_at_ms);
CREATE UNIQUE INDEX usage_job ON usage (job_id) WHERE job_id <> '';
)sql";

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
  created_at_ms  BIGINT NOT NULL
);

CREATE TABLE arena_battles (
  id             TEXT PRIMARY KEY,
  arena          TEXT NOT NULL CHECK (arena IN ('text-to-image','image-edit')),
  prompt_id      TEXT NOT NULL REFERENCES arena_prompts (id),
  judge          TEXT NOT NULL CHECK (judge IN ('human','auto')),
  creator_key_id TEXT NOT NULL DEFAULT '',
  voter_id       TEXT NOT NULL DEFAULT '',
  seed           BIGINT NOT NULL,
  width          INTEGER NOT NULL,
  height         INTEGER NOT NULL,
  pooled         INTEGER NOT NULL DEFAULT 0,
  shown_at_ms    BIGINT NOT NULL DEFAULT 0,
  created_at_ms  BIGINT NOT NULL,
  expires_at_ms  BIGINT NOT NULL
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
  weight           DOUBLE PRECISION NOT NULL DEFAULT 1,
  vote_ms          BIGINT NOT NULL DEFAULT 0,
  counted          INTEGER NOT NULL,
  exclusion_reason TEXT NOT NULL DEFAULT '',
  created_at_ms    BIGINT NOT NULL
);
CREATE INDEX arena_votes_created ON arena_votes (created_at_ms, id);
CREATE INDEX arena_votes_voter ON arena_votes (voter_id, created_at_ms);
CREATE INDEX arena_votes_prompt ON arena_votes (arena, prompt_hash);

CREATE TABLE arena_voter_exclusions (
  voter_id      TEXT PRIMARY KEY,
  reason        TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE arena_rating_snapshots (
  arena       TEXT NOT NULL,
  judge       TEXT NOT NULL,
  axis        TEXT NOT NULL,
  model       TEXT NOT NULL,
  mu          DOUBLE PRECISION NOT NULL,
  sigma       DOUBLE PRECISION NOT NULL,
  score       DOUBLE PRECISION NOT NULL,
  votes       BIGINT NOT NULL,
  rank        INTEGER NOT NULL,
  taken_at_ms BIGINT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (model, judge, axis, arena, taken_at_ms)
);
CREATE INDEX arena_rating_snapshots_taken ON arena_rating_snapshots (taken_at_ms);
)sql";

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
  next_attempt_at_ms BIGINT NOT NULL DEFAULT 0,
  created_at_ms      BIGINT NOT NULL,
  finished_at_ms     BIGINT NOT NULL DEFAULT 0,
  UNIQUE (job_id, event)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at_ms) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
  n           INTEGER NOT NULL,
  at_ms       BIGINT NOT NULL,
  status_code INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  duration_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (delivery_id, n)
);
)sql";

constexpr const char* k0004JobLeases = R"sql(
ALTER TABLE jobs ADD COLUMN worker_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_queued ON jobs (created_at_ms, id) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until_ms) WHERE status = 'running';

-- Values every node must share, e.g. the arena's and the webhooks' signing secrets.
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// pg_advisory_xact_lock key: "pict" in ASCII, so it does not collide with another application's.
constexpr int64_t kMigrationLock = 0x70696374;

}  // namespace

const std::vector<Migration>& pg_migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "0001_init", k0001Init},
      {2, "0002_arena", k0002Arena},
      {3, "0003_webhooks", k0003Webhooks},
      {4, "0004_job_leases", k0004JobLeases},
  };
  return kMigrations;
}

Status apply_pg_migrations(PgPool& pool) {
  const int known = pg_migrations().back().version;
  return pool.transact("migrating the PostgreSQL schema", [&](pqxx::work& t) -> Status {
    t.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    const pqxx::row r = t.exec1(
        "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'),"
        "       (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())");
    if (r[0].as<int64_t>() == 0 && r[1].as<int64_t>() > 0)
      return corrupt_data(redact_pg_url(pool.url()) +
                          " is a PostgreSQL database, but not pictor's (tables, no schema_migrations)");
    t.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)");
    const int64_t newest = t.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int64_t>();
    if (newest > known)
      return unsupported(redact_pg_url(pool.url()) + " has schema version " + std::to_string(newest) +
                         ", newer than this pictor knows (" + std::to_string(known) + "); upgrade pictor");
    for (const Migration& m : pg_migrations()) {
      if (m.version <= newest) continue;
      try {
        t.exec(m.sql);
      } catch (const std::exception& e) {
        return pg_status(e, std::string("migration ") + m.name + " failed");
      }
      t.exec_params("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)", m.version,
                    std::string(m.name), now_ms());
    }
    return Status::ok();
  });
}

}  // namespace pictor::store
