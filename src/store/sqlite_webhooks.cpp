// SqliteStore's webhook deliveries (migration 0003, docs/server.md "Webhooks").
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"

namespace pictor::store {

namespace {

constexpr const char* kDeliveryColumns =
    "id, job_id, key_id, url, event, payload, status, next_attempt_at_ms, created_at_ms, finished_at_ms";

WebhookDeliveryRecord read_delivery(const Stmt& s) {
  WebhookDeliveryRecord d;
  d.id = s.text(0);
  d.job_id = s.text(1);
  d.key_id = s.text(2);
  d.url = s.text(3);
  d.event = s.text(4);
  d.payload = s.text(5);
  d.status = s.text(6);
  d.next_attempt_at_ms = s.i64(7);
  d.created_at_ms = s.i64(8);
  d.finished_at_ms = s.i64(9);
  return d;
}

}  // namespace

Status SqliteStore::insert_webhook_delivery_locked(const WebhookDeliveryRecord& d) {
  if (d.id.empty() || d.job_id.empty()) return invalid_argument("a webhook delivery needs an id and a job");
  // (job_id, event) is unique: a retried finish_job queues nothing twice.
  PREPARE(s, std::string("INSERT INTO webhook_deliveries (") + kDeliveryColumns +
                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING");
  s.bind(1, d.id).bind(2, d.job_id).bind(3, d.key_id).bind(4, d.url).bind(5, d.event).bind(6, d.payload)
      .bind(7, d.status).bind(8, d.next_attempt_at_ms).bind(9, d.created_at_ms ? d.created_at_ms : now_ms())
      .bind(10, d.finished_at_ms);
  return s.run();
}

Result<std::vector<WebhookAttempt>> SqliteStore::webhook_attempts_locked(const std::string& delivery_id) {
  PREPARE(s, "SELECT at_ms, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY n");
  s.bind(1, delivery_id);
  std::vector<WebhookAttempt> out;
  for (;;) {
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (!*row) break;
    WebhookAttempt a;
    a.at_ms = s.i64(0);
    a.status_code = static_cast<int>(s.i64(1));
    a.error = s.text(2);
    a.duration_ms = s.i64(3);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::optional<WebhookDeliveryRecord>> SqliteStore::claim_webhook_delivery(int64_t now, int64_t lease_until_ms) {
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  std::optional<WebhookDeliveryRecord> claimed;
  {
    PREPARE(s, std::string("UPDATE webhook_deliveries SET next_attempt_at_ms = ?2 WHERE id = ("
                           " SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at_ms <= ?1"
                           " ORDER BY next_attempt_at_ms LIMIT 1) RETURNING ") + kDeliveryColumns);
    s.bind(1, now).bind(2, lease_until_ms);
    auto row = s.step();
    if (!row.is_ok()) return row.status();
    if (*row) claimed = read_delivery(s);
    // Step to the end so the UPDATE completes before the statement is reset.
    while (*row) {
      row = s.step();
      if (!row.is_ok()) return row.status();
    }
  }
  if (claimed) {
    auto attempts = webhook_attempts_locked(claimed->id);
    if (!attempts.is_ok()) return attempts.status();
    claimed->attempts = std::move(*attempts);
  }
  PICTOR_RETURN_IF_ERROR(txn.commit());
  return claimed;
}

Status SqliteStore::record_webhook_attempt(const std::string& delivery_id, const WebhookAttempt& a,
                                           const std::string& status, int64_t next_attempt_at_ms) {
  if (status != "pending" && status != "delivered" && status != "failed")
    return invalid_argument("unknown webhook delivery status '" + status + "'");
  std::lock_guard lock(mu_);
  Transaction txn(*db_);
  PICTOR_RETURN_IF_ERROR(txn.begin());
  {
    PREPARE(s, "UPDATE webhook_deliveries SET status = ?2, next_attempt_at_ms = ?3, finished_at_ms = ?4 WHERE id = ?1");
    s.bind(1, delivery_id).bind(2, status).bind(3, status == "pending" ? next_attempt_at_ms : int64_t(0))
        .bind(4, status == "pending" ? int64_t(0) : a.at_ms);
    PICTOR_RETURN_IF_ERROR(s.run());
    if (db_->changes() == 0) return not_found("no webhook delivery " + delivery_id);
  }
  {
    PREPARE(s, "INSERT INTO webhook_attempts (delivery_id, n, at_ms, status_code, error, duration_ms)"
               " SELECT ?1, coalesce(max(n), 0) + 1, ?2, ?3, ?4, ?5 FROM webhook_attempts WHERE delivery_id = ?1");
    s.bind(1, delivery_id).bind(2, a.at_ms).bind(3, a.status_code).bind(4, a.error).bind(5, a.duration_ms);
    PICTOR_RETURN_IF_ERROR(s.run());
  }
  return txn.commit();
}

Result<std::vector<WebhookDeliveryRecord>> SqliteStore::list_webhook_deliveries(const std::string& job_id) {
  std::lock_guard lock(mu_);
  std::vector<WebhookDeliveryRecord> out;
  {
    PREPARE(s, std::string("SELECT ") + kDeliveryColumns +
                   " FROM webhook_deliveries WHERE job_id = ?1 ORDER BY created_at_ms, id");
    s.bind(1, job_id);
    for (;;) {
      auto row = s.step();
      if (!row.is_ok()) return row.status();
      if (!*row) break;
      out.push_back(read_delivery(s));
    }
  }
  for (auto& d : out) {
    auto attempts = webhook_attempts_locked(d.id);
    if (!attempts.is_ok()) return attempts.status();
    d.attempts = std::move(*attempts);
  }
  return out;
}

Result<int64_t> SqliteStore::next_webhook_due_ms() {
  std::lock_guard lock(mu_);
  PREPARE(s, "SELECT coalesce(min(next_attempt_at_ms), 0) FROM webhook_deliveries WHERE status = 'pending'");
  auto row = s.step();
  if (!row.is_ok()) return row.status();
  return *row ? s.i64(0) : int64_t(0);
}

}  // namespace pictor::store
