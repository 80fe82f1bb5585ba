#include "jobs/webhook_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "core/log.h"
#include "gateway/backoff.h"
#include "gateway/webhook_signature.h"

namespace pictor::jobs {

namespace {

constexpr int64_t kIdlePollMs = 30'000;  // deliveries another process queued are seen within this

}  // namespace

WebhookDispatcher::WebhookDispatcher(store::Store& store, WebhookOptions options)
    : store_(store), options_(std::move(options)) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!senders_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.senders); ++i) senders_.emplace_back([this] { sender_loop(); });
}

void WebhookDispatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  for (auto& t : senders_) t.join();
  senders_.clear();
}

void WebhookDispatcher::wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++wakes_;
  cv_.notify_all();
}

WebhookDispatcher::Counters WebhookDispatcher::counters() {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

double WebhookDispatcher::retry_delay_s(int failed_tries, const WebhookOptions& o, double unit_random) {
  return gateway::backoff_delay(o.first_retry_s, failed_tries, o.max_retry_s, 0.2, unit_random);
}

void WebhookDispatcher::sender_loop() {
  // A try that hangs past the policy's timeout is over by then; the lease adds a margin so that
  // no other sender takes the delivery while this one still waits for its answer.
  const int64_t lease_ms = int64_t(options_.policy.timeout_s * 1000) + 30'000;
  for (;;) {
    uint64_t seen_wakes;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      seen_wakes = wakes_;
    }
    const int64_t now = store::now_ms();
    auto claimed = store_.claim_webhook_delivery(now, now + lease_ms);
    if (claimed.is_ok() && *claimed) {
      deliver(**claimed);
      continue;
    }
    int64_t wait_ms = kIdlePollMs;
    if (!claimed.is_ok()) {
      log_event(LogLevel::kError, "webhook.store_failed", {{"error", claimed.status().message()}});
      wait_ms = 1000;
    } else if (auto next = store_.next_webhook_due_ms(); next.is_ok() && *next > 0) {
      wait_ms = std::clamp<int64_t>(*next - now, 1, kIdlePollMs);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stopping_ || wakes_ != seen_wakes; });
  }
}

void WebhookDispatcher::deliver(const store::WebhookDeliveryRecord& d) {
  const int64_t start_ms = store::now_ms();
  store::WebhookAttempt attempt;
  attempt.at_ms = start_ms;
  bool permanent = false;
  auto signature = gateway::webhook_signature(options_.secret, d.id, start_ms / 1000, d.payload);
  if (!signature.is_ok()) {
    attempt.error = signature.status().message();
  } else {
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"webhook-id", d.id},
        {"webhook-timestamp", std::to_string(start_ms / 1000)},
        {"webhook-signature", *signature},
        {"User-Agent", "pictor-webhook/1"}};
    auto answer = gateway::post_url(d.url, headers, d.payload, "application/json", options_.policy);
    if (answer.is_ok()) {
      attempt.status_code = *answer;
    } else {
      attempt.error = answer.status().message();
      // A URL the policy refuses stays refused: trying again for a day helps nobody.
      permanent = answer.status().code() == StatusCode::kInvalidArgument;
    }
  }
  const int64_t end_ms = store::now_ms();
  attempt.duration_ms = end_ms - start_ms;
  const bool delivered = attempt.status_code >= 200 && attempt.status_code < 300;
  const int failed_tries = int(d.attempts.size()) + 1;
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const double delay_s = retry_delay_s(failed_tries, options_, std::uniform_real_distribution<double>(0, 1)(rng));
  const int64_t next_ms = end_ms + int64_t(delay_s * 1000);
  std::string status = "pending";
  if (delivered) status = "delivered";
  else if (permanent || double(next_ms - d.created_at_ms) / 1000.0 > options_.give_up_after_s) status = "failed";
  if (Status st = store_.record_webhook_attempt(d.id, attempt, status, next_ms); !st.is_ok())
    log_event(LogLevel::kError, "webhook.store_failed", {{"delivery", d.id}, {"error", st.message()}});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.attempts;
    if (status == "delivered") ++counters_.delivered;
    if (status == "failed") ++counters_.failed;
  }
  log_event(delivered ? LogLevel::kInfo : LogLevel::kWarn, "webhook.attempt",
            {{"delivery", d.id}, {"job", d.job_id}, {"event", d.event}, {"try", failed_tries},
             {"status_code", attempt.status_code}, {"error", attempt.error}, {"outcome", status},
             {"ms", attempt.duration_ms}});
}

}  // namespace pictor::jobs
