// PgStore's webhook deliveries (migration 0003, docs/server.md "Webhooks"). A claim is one
// statement with FOR UPDATE SKIP LOCKED: senders on many nodes never take the same delivery and
// never wait on each other's row locks.
#include "store/pg_db.h"
#include "store/pg_store.h"

namespace pictor::store {

namespace {

constexpr const char* kDeliveryColumns =
    "id, job_id, key_id, url, event, payload, status, next_attempt_at_ms, created_at_ms, finished_at_ms";

WebhookDeliveryRecord read_delivery(const pqxx::row& r) {
  WebhookDeliveryRecord d;
  d.id = r[0].as<std::string>();
  d.job_id = r[1].as<std::string>();
  d.key_id = r[2].as<std::string>();
  d.url = r[3].as<std::string>();
  d.event = r[4].as<std::string>();
  d.payload = r[5].as<std::string>();
  d.status = r[6].as<std::string>();
  d.next_attempt_at_ms = r[7].as<int64_t>();
  d.created_at_ms = r[8].as<int64_t>();
  d.finished_at_ms = r[9].as<int64_t>();
  return d;
}

std::vector<WebhookAttempt> attempts_in(pqxx::work& t, const std::string& delivery_id) {
  std::vector<WebhookAttempt> out;
  for (const auto& r : t.exec_params(
           "SELECT at_ms, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY n",
           delivery_id)) {
    WebhookAttempt a;
    a.at_ms = r[0].as<int64_t>();
    a.status_code = r[1].as<int>();
    a.error = r[2].as<std::string>();
    a.duration_ms = r[3].as<int64_t>();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Status insert_webhook_delivery_in(pqxx::work& t, const WebhookDeliveryRecord& d) {
  if (d.id.empty() || d.job_id.empty()) return invalid_argument("a webhook delivery needs an id and a job");
  for (const std::string* s : {&d.id, &d.job_id, &d.key_id, &d.url, &d.event, &d.payload, &d.status})
    PICTOR_RETURN_IF_ERROR(check_no_nul(*s, "a webhook delivery field"));
  // (job_id, event) is unique: a retried finish_job queues nothing twice.
  t.exec_params(std::string("INSERT INTO webhook_deliveries (") + kDeliveryColumns +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                d.id, d.job_id, d.key_id, d.url, d.event, d.payload, d.status, d.next_attempt_at_ms,
                d.created_at_ms ? d.created_at_ms : now_ms(), d.finished_at_ms);
  return Status::ok();
}

Result<std::optional<WebhookDeliveryRecord>> PgStore::claim_webhook_delivery(int64_t now, int64_t lease_until_ms) {
  std::optional<WebhookDeliveryRecord> claimed;
  PICTOR_RETURN_IF_ERROR(pool_->transact("claiming a webhook delivery", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        std::string("UPDATE webhook_deliveries SET next_attempt_at_ms = $2 WHERE id = ("
                    " SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at_ms <= $1"
                    " ORDER BY next_attempt_at_ms LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ") +
            kDeliveryColumns,
        now, lease_until_ms);
    if (r.empty()) return Status::ok();
    claimed = read_delivery(r[0]);
    claimed->attempts = attempts_in(t, claimed->id);
    return Status::ok();
  }));
  return claimed;
}

Status PgStore::record_webhook_attempt(const std::string& delivery_id, const WebhookAttempt& a,
                                       const std::string& status, int64_t next_attempt_at_ms) {
  if (status != "pending" && status != "delivered" && status != "failed")
    return invalid_argument("unknown webhook delivery status '" + status + "'");
  PICTOR_RETURN_IF_ERROR(check_no_nul(delivery_id, "the delivery id"));
  PICTOR_RETURN_IF_ERROR(check_no_nul(a.error, "the attempt's error"));
  return pool_->transact("recording a webhook attempt", [&](pqxx::work& t) -> Status {
    const pqxx::result r = t.exec_params(
        "UPDATE webhook_deliveries SET status = $2, next_attempt_at_ms = $3, finished_at_ms = $4 WHERE id = $1",
        delivery_id, status, status == "pending" ? next_attempt_at_ms : int64_t(0),
        status == "pending" ? int64_t(0) : a.at_ms);
    if (r.affected_rows() == 0) return not_found("no webhook delivery " + delivery_id);
    // The UPDATE above holds the delivery's row lock, so n cannot be taken twice.
    t.exec_params(
        "INSERT INTO webhook_attempts (delivery_id, n, at_ms, status_code, error, duration_ms)"
        " SELECT $1, coalesce(max(n), 0) + 1, $2, $3, $4, $5 FROM webhook_attempts WHERE delivery_id = $1",
        delivery_id, a.at_ms, a.status_code, a.error, a.duration_ms);
    return Status::ok();
  });
}

Result<std::vector<WebhookDeliveryRecord>> PgStore::list_webhook_deliveries(const std::string& job_id) {
  PICTOR_RETURN_IF_ERROR(check_no_nul(job_id, "the job id"));
  std::vector<WebhookDeliveryRecord> out;
  PICTOR_RETURN_IF_ERROR(pool_->transact("listing webhook deliveries", [&](pqxx::work& t) -> Status {
    for (const auto& r : t.exec_params(std::string("SELECT ") + kDeliveryColumns +
                                           " FROM webhook_deliveries WHERE job_id = $1 ORDER BY created_at_ms, id",
                                       job_id))
      out.push_back(read_delivery(r));
    for (auto& d : out) d.attempts = attempts_in(t, d.id);
    return Status::ok();
  }));
  return out;
}

Result<int64_t> PgStore::next_webhook_due_ms() {
  int64_t due = 0;
  PICTOR_RETURN_IF_ERROR(pool_->transact("reading the next webhook due", [&](pqxx::work& t) -> Status {
    due = t.exec1("SELECT coalesce(min(next_attempt_at_ms), 0) FROM webhook_deliveries WHERE status = 'pending'")[0]
              .as<int64_t>();
    return Status::ok();
  }));
  return due;
}

}  // namespace pictor::store
