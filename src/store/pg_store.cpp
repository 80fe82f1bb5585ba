// PgStore: jobs, media, API keys and usage (pg_arena.cpp and pg_webhooks.cpp hold the rest).
// Statements mirror sqlite_store.cpp; where two nodes can race (idempotent inserts, claims) the
// database's constraints and row locks decide, not a process-local mutex.
#include "store/pg_store.h"

#include <limits>

#include "store/migrations.h"
#include "store/pg_db.h"

namespace pictor::store {

namespace {

constexpr const char* kJobColumns =
    "id, key_id, model, kind, input_json, request_hash, idempotency_key, status, progress, "
    "error_code, error_message, output_json, attempts, created_at_ms, started_at_ms, completed_at_ms, worker_id, "
    "lease_until_ms, cancel_requested";
constexpr const char* kMediaColumns =
    "id, job_id, key_id, content_type, width, height, size_bytes, created_at_ms, expires_at_ms, deleted_at_ms";
constexpr const char* kKeyColumns =
    "id, name, prefix, hash, created_at_ms, revoked_at_ms, rate_limit_per_minute, scopes";

std::string select_jobs(const std::string& tail) { return std::string("SELECT ") + kJobColumns + " FROM jobs " + tail; }

JobRecord read_job(const pqxx::row& r) {
  JobRecord j;
  j.id = r[0].as<std::string>();
  j.key_id = r[1].as<std::string>();
  j.model = r[2].as<std::string>();
  j.kind = r[3].as<std::string>();
  j.input_json = r[4].as<std::string>();
  j.request_hash = r[5].as<std::string>();
  j.idempotency_key = r[6].as<std::string>();
  j.status = parse_job_status(r[7].as<std::string>()).value_or(JobStatus::kQueued);  // CHECKed by the schema
  j.progress = r[8].as<double>();
  j.error_code = r[9].as<std::string>();
  j.error_message = r[10].as<std::string>();
  j.output_json = r[11].as<std::string>();
  j.attempts = r[12].as<int>();
  j.created_at_ms = r[13].as<int64_t>();
  j.started_at_ms = r[14].as<int64_t>();
  j.completed_at_ms = r[15].as<int64_t>();
  j.worker_id = r[16].as<std::string>();
  j.lease_until_ms = r[17].as<int64_t>();
  j.cancel_requested = r[18].as<int>() != 0;
  return j;
}

MediaRecord read_media(const pqxx::row& r, int64_t now) {
  MediaRecord m;
  m.id = r[0].as<std::string>();
  m.job_id = r[1].as<std::string>();
  m.key_id = r[2].as<std::string>();
  m.content_type = r[3].as<std::string>();
  m.width = r[4].as<int>();
  m.height = r[5].as<int>();
  m.size_bytes = r[6].as<int64_t>();
  m.created_at_ms = r[7].as<int64_t>();
  m.expires_at_ms = r[8].as<int64_t>();
  // Expired counts as deleted from the moment it expires, before expire_media sweeps the bytes.
  m.deleted = r[9].as<int64_t>() != 0 || (m.expires_at_ms != 0 && m.expires_at_ms <= now);
  return m;
}

ApiKeyRecord read_key(const pqxx::row& r) {
  ApiKeyRecord k;
  k.id = r[0].as<std::string>();
  k.name = r[1].as<std::string>();
  k.prefix = r[2].as<std::string>();
  k.hash = r[3].as<std::string>();
  k.created_at_ms = r[4].as<int64_t>();
  k.revoked_at_ms = r[5].as<int64_t>();
  k.rate_limit_per_minute = r[6].as<int>();
  k.admin = r[7].as<std::string>() == "admin";
  return k;
}

}  // namespace

// Sent at commit, to every node listening (JobNotices).
void notify_jobs(pqxx::work& t, const std::string& payload) {
  t.exec_params("SELECT pg_notify('pictor_jobs', $1)", payload);
}

namespace {

Status check_job_text(const JobRecord& j) {
  for (const std::string* s : {&j.id, &j.key_id, &j.model, &j.kind, &j.input_json, &j.request_hash,
                               &j.idempotency_key, &j.error_code, &j.error_message, &j.output_json, &j.worker_id})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a job field"));
  return Status::ok();
}

Status update_job_in(pqxx::work& t, const JobRecord& j) {
  PICTOR_RETURN_IF_ERROR(check_job_text(j));
  // Guarded by the worker (store.h); a re-queued job's lease ends with it.
  const pqxx::result r = t.exec_params(
      "UPDATE jobs SET status = $2, progress = $3, error_code = $4, error_message = $5, output_json = $6,"
      " attempts = $7, started_at_ms = $8, completed_at_ms = $9,"
      " lease_until_ms = CASE WHEN $2 = 'running' THEN lease_until_ms ELSE 0 END"
      " WHERE id = $1 AND worker_id = $10",
      j.id, std::string(job_status_name(j.status)), j.progress, j.error_code, j.error_message, j.output_json,
      j.attempts, j.started_at_ms, j.completed_at_ms, j.worker_id);
  if (r.affected_rows() == 0) {
    const pqxx::result w = t.exec_params("SELECT worker_id FROM jobs WHERE id = $1", j.id);
    if (w.empty()) return not_found("no job " + j.id);
    return conflict("job " + j.id + " is held by worker '" + w[0][0].as<std::string>() + "', not '" + j.worker_id + "'");
  }
  notify_jobs(t, (j.status == JobStatus::kQueued ? "queued:" : is_terminal(j.status) ? "finished:" : "changed:") + j.id);
  return Status::ok();
}

Status insert_usage_in(pqxx::work& t, const UsageRecord& u) {
  for (const std::string* s : {&u.job_id, &u.key_id, &u.model, &u.quality, &u.provider})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a usage field"));
  // A job has at most one usage row: a retried finish_job does not bill twice.
  t.exec_params(
      "INSERT INTO usage (job_id, key_id, model, quality, images, pixels, compute_seconds, cost_usd,"
      " created_at_ms, provider) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
      u.job_id, u.key_id, u.model, u.quality, u.images, u.pixels, u.compute_seconds, u.cost_usd,
      u.created_at_ms ? u.created_at_ms : now_ms(), u.provider);
  return Status::ok();
}

}  // namespace

// pg_webhooks.cpp: inserts one delivery row inside a caller's transaction.
Status insert_webhook_delivery_in(pqxx::work& t, const WebhookDeliveryRecord& d);
// pg_notices.cpp: a LISTEN on its own connection.
Result<std::unique_ptr<JobNotices>> listen_pg_job_notices(const std::string& url);

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& url, int connections) {
  auto pool = PgPool::open(url, connections);
  if (!pool.is_ok()) return pool.status();
  if (Status s = apply_pg_migrations(**pool); !s.is_ok()) {
    if (s.code() == StatusCode::kCorruptData || s.code() == StatusCode::kUnsupported) return s;
    return Status(s.code(), "cannot set up " + (*pool)->redacted_url() + ": " + s.message());
  }
  return std::unique_ptr<PgStore>(new PgStore(std::move(*pool)));
}

PgStore::PgStore(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}
PgStore::~PgStore() = default;

// --- jobs

Result<JobRecord> PgStore::insert_job(const JobRecord& job) {
  JobRecord j = job;
  if (j.id.empty()) j.id = new_id("gen");
  if (j.created_at_ms == 0) j.created_at_ms = now_ms();
  PICTOR_RETURN_IF_ERROR(check_job_text(j));
  std::optional<JobRecord> existing;
  Status s = pool_->transact("inserting a job", [&](pqxx::work& t) -> Status {
    // ON CONFLICT on the idempotency index only: a duplicate id still fails loudly.
    const pqxx::result r = t.exec_params(
        std::string("INSERT INTO jobs (") + kJobColumns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
            " ON CONFLICT (key_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING",
        j.id, j.key_id, j.model, j.kind, j.input_json, j.request_hash, j.idempotency_key,
        std::string(job_status_name(j.status)), j.progress, j.error_code, j.error_message, j.output_json,
        j.attempts, j.created_at_ms, j.started_at_ms, j.completed_at_ms, j.worker_id, j.lease_until_ms,
        j.cancel_requested ? 1 : 0);
    if (r.affected_rows() == 1) {
      if (j.status == JobStatus::kQueued) notify_jobs(t, "queued:" + j.id);
      return Status::ok();
    }
    const pqxx::result e = t.exec_params(select_jobs("WHERE key_id = $1 AND idempotency_key = $2"), j.key_id,
                                         j.idempotency_key);
    if (e.empty()) return internal_error("job insert conflicted, but no job holds its idempotency key");
    existing = read_job(e[0]);
    return Status::ok();
  });
  if (!s.is_ok()) {
    if (s.code() == StatusCode::kInvalidArgument && s.message().find("jobs_pkey") != std::string::npos)
      return invalid_argument("job " + j.id + " already exists");
    return s;
  }
  return existing ? *existing : j;
}

Result<JobRecord> PgStore::get_job(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the job id"));
  JobRecord out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading a job", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(select_jobs("WHERE id = $1"), id);
    if (r.empty()) return not_found("no job " + id);
    out = read_job(r[0]);
    return Status::ok();
  }));
  return out;
}

Result<std::vector<JobRecord>> PgStore::list_jobs(const JobQuery& q) {
  if (q.limit <= 0) return invalid_argument("limit must be positive");
  PICTOR_RETURN_IF_ERROR(check_no_nul(q.before_id, "the pagination cursor"));
  std::vector<JobRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("listing jobs", [&](pqxx::work& t) -> Status {
    std::vector<std::string> params;
    std::string where = "WHERE true";
    auto add = [&](const std::string& value) {
      params.push_back(value);
      return "$" + std::to_string(params.size());
    };
    if (q.key_id) where += " AND key_id = " + add(*q.key_id);
    if (q.status) where += " AND status = " + add(job_status_name(*q.status));
    if (!q.before_id.empty()) {
      const pqxx::result c = t.exec_params("SELECT created_at_ms FROM jobs WHERE id = $1", q.before_id);
      if (c.empty()) return invalid_argument("unknown pagination cursor " + q.before_id);
      const std::string created = add(c[0][0].as<std::string>());
      where += " AND (created_at_ms, id) < (" + created + "::bigint, " + add(q.before_id) + ")";
    }
    if (q.exclude_key_id) where += " AND key_id <> " + add(*q.exclude_key_id);
    const std::string limit = add(std::to_string(q.limit));
    for (const auto& p : params) PICTOR_RETURN_IF_ERROR(check_no_nul(p, "a job filter"));
    const pqxx::result r = t.exec_params(select_jobs(where + " ORDER BY created_at_ms DESC, id DESC LIMIT " + limit + "::int"),
                                         pqxx::prepare::make_dynamic_params(params));
    for (const auto& row : r) out.push_back(read_job(row));
    return Status::ok();
  }));
  return out;
}

Status PgStore::update_job(const JobRecord& job) {
  return pool_->transact("updating a job", [&](pqxx::work& t) { return update_job_in(t, job); });
}

Result<std::vector<JobRecord>> PgStore::unfinished_jobs() {
  std::vector<JobRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("listing unfinished jobs", [&](pqxx::work& t) -> Status {
    for (const auto& row : t.exec(select_jobs("WHERE status IN ('queued', 'running') ORDER BY created_at_ms, id")))
      out.push_back(read_job(row));
    return Status::ok();
  }));
  return out;
}

Status PgStore::finish_job(const JobRecord& job, const std::optional<UsageRecord>& usage,
                           const std::vector<WebhookDeliveryRecord>& webhooks) {
  return pool_->transact("finishing a job", [&](pqxx::work& t) -> Status {
    PICTOR_RETURN_IF_ERROR(update_job_in(t, job));
    if (usage) PICTOR_RETURN_IF_ERROR(insert_usage_in(t, *usage));
    for (const auto& d : webhooks) PICTOR_RETURN_IF_ERROR(insert_webhook_delivery_in(t, d));
    return Status::ok();
  });
}

// --- media

Status PgStore::put_media(const MediaRecord& m, std::string_view data) {
  if (m.id.empty()) return invalid_argument("media id is empty");
  for (const std::string* s : {&m.id, &m.job_id, &m.key_id, &m.content_type})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a media field"));
  const int64_t created = m.created_at_ms ? m.created_at_ms : now_ms();
  Status s = pool_->transact("storing media", [&](pqxx::work& t) -> Status {
    t.exec_params(
        "INSERT INTO media (id, job_id, key_id, content_type, width, height, size_bytes, created_at_ms,"
        " expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        m.id, m.job_id, m.key_id, m.content_type, m.width, m.height, static_cast<int64_t>(data.size()), created,
        m.expires_at_ms);
    t.exec_params("INSERT INTO media_data (media_id, data) VALUES ($1, $2)", m.id, to_bytea(data));
    return Status::ok();
  });
  if (s.code() == StatusCode::kInvalidArgument && s.message().find("media_pkey") != std::string::npos)
    return invalid_argument("media " + m.id + " already exists");
  return s;
}

Result<MediaRecord> PgStore::get_media(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the media id"));
  const int64_t now = now_ms();
  MediaRecord out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading media", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(std::string("SELECT ") + kMediaColumns + " FROM media WHERE id = $1", id);
    if (r.empty()) return not_found("no media " + id);
    out = read_media(r[0], now);
    return Status::ok();
  }));
  return out;
}

Result<std::string> PgStore::get_media_data(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the media id"));
  const int64_t now = now_ms();
  std::string out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading media bytes", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        "SELECT d.data FROM media m JOIN media_data d ON d.media_id = m.id WHERE m.id = $1"
        " AND m.deleted_at_ms = 0 AND (m.expires_at_ms = 0 OR m.expires_at_ms > $2)",
        id, now);
    if (r.empty()) return not_found("no media " + id + " (or it was deleted or has expired)");
    out = from_bytea(r[0][0]);
    return Status::ok();
  }));
  return out;
}

Status PgStore::delete_media(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the media id"));
  const int64_t now = now_ms();
  return pool_->transact("deleting media", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params("SELECT deleted_at_ms FROM media WHERE id = $1 FOR UPDATE", id);
    if (r.empty()) return not_found("no media " + id);
    if (r[0][0].as<int64_t>() != 0) return Status::ok();  // already a tombstone
    t.exec_params("UPDATE media SET deleted_at_ms = $2 WHERE id = $1", id, now);
    t.exec_params("DELETE FROM media_data WHERE media_id = $1", id);
    return Status::ok();
  });
}

Result<int> PgStore::expire_media(int64_t now) {
  int n = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("expiring media", [&](pqxx::work& t) -> Status {
    // One statement marks and returns the expired rows, so two nodes sweeping at once count each once.
    const pqxx::result r = t.exec_params(
        "UPDATE media SET deleted_at_ms = $1 WHERE expires_at_ms <> 0 AND expires_at_ms <= $1 AND deleted_at_ms = 0"
        " RETURNING id",
        now);
    n = static_cast<int>(r.size());
    if (n > 0)
      t.exec_params("DELETE FROM media_data WHERE media_id IN (SELECT id FROM media WHERE deleted_at_ms = $1)", now);
    return Status::ok();
  }));
  return n;
}

// --- API keys

Status PgStore::insert_api_key(const ApiKeyRecord& k) {
  if (k.id.empty() || k.name.empty() || k.hash.empty())
    return invalid_argument("an API key needs an id, a name and a hash");
  for (const std::string* s : {&k.id, &k.name, &k.prefix, &k.hash})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "an API key field"));
  const int64_t created = k.created_at_ms ? k.created_at_ms : now_ms();
  Status s = pool_->transact("storing an API key", [&](pqxx::work& t) -> Status {
    t.exec_params(std::string("INSERT INTO api_keys (") + kKeyColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                  k.id, k.name, k.prefix, k.hash, created, k.revoked_at_ms, k.rate_limit_per_minute,
                  std::string(k.admin ? "admin" : ""));
    return Status::ok();
  });
  if (s.code() == StatusCode::kInvalidArgument) {
    // The constraint that failed says which field repeats (the same messages as SQLite's).
    if (s.message().find("api_keys_name_key") != std::string::npos)
      return invalid_argument("an API key named '" + k.name + "' already exists");
    if (s.message().find("api_keys_pkey") != std::string::npos)
      return invalid_argument("an API key with id " + k.id + " already exists");
    if (s.message().find("api_keys_hash_key") != std::string::npos)
      return invalid_argument("this API key is already registered");
  }
  return s;
}

Result<ApiKeyRecord> PgStore::find_api_key_by_hash(const std::string& hash) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(hash, "the key hash"));
  ApiKeyRecord out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("finding an API key", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE hash = $1", hash);
    if (r.empty()) return not_found("no such API key");
    out = read_key(r[0]);
    return Status::ok();
  }));
  return out;
}

Result<std::vector<ApiKeyRecord>> PgStore::list_api_keys() {
  std::vector<ApiKeyRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("listing API keys", [&](pqxx::work& t) -> Status {
    for (const auto& row : t.exec(std::string("SELECT ") + kKeyColumns + " FROM api_keys ORDER BY created_at_ms, id"))
      out.push_back(read_key(row));
    return Status::ok();
  }));
  return out;
}

Status PgStore::revoke_api_key(const std::string& id_or_name, int64_t now) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id_or_name, "the key id or name"));
  return pool_->transact("revoking an API key", [&](pqxx::work& t) -> Status {
    // An id wins over a name (names cannot look like ids: `pictor keys create` refuses "key_…").
    const pqxx::result r = t.exec_params(
        "SELECT id, revoked_at_ms FROM api_keys WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1 FOR UPDATE",
        id_or_name);
    if (r.empty()) return not_found("no API key with id or name '" + id_or_name + "'");
    if (r[0][1].as<int64_t>() != 0) return Status::ok();  // already revoked: keep the first revocation time
    t.exec_params("UPDATE api_keys SET revoked_at_ms = $2 WHERE id = $1", r[0][0].as<std::string>(), now);
    return Status::ok();
  });
}

// --- usage

Status PgStore::insert_usage(const UsageRecord& u) {
  return pool_->transact("recording usage", [&](pqxx::work& t) { return insert_usage_in(t, u); });
}

Result<std::vector<UsageBucket>> PgStore::usage(const UsageQuery& q) {
  if (q.bucket_ms <= 0) return invalid_argument("bucket width must be positive");
  const int64_t end = q.end_ms ? q.end_ms : std::numeric_limits<int64_t>::max();
  std::vector<UsageBucket> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("summing usage", [&](pqxx::work& t) -> Status {
    std::vector<std::string> params = {std::to_string(q.bucket_ms), std::to_string(q.start_ms), std::to_string(end)};
    std::string where = "WHERE created_at_ms >= $2::bigint AND created_at_ms < $3::bigint";
    if (q.key_id) {
      params.push_back(*q.key_id);
      where += " AND key_id = $" + std::to_string(params.size());
    }
    if (q.model) {
      params.push_back(*q.model);
      where += " AND model = $" + std::to_string(params.size());
    }
    for (const auto& p : params) PICTOR_RETURN_IF_ERROR(check_no_nul(p, "a usage filter"));
    // Integer division: created_at_ms is never negative, so this is floor(t / w) * w.
    const pqxx::result r = t.exec_params(
        "SELECT (created_at_ms / $1::bigint) * $1::bigint AS bucket, key_id, model, count(*), sum(images), sum(pixels),"
        " sum(compute_seconds), sum(cost_usd), provider FROM usage " + where +
            " GROUP BY bucket, key_id, model, provider ORDER BY bucket, key_id, model, provider",
        pqxx::prepare::make_dynamic_params(params));
    for (const auto& row : r) {
      UsageBucket b;
      b.start_ms = row[0].as<int64_t>();
      b.key_id = row[1].as<std::string>();
      b.model = row[2].as<std::string>();
      b.requests = row[3].as<int64_t>();
      b.images = row[4].as<int64_t>();
      b.pixels = row[5].as<int64_t>();
      b.compute_seconds = row[6].as<double>();
      b.cost_usd = row[7].as<double>();
      b.provider = row[8].as<std::string>();
      out.push_back(std::move(b));
    }
    return Status::ok();
  }));
  return out;
}

// --- the shared queue (FOR UPDATE SKIP LOCKED: workers never wait on each other's claims)

Result<std::optional<JobRecord>> PgStore::claim_job(const std::string& worker_id, int64_t now, int64_t lease_until_ms) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(worker_id, "the worker id"));
  std::optional<JobRecord> claimed;
  PICTOR_RETURN_IF_ERROR(pool_->transact("claiming a job", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        std::string("UPDATE jobs SET status = 'running', worker_id = $1, lease_until_ms = $3, started_at_ms = $2,"
                    " attempts = attempts + 1, progress = 0 WHERE id = (SELECT id FROM jobs"
                    " WHERE status = 'queued' AND cancel_requested = 0 ORDER BY created_at_ms, id LIMIT 1"
                    " FOR UPDATE SKIP LOCKED) RETURNING ") + kJobColumns,
        worker_id, now, lease_until_ms);
    if (r.empty()) return Status::ok();
    claimed = read_job(r[0]);
    notify_jobs(t, "changed:" + claimed->id);
    return Status::ok();
  }));
  return claimed;
}

Result<std::vector<std::string>> PgStore::renew_job_leases(const std::string& worker_id, int64_t lease_until_ms) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(worker_id, "the worker id"));
  std::vector<std::string> cancels;
  PICTOR_RETURN_IF_ERROR(pool_->transact("renewing job leases", [&](pqxx::work& t) -> Status {
    for (const auto& r : t.exec_params("UPDATE jobs SET lease_until_ms = $2 WHERE status = 'running' AND worker_id = $1"
                                       " RETURNING id, cancel_requested",
                                       worker_id, lease_until_ms))
      if (r[1].as<int>() != 0) cancels.push_back(r[0].as<std::string>());
    return Status::ok();
  }));
  return cancels;
}

Result<std::vector<JobRecord>> PgStore::requeue_expired_jobs(int64_t now, int max_attempts) {
  std::vector<JobRecord> spent;
  PICTOR_RETURN_IF_ERROR(pool_->transact("re-queueing expired jobs", [&](pqxx::work& t) -> Status {
    for (const auto& r : t.exec_params(
             "UPDATE jobs SET status = 'queued', progress = 0, started_at_ms = 0, lease_until_ms = 0, worker_id = ''"
             " WHERE status = 'running' AND lease_until_ms <> 0 AND lease_until_ms < $1 AND attempts < $2"
             " AND cancel_requested = 0 RETURNING id",
             now, max_attempts))
      notify_jobs(t, "queued:" + r[0].as<std::string>());
    for (const auto& r : t.exec_params(std::string("UPDATE jobs SET lease_until_ms = 0 WHERE status = 'running'"
                                                   " AND lease_until_ms <> 0 AND lease_until_ms < $1 RETURNING ") +
                                           kJobColumns,
                                       now))
      spent.push_back(read_job(r));
    return Status::ok();
  }));
  return spent;
}

Result<bool> PgStore::cancel_queued_job(const JobRecord& canceled, const std::vector<WebhookDeliveryRecord>& webhooks) {
  PICTOR_RETURN_IF_ERROR(check_job_text(canceled));
  bool done = false;
  PICTOR_RETURN_IF_ERROR(pool_->transact("canceling a queued job", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        "UPDATE jobs SET status = $2, error_code = $3, error_message = $4, completed_at_ms = $5"
        " WHERE id = $1 AND status = 'queued'",
        canceled.id, std::string(job_status_name(canceled.status)), canceled.error_code, canceled.error_message,
        canceled.completed_at_ms);
    if (r.affected_rows() == 0) {
      if (t.exec_params("SELECT 1 FROM jobs WHERE id = $1", canceled.id).empty()) return not_found("no job " + canceled.id);
      return Status::ok();
    }
    for (const auto& d : webhooks) PICTOR_RETURN_IF_ERROR(insert_webhook_delivery_in(t, d));
    notify_jobs(t, "finished:" + canceled.id);
    done = true;
    return Status::ok();
  }));
  return done;
}

Result<bool> PgStore::request_job_cancel(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the job id"));
  bool flagged = false;
  PICTOR_RETURN_IF_ERROR(pool_->transact("requesting a job's cancellation", [&](pqxx::work& t) -> Status {
    flagged = t.exec_params("UPDATE jobs SET cancel_requested = 1 WHERE id = $1 AND status = 'running'", id)
                  .affected_rows() > 0;
    if (flagged) notify_jobs(t, "cancel:" + id);
    return Status::ok();
  }));
  return flagged;
}

Result<int64_t> PgStore::count_queued_jobs() {
  int64_t n = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("counting queued jobs", [&](pqxx::work& t) -> Status {
    n = t.exec1("SELECT count(*) FROM jobs WHERE status = 'queued'")[0].as<int64_t>();
    return Status::ok();
  }));
  return n;
}

Result<int64_t> PgStore::count_queued_jobs_ahead(const std::string& id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the job id"));
  int64_t n = -1;
  PICTOR_RETURN_IF_ERROR(pool_->transact("counting jobs ahead in the queue", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params("SELECT CASE WHEN me.status = 'queued' THEN (SELECT count(*) FROM jobs j WHERE j.status = 'queued'"
      " AND j.cancel_requested = 0 AND (j.created_at_ms < me.created_at_ms OR (j.created_at_ms = me.created_at_ms"
      " AND j.id < me.id))) ELSE -1 END FROM jobs me WHERE me.id = $1", id);
    if (!r.empty()) n = r[0][0].as<int64_t>();
    return Status::ok();
  }));
  return n;
}

Result<bool> PgStore::update_job_progress(const std::string& id, const std::string& worker_id, double progress) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(id, "the job id"));
  PICTOR_RETURN_IF_ERROR(check_no_nul(worker_id, "the worker id"));
  bool held = false;
  PICTOR_RETURN_IF_ERROR(pool_->transact("writing a job's progress", [&](pqxx::work& t) -> Status {
    held = t.exec_params("UPDATE jobs SET progress = $3 WHERE id = $1 AND worker_id = $2 AND status = 'running'", id,
                         worker_id, progress)
               .affected_rows() > 0;
    if (held) notify_jobs(t, "changed:" + id);
    return Status::ok();
  }));
  return held;
}

Result<std::string> PgStore::get_or_create_setting(const std::string& name, const std::string& value_if_absent) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(name, "the setting's name"));
  PICTOR_RETURN_IF_ERROR(check_no_nul(value_if_absent, "the setting's value"));
  std::string value;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading a setting", [&](pqxx::work& t) -> Status {
    t.exec_params("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name,
                  value_if_absent);
    value = t.exec_params1("SELECT value FROM settings WHERE name = $1", name)[0].as<std::string>();
    return Status::ok();
  }));
  return value;
}

Result<std::unique_ptr<JobNotices>> PgStore::listen_job_notices() { return listen_pg_job_notices(pool_->url()); }

}  // namespace pictor::store
