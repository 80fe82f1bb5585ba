#pragma once
// Webhook deliveries (docs/server.md "Webhooks"): one row per (job, event) to POST, created in
// the transaction that finishes the job, so a crash never loses one; each try is kept as an
// attempt, shown on the job.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pictor::store {

struct WebhookAttempt {
  int64_t at_ms = 0;
  int status_code = 0;          // the receiver's HTTP status; 0 = no answer (error says why)
  std::string error;            // "" when the receiver answered
  int64_t duration_ms = 0;
};

struct WebhookDeliveryRecord {
  std::string id;               // "whd_…", also the webhook-id header (receivers dedupe on it)
  std::string job_id;
  std::string key_id;
  std::string url;
  std::string event;            // "generation.completed" | "generation.failed" | "generation.canceled"
  std::string payload;          // the exact body that is signed and sent on every try
  std::string status = "pending";  // pending | delivered | failed
  int64_t next_attempt_at_ms = 0;  // pending: when the next try is due (a claimed one: its lease)
  int64_t created_at_ms = 0;
  int64_t finished_at_ms = 0;   // delivered or given up; 0 = pending
  std::vector<WebhookAttempt> attempts;  // oldest first
};

}  // namespace pictor::store
