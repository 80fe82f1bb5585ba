// The store conformance suite, webhook part: deliveries queued by finish_job in its transaction
// (once per job and event), claimed under a lease by one sender at a time, tries recorded in
// order, and all of it durable; usage rows keep the provider that ran the job.
#include <set>
#include <thread>

#include "store_conformance.h"

namespace pictor::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

JobRecord finished_job() {
  JobRecord j;
  j.id = new_id("gen");
  j.key_id = "key_a";
  j.model = "pictor-mini";
  j.kind = "generation";
  j.input_json = R"({"prompt":"a red circle","webhook":{"url":"https://hooks.example.com/x"}})";
  j.created_at_ms = kT0;
  return j;
}

WebhookDeliveryRecord delivery_for(const JobRecord& j, const std::string& event, int64_t due) {
  WebhookDeliveryRecord d;
  d.id = new_id("whd");
  d.job_id = j.id;
  d.key_id = j.key_id;
  d.url = "https://hooks.example.com/x";
  d.event = event;
  d.payload = R"({"type":")" + event + R"(","data":{"id":")" + j.id + R"("}})";
  d.created_at_ms = due;
  d.next_attempt_at_ms = due;
  return d;
}

TEST_P(StoreConformance, FinishJobQueuesWebhookDeliveriesOnce) {
  JobRecord j = finished_job();
  ASSERT_TRUE(store().insert_job(j).is_ok());
  j.status = JobStatus::kCompleted;
  j.completed_at_ms = kT0 + 10;
  const auto d = delivery_for(j, "generation.completed", kT0 + 10);
  ASSERT_TRUE(store().finish_job(j, std::nullopt, {d}).is_ok());
  // A retried finish (same job and event, a new delivery id) queues nothing more.
  ASSERT_TRUE(store().finish_job(j, std::nullopt, {delivery_for(j, "generation.completed", kT0 + 20)}).is_ok());
  auto list = store().list_webhook_deliveries(j.id);
  ASSERT_TRUE(list.is_ok()) << list.status().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, d.id);
  EXPECT_EQ((*list)[0].payload, d.payload);
  EXPECT_EQ((*list)[0].status, "pending");
  EXPECT_TRUE((*list)[0].attempts.empty());
  EXPECT_EQ(*store().next_webhook_due_ms(), kT0 + 10);

  // A finish that fails (unknown job) queues nothing.
  JobRecord ghost = finished_job();
  ghost.status = JobStatus::kFailed;
  EXPECT_EQ(store().finish_job(ghost, std::nullopt, {delivery_for(ghost, "generation.failed", kT0)}).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(store().list_webhook_deliveries(ghost.id)->empty());
}

TEST_P(StoreConformance, WebhookClaimsAreLeasesAndTriesAreKeptInOrder) {
  JobRecord j = finished_job();
  ASSERT_TRUE(store().insert_job(j).is_ok());
  j.status = JobStatus::kFailed;
  const auto d = delivery_for(j, "generation.failed", kT0);
  ASSERT_TRUE(store().finish_job(j, std::nullopt, {d}).is_ok());

  EXPECT_FALSE(store().claim_webhook_delivery(kT0 - 1, kT0 + 1000)->has_value()) << "not due yet";
  auto c = store().claim_webhook_delivery(kT0, kT0 + 1000);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((**c).id, d.id);
  EXPECT_EQ((**c).next_attempt_at_ms, kT0 + 1000);
  EXPECT_FALSE(store().claim_webhook_delivery(kT0 + 500, kT0 + 1500)->has_value()) << "leased to the first sender";

  WebhookAttempt a1{kT0 + 5, 500, "", 12};
  ASSERT_TRUE(store().record_webhook_attempt(d.id, a1, "pending", kT0 + 2000).is_ok());
  EXPECT_FALSE(store().claim_webhook_delivery(kT0 + 1999, kT0 + 3000)->has_value());
  auto again = store().claim_webhook_delivery(kT0 + 2000, kT0 + 3000);
  ASSERT_TRUE(again->has_value());
  ASSERT_EQ((**again).attempts.size(), 1u);
  EXPECT_EQ((**again).attempts[0].status_code, 500);

  WebhookAttempt a2{kT0 + 2001, 0, "connection refused", 3};
  ASSERT_TRUE(store().record_webhook_attempt(d.id, a2, "pending", kT0 + 4000).is_ok());
  WebhookAttempt a3{kT0 + 4001, 204, "", 4};
  ASSERT_TRUE(store().record_webhook_attempt(d.id, a3, "delivered", 0).is_ok());
  EXPECT_EQ(store().record_webhook_attempt("whd_missing", a3, "delivered", 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(store().record_webhook_attempt(d.id, a3, "sent", 0).code(), StatusCode::kInvalidArgument);

  reopen();
  auto list = store().list_webhook_deliveries(j.id);
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 1u);
  const auto& got = (*list)[0];
  EXPECT_EQ(got.status, "delivered");
  EXPECT_EQ(got.finished_at_ms, kT0 + 4001);
  ASSERT_EQ(got.attempts.size(), 3u);
  EXPECT_EQ(got.attempts[0].status_code, 500);
  EXPECT_EQ(got.attempts[1].error, "connection refused");
  EXPECT_EQ(got.attempts[2].status_code, 204);
  EXPECT_EQ(got.attempts[2].duration_ms, 4);
  EXPECT_EQ(*store().next_webhook_due_ms(), 0) << "nothing pending";
  EXPECT_FALSE(store().claim_webhook_delivery(kT0 + 1'000'000, kT0 + 2'000'000)->has_value());
}

TEST_P(StoreConformance, ConcurrentSendersNeverClaimTheSameDelivery) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    JobRecord j = finished_job();
    ASSERT_TRUE(store().insert_job(j).is_ok());
    j.status = JobStatus::kCompleted;
    auto d = delivery_for(j, "generation.completed", kT0 + i);
    ids.push_back(d.id);
    ASSERT_TRUE(store().finish_job(j, std::nullopt, {d}).is_ok());
  }
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&] {
      for (;;) {
        auto c = store().claim_webhook_delivery(kT0 + 100, kT0 + 1'000'000);
        if (!c.is_ok() || !c->has_value()) return;
        std::lock_guard lock(mu);
        claimed.insert((**c).id);
      }
    });
  for (auto& t : senders) t.join();
  EXPECT_EQ(claimed.size(), ids.size());
  for (const auto& id : ids) EXPECT_EQ(claimed.count(id), 1u) << id;
}

TEST_P(StoreConformance, UsageKeepsTheProvider) {
  for (const char* provider : {"local", "openai", "openai"}) {
    JobRecord j = finished_job();
    ASSERT_TRUE(store().insert_job(j).is_ok());
    j.status = JobStatus::kCompleted;
    UsageRecord u;
    u.job_id = j.id;
    u.key_id = "key_a";
    u.model = "gpt-image-1-mini";
    u.quality = "low";
    u.provider = provider;
    u.images = 1;
    u.cost_usd = 0.005;
    u.created_at_ms = kT0;
    ASSERT_TRUE(store().finish_job(j, u).is_ok());
  }
  auto buckets = store().usage(UsageQuery{});
  ASSERT_TRUE(buckets.is_ok());
  ASSERT_EQ(buckets->size(), 2u);
  EXPECT_EQ((*buckets)[0].provider, "local");
  EXPECT_EQ((*buckets)[0].requests, 1);
  EXPECT_EQ((*buckets)[1].provider, "openai");
  EXPECT_EQ((*buckets)[1].requests, 2);
}

}  // namespace
}  // namespace pictor::store::testing
