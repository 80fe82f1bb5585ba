#pragma once
// WebhookDispatcher: sends the webhook deliveries that finished jobs queued in the store
// (store::finish_job) — signed (gateway/webhook_signature.h), under the operator's allow-list
// (gateway/url_fetch.h), retried with jittered exponential backoff until a 2xx or until
// give_up_after_s has passed since the job ended. The store is the queue: deliveries survive a
// restart, and a claim is a lease, so several senders (threads, later nodes) never send one twice
// at once.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/url_fetch.h"
#include "store/store.h"

namespace pictor::jobs {

struct WebhookOptions {
  gateway::FetchPolicy policy;      // hosts webhooks may name; empty = webhooks are refused
  std::string secret;               // signing key ("whsec_…")
  double first_retry_s = 5;         // delay after the first failed try; doubles each time
  double max_retry_s = 3600;        // the delay stops doubling here
  double give_up_after_s = 86400;   // no new try this long after the delivery was queued
  int senders = 2;                  // concurrent deliveries
  bool enabled() const { return policy.enabled(); }
};

class WebhookDispatcher {
 public:
  WebhookDispatcher(store::Store& store, WebhookOptions options);
  ~WebhookDispatcher();
  void start();
  void stop();
  // A delivery was queued: senders look now instead of at their next timer.
  void wake();

  // Seconds before the next try after `failed_tries` (≥ 1) failures: first_retry_s × 2^(n−1),
  // capped at max_retry_s, times a jitter factor in [0.8, 1.2] from `unit_random` in [0, 1).
  static double retry_delay_s(int failed_tries, const WebhookOptions& o, double unit_random);

  struct Counters {
    uint64_t attempts = 0, delivered = 0, failed = 0;
  };
  Counters counters();

 private:
  void sender_loop();
  void deliver(const store::WebhookDeliveryRecord& d);

  store::Store& store_;
  WebhookOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t wakes_ = 0;
  Counters counters_;
  std::vector<std::thread> senders_;
};

}  // namespace pictor::jobs
