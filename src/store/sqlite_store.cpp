#include "store/sqlite_store.h"

#include <filesystem>
#include <limits>
#include <system_error>

#include "store/migrations.h"
#include "store/sqlite_db.h"

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

std::string select_jobs(const char* tail) { return std::string("SELECT ") + kJobColumns + " FROM jobs " + tail; }

JobRecord read_job(const Stmt& s) {
  JobRecord j;
  j.id = s.text(0);
  j.key_id = s.text(1);
  j.model = s.text(2);
  j.kind = s.text(3);
  j.input_json = s.text(4);
  j.request_hash = s.text(5);
  j.idempotency_key = s.text(6);
  j.status = parse_job_status(s.text(7)).value_or(JobStatus::kQueued);  // CHECKed by the schema
  j.progress = s.f64(8);
  j.error_code = s.text(9);
  j.error_message = s.text(10);
  j.output_json = s.text(11);
  j.attempts = static_cast<int>(s.i64(12));
  j.created_at_ms = s.i64(13);
  j.started_at_ms = s.i64(14);
  j.completed_at_ms = s.i64(15);
  j.worker_id = s.text(16);
  j.lease_until_ms = s.i64(17);
  j.cancel_requested = s.i64(18) != 0;
  return j;
}

MediaRecord read_media(const Stmt& s, int64_t now) {
  MediaRecord m;
  m.id = s.text(0);
  m.job_id = s.text(1);
  m.key_id = s.text(2);
  m.content_type = s.text(3);
  m.width = static_cast<int>(s.i64(4));
  m.height = static_cast<int>(s.i64(5));
  m.size_bytes = s.i64(6);
  m.created_at_ms = s.i64(7);
  m.expires_at_ms = s.i64(8);
  // Expired counts as deleted from the moment it expires, before expire_media sweeps the bytes.
  m.deleted = s.i64(9) != 0 || (m.expires_at_ms != 0 && m.expires_at_ms <= now);
  return m;
}

ApiKeyRecord read_key(const Stmt& s) {
  ApiKeyRecord k;
  k.id = s.text(0);
  k.name = s.text(1);
  k.prefix = s.text(2);
  k.hash = s.text(3);
  k.created_at_ms = s.i64(4);
  k.revoked_at_ms = s.i64(5);
  k.rate_limit_per_minute = static_cast<int>(s.i64(6));
  k.admin = s.text(7) == "admin";
  return k;
}

// Collects every row of a statement.
template <typename T, typename F>
Result<std::vector<T>> read_all(Stmt& s, F read) {
  std::vector<T> out;
  for (;;) {
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return out;
    out.push_back(read(s));
  }
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  auto s = SqliteStore::open(path);
  if (!s.is_ok()) return s.status();
  return std::unique_ptr<Store>(std::move(*s));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return io_error("cannot create " + dir.string() + ": " + ec.message());
  }
  if (fs::is_directory(path, ec)) return io_error(path + " is a directory, not a database file");
  auto db = SqliteDb::open(path);
  if (!db.is_ok()) return db.status();
  if (Status s = apply_sqlite_migrations(**db); !s.is_ok()) {
    if (s.code() == StatusCode::kCorruptData || s.code() == StatusCode::kUnsupported) return s;
    return Status(s.code(), "cannot set up " + path + ": " + s.message());
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db)));
}

SqliteStore::SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
SqliteStore::~SqliteStore() = default;

// --- jobs

Result<JobRecord> SqliteStore::insert_job(const JobRecord& job) {
  JobRecord j = job;
  if (j.id.empty()) j.id = new_id("gen");
  if (j.created_at_ms == 0) j.created_at_ms = now_ms();
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  if (!j.idempotency_key.empty()) {
    PREPARE(s, select_jobs("WHERE key_id = ?1 AND idempotency_key = ?2"));
    s.bind(1, j.key_id).bind(2, j.idempotency_key);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (*row) return read_job(s);  // the rollback of an unchanged transaction is free
  }
  {
    PREPARE(s, std::string("INSERT INTO jobs (") + kJobColumns +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
    s.bind(1, j.id).bind(2, j.key_id).bind(3, j.model).bind(4, j.kind).bind(5, j.input_json)
        .bind(6, j.request_hash).bind(7, j.idempotency_key).bind(8, job_status_name(j.status))
        .bind(9, j.progress).bind(10, j.error_code).bind(11, j.error_message).bind(12, j.output_json)
        .bind(13, j.attempts).bind(14, j.created_at_ms).bind(15, j.started_at_ms).bind(16, j.completed_at_ms)
        .bind(17, j.worker_id).bind(18, j.lease_until_ms).bind(19, j.cancel_requested ? 1 : 0);
    if (Status st = s.run(); !st.is_ok()) {
      if (st.code() == StatusCode::kInvalidArgument) return invalid_argument("job " + j.id + " already exists");
      return st;
    }
  }
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return j;
}

Result<JobRecord> SqliteStore::get_job_locked(const std::string& id) {
  PREPARE(s, select_jobs("WHERE id = ?1"));
  s.bind(1, id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("no job " + id);
  return read_job(s);
}

Result<JobRecord> SqliteStore::get_job(const std::string& id) {
  std::lock_guard lock(mu_);
  return get_job_locked(id);
}

Result<std::vector<JobRecord>> SqliteStore::list_jobs(const JobQuery& q) {
  if (q.limit <= 0) return invalid_argument("limit must be positive");
  std::lock_guard lock(mu_);
  int64_t cursor_created = 0;
  if (!q.before_id.empty()) {
    PREPARE(c, "SELECT created_at_ms FROM jobs WHERE id = ?1");
    c.bind(1, q.before_id);
    auto row = c.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return invalid_argument("unknown pagination cursor " + q.before_id);
    cursor_created = c.i64(0);
  }
  // The text is assembled from fixed fragments only (one cached statement per combination).
  std::string where = "WHERE 1 = 1";
  if (q.key_id) where += " AND key_id = ?1";
  if (q.status) where += " AND status = ?2";
  if (!q.before_id.empty()) where += " AND (created_at_ms, id) < (?3, ?4)";
  if (q.exclude_key_id) where += " AND key_id <> ?6";
  PREPARE(s, select_jobs((where + " ORDER BY created_at_ms DESC, id DESC LIMIT ?5").c_str()));
  if (q.key_id) s.bind(1, *q.key_id);
  if (q.status) s.bind(2, job_status_name(*q.status));
  if (!q.before_id.empty()) s.bind(3, cursor_created).bind(4, q.before_id);
  s.bind(5, q.limit);
  if (q.exclude_key_id) s.bind(6, *q.exclude_key_id);
  return read_all<JobRecord>(s, read_job);
}

Status SqliteStore::update_job_locked(const JobRecord& j) {
  {
    // A re-queued job's lease ends with it.
    PREPARE(s,
            "UPDATE jobs SET status = ?2, progress = ?3, error_code = ?4, error_message = ?5, output_json = ?6,"
            " attempts = ?7, started_at_ms = ?8, completed_at_ms = ?9,"
            " lease_until_ms = CASE WHEN ?2 = 'running' THEN lease_until_ms ELSE 0 END"
            " WHERE id = ?1 AND worker_id = ?10");
    s.bind(1, j.id).bind(2, job_status_name(j.status)).bind(3, j.progress).bind(4, j.error_code)
        .bind(5, j.error_message).bind(6, j.output_json).bind(7, j.attempts).bind(8, j.started_at_ms)
        .bind(9, j.completed_at_ms).bind(10, j.worker_id);
    PICTOR_RETURN_IF_ERROR(s.run());
    if (db_->changes() == 1) return Status::ok();
  }
  PREPARE(s, "SELECT worker_id FROM jobs WHERE id = ?1");
  s.bind(1, j.id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("no job " + j.id);
  return conflict("job " + j.id + " is held by worker '" + s.text(0) + "', not '" + j.worker_id + "'");
}

Status SqliteStore::update_job(const JobRecord& job) {
  std::lock_guard lock(mu_);
  return update_job_locked(job);
}

Result<std::vector<JobRecord>> SqliteStore::unfinished_jobs() {
  std::lock_guard lock(mu_);
  PREPARE(s, select_jobs("WHERE status IN ('queued', 'running') ORDER BY created_at_ms, id"));
  return read_all<JobRecord>(s, read_job);
}

Status SqliteStore::finish_job(const JobRecord& job, const std::optional<UsageRecord>& usage,
                               const std::vector<WebhookDeliveryRecord>& webhooks) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  PICTOR_RETURN_IF_ERROR(update_job_locked(job));
  if (usage) PICTOR_RETURN_IF_ERROR(insert_usage_locked(*usage));
  for (const auto& d : webhooks) PICTOR_RETURN_IF_ERROR(insert_webhook_delivery_locked(d));
  return txn.commit();
}

// --- media

Status SqliteStore::put_media(const MediaRecord& m, std::string_view data) {
  if (m.id.empty()) return invalid_argument("media id is empty");
  const int64_t created = m.created_at_ms ? m.created_at_ms : now_ms();
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s,
            "INSERT INTO media (id, job_id, key_id, content_type, width, height, size_bytes, created_at_ms,"
            " expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    s.bind(1, m.id).bind(2, m.job_id).bind(3, m.key_id).bind(4, m.content_type).bind(5, m.width)
        .bind(6, m.height).bind(7, static_cast<int64_t>(data.size())).bind(8, created).bind(9, m.expires_at_ms);
    if (Status st = s.run(); !st.is_ok()) {
      if (st.code() == StatusCode::kInvalidArgument) return invalid_argument("media " + m.id + " already exists");
      return st;
    }
  }
  {
    PREPARE(s, "INSERT INTO media_data (media_id, data) VALUES (?1, ?2)");
    s.bind(1, m.id).bind_blob(2, data);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<MediaRecord> SqliteStore::get_media(const std::string& id) {
  const int64_t now = now_ms();
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("SELECT ") + kMediaColumns + " FROM media WHERE id = ?1");
  s.bind(1, id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("no media " + id);
  return read_media(s, now);
}

Result<std::string> SqliteStore::get_media_data(const std::string& id) {
  const int64_t now = now_ms();
  std::lock_guard lock(mu_);
  PREPARE(s,
          "SELECT d.data FROM media m JOIN media_data d ON d.media_id = m.id WHERE m.id = ?1"
          " AND m.deleted_at_ms = 0 AND (m.expires_at_ms = 0 OR m.expires_at_ms > ?2)");
  s.bind(1, id).bind(2, now);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("no media " + id + " (or it was deleted or has expired)");
  return s.blob(0);
}

Status SqliteStore::delete_media(const std::string& id) {
  const int64_t now = now_ms();
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "SELECT deleted_at_ms FROM media WHERE id = ?1");
    s.bind(1, id);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return not_found("no media " + id);
    if (s.i64(0) != 0) return Status::ok();  // already a tombstone
  }
  {
    PREPARE(s, "UPDATE media SET deleted_at_ms = ?2 WHERE id = ?1");
    s.bind(1, id).bind(2, now);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  {
    PREPARE(s, "DELETE FROM media_data WHERE media_id = ?1");
    s.bind(1, id);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<int> SqliteStore::expire_media(int64_t now) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s,
            "DELETE FROM media_data WHERE media_id IN (SELECT id FROM media"
            " WHERE expires_at_ms <> 0 AND expires_at_ms <= ?1 AND deleted_at_ms = 0)");
    s.bind(1, now);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  int64_t n = 0;
  {
    PREPARE(s,
            "UPDATE media SET deleted_at_ms = ?1"
            " WHERE expires_at_ms <> 0 AND expires_at_ms <= ?1 AND deleted_at_ms = 0");
    s.bind(1, now);
    PICTOR_RETURN_IF_ERROR(s.run());
    n = db_->changes();
  }
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return static_cast<int>(n);
}

// --- API keys

Status SqliteStore::insert_api_key(const ApiKeyRecord& k) {
  if (k.id.empty() || k.name.empty() || k.hash.empty())
    return invalid_argument("an API key needs an id, a name and a hash");
  const int64_t created = k.created_at_ms ? k.created_at_ms : now_ms();
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "SELECT count(*) FILTER (WHERE name = ?1), count(*) FILTER (WHERE id = ?2),"
               " count(*) FILTER (WHERE hash = ?3) FROM api_keys WHERE name = ?1 OR id = ?2 OR hash = ?3");
    s.bind(1, k.name).bind(2, k.id).bind(3, k.hash);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (s.i64(0)) return invalid_argument("an API key named '" + k.name + "' already exists");
    if (s.i64(1)) return invalid_argument("an API key with id " + k.id + " already exists");
    if (s.i64(2)) return invalid_argument("this API key is already registered");
  }
  {
    PREPARE(s, std::string("INSERT INTO api_keys (") + kKeyColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    s.bind(1, k.id).bind(2, k.name).bind(3, k.prefix).bind(4, k.hash).bind(5, created)
        .bind(6, k.revoked_at_ms).bind(7, k.rate_limit_per_minute).bind(8, std::string_view(k.admin ? "admin" : ""));
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<ApiKeyRecord> SqliteStore::find_api_key_by_hash(const std::string& hash) {
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE hash = ?1");
  s.bind(1, hash);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return not_found("no such API key");
  return read_key(s);
}

Result<std::vector<ApiKeyRecord>> SqliteStore::list_api_keys() {
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("SELECT ") + kKeyColumns + " FROM api_keys ORDER BY created_at_ms, id");
  return read_all<ApiKeyRecord>(s, read_key);
}

Status SqliteStore::revoke_api_key(const std::string& id_or_name, int64_t now) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  std::string id;
  {
    // An id wins over a name (names cannot look like ids: `pictor keys create` refuses "key_…").
    PREPARE(s, "SELECT id, revoked_at_ms FROM api_keys WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1");
    s.bind(1, id_or_name);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return not_found("no API key with id or name '" + id_or_name + "'");
    if (s.i64(1) != 0) return Status::ok();  // already revoked: keep the first revocation time
    id = s.text(0);
  }
  {
    PREPARE(s, "UPDATE api_keys SET revoked_at_ms = ?2 WHERE id = ?1");
    s.bind(1, id).bind(2, now);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

// --- usage

Status SqliteStore::insert_usage_locked(const UsageRecord& u) {
  // A job has at most one usage row: a retried finish_job does not bill twice.
  PREPARE(s,
          "INSERT INTO usage (job_id, key_id, model, quality, images, pixels, compute_seconds, cost_usd,"
          " created_at_ms, provider) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING");
  s.bind(1, u.job_id).bind(2, u.key_id).bind(3, u.model).bind(4, u.quality).bind(5, u.images)
      .bind(6, u.pixels).bind(7, u.compute_seconds).bind(8, u.cost_usd)
      .bind(9, u.created_at_ms ? u.created_at_ms : now_ms()).bind(10, u.provider);
  return s.run();
}

Status SqliteStore::insert_usage(const UsageRecord& u) {
  std::lock_guard lock(mu_);
  return insert_usage_locked(u);
}

Result<std::vector<UsageBucket>> SqliteStore::usage(const UsageQuery& q) {
  if (q.bucket_ms <= 0) return invalid_argument("bucket width must be positive");
  const int64_t end = q.end_ms ? q.end_ms : std::numeric_limits<int64_t>::max();
  std::lock_guard lock(mu_);
  std::string where = "WHERE created_at_ms >= ?2 AND created_at_ms < ?3";
  if (q.key_id) where += " AND key_id = ?4";
  if (q.model) where += " AND model = ?5";
  // Integer division: created_at_ms is never negative, so this is floor(t / w) * w.
  PREPARE(s, "SELECT (created_at_ms / ?1) * ?1 AS bucket, key_id, model, count(*), sum(images), sum(pixels),"
             " sum(compute_seconds), sum(cost_usd), provider FROM usage " + where +
             " GROUP BY bucket, key_id, model, provider ORDER BY bucket, key_id, model, provider");
  s.bind(1, q.bucket_ms).bind(2, q.start_ms).bind(3, end);
  if (q.key_id) s.bind(4, *q.key_id);
  if (q.model) s.bind(5, *q.model);
  return read_all<UsageBucket>(s, [](const Stmt& r) {
    UsageBucket b;
    b.start_ms = r.i64(0);
    b.key_id = r.text(1);
    b.model = r.text(2);
    b.requests = r.i64(3);
    b.images = r.i64(4);
    b.pixels = r.i64(5);
    b.compute_seconds = r.f64(6);
    b.cost_usd = r.f64(7);
    b.provider = r.text(8);
    return b;
  });
}

// --- the shared queue

Result<std::optional<JobRecord>> SqliteStore::claim_job(const std::string& worker_id, int64_t now,
                                                        int64_t lease_until_ms) {
  std::lock_guard lock(mu_);
  PREPARE(s, std::string("UPDATE jobs SET status = 'running', worker_id = ?1, lease_until_ms = ?3, started_at_ms = ?2,"
                         " attempts = attempts + 1, progress = 0 WHERE id = (SELECT id FROM jobs"
                         " WHERE status = 'queued' AND cancel_requested = 0 ORDER BY created_at_ms, id LIMIT 1)"
                         " RETURNING ") + kJobColumns);
  s.bind(1, worker_id).bind(2, now).bind(3, lease_until_ms);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  std::optional<JobRecord> claimed;
  if (*row) claimed = read_job(s);
  while (*row) {  // finish the statement before it is reset
    row = s.step();
    if (!row.is_ok()) return row.status();
  }
  return claimed;
}

Result<std::vector<std::string>> SqliteStore::renew_job_leases(const std::string& worker_id, int64_t lease_until_ms) {
  std::lock_guard lock(mu_);
  PREPARE(s, "UPDATE jobs SET lease_until_ms = ?2 WHERE status = 'running' AND worker_id = ?1"
             " RETURNING id, cancel_requested");
  s.bind(1, worker_id).bind(2, lease_until_ms);
  std::vector<std::string> cancels;
  for (;;) {
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) break;
    if (s.i64(1) != 0) cancels.push_back(s.text(0));
  }
  return cancels;
}

Result<std::vector<JobRecord>> SqliteStore::requeue_expired_jobs(int64_t now, int max_attempts) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "UPDATE jobs SET status = 'queued', progress = 0, started_at_ms = 0, lease_until_ms = 0, worker_id = ''"
               " WHERE status = 'running' AND lease_until_ms <> 0 AND lease_until_ms < ?1 AND attempts < ?2"
               " AND cancel_requested = 0");
    s.bind(1, now).bind(2, max_attempts);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  std::vector<JobRecord> spent;
  {
    PREPARE(s, std::string("UPDATE jobs SET lease_until_ms = 0 WHERE status = 'running' AND lease_until_ms <> 0"
                           " AND lease_until_ms < ?1 RETURNING ") + kJobColumns);
    s.bind(1, now);
    auto rows = read_all<JobRecord>(s, read_job);
    if (!rows.is_ok()) return rows.status();
    spent = std::move(*rows);
  }
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return spent;
}

Result<bool> SqliteStore::cancel_queued_job(const JobRecord& canceled, const std::vector<WebhookDeliveryRecord>& webhooks) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "SELECT status FROM jobs WHERE id = ?1");
    s.bind(1, canceled.id);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) return not_found("no job " + canceled.id);
    if (s.text(0) != "queued") return false;
  }
  {
    PREPARE(s, "UPDATE jobs SET status = ?2, error_code = ?3, error_message = ?4, completed_at_ms = ?5 WHERE id = ?1");
    s.bind(1, canceled.id).bind(2, job_status_name(canceled.status)).bind(3, canceled.error_code)
        .bind(4, canceled.error_message).bind(5, canceled.completed_at_ms);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  for (const auto& d : webhooks) PICTOR_RETURN_IF_ERROR(insert_webhook_delivery_locked(d));
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return true;
}

Result<bool> SqliteStore::request_job_cancel(const std::string& id) {
  std::lock_guard lock(mu_);
  PREPARE(s, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'");
  s.bind(1, id);
  PICTOR_RETURN_IF_ERROR(s.run());
  return db_->changes() > 0;
}

Result<int64_t> SqliteStore::count_queued_jobs() {
  std::lock_guard lock(mu_);
  PREPARE(s, "SELECT count(*) FROM jobs WHERE status = 'queued'");
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  return s.i64(0);
}

Result<int64_t> SqliteStore::count_queued_jobs_ahead(const std::string& id) {
  std::lock_guard lock(mu_);
  PREPARE(s, "SELECT CASE WHEN me.status = 'queued' THEN (SELECT count(*) FROM jobs j WHERE j.status = 'queued'"
      " AND j.cancel_requested = 0 AND (j.created_at_ms < me.created_at_ms OR (j.created_at_ms = me.created_at_ms"
      " AND j.id < me.id))) ELSE -1 END FROM jobs me WHERE me.id = ?1");
  s.bind(1, id);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return int64_t(-1);
  const int64_t n = s.i64(0);
  while (*row) {  // finish the statement before it is reset
    row = s.step();
    if (!row.is_ok()) return row.status();
  }
  return n;
}

Result<bool> SqliteStore::update_job_progress(const std::string& id, const std::string& worker_id, double progress) {
  std::lock_guard lock(mu_);
  PREPARE(s, "UPDATE jobs SET progress = ?3 WHERE id = ?1 AND worker_id = ?2 AND status = 'running'");
  s.bind(1, id).bind(2, worker_id).bind(3, progress);
  PICTOR_RETURN_IF_ERROR(s.run());
  return db_->changes() > 0;
}

Result<std::string> SqliteStore::get_or_create_setting(const std::string& name, const std::string& value_if_absent) {
  std::lock_guard lock(mu_);
  {
    PREPARE(s, "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
    s.bind(1, name).bind(2, value_if_absent);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  PREPARE(s, "SELECT value FROM settings WHERE name = ?1");
  s.bind(1, name);
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  if (!*row) return internal_error("setting " + name + " vanished");
  return s.text(0);
}

}  // namespace pictor::store
