// The store conformance suite, shared-queue part: workers claim the oldest queued job under a
// lease, never two the same one; updates are guarded by the worker that holds the job; a lease
// that runs out puts the job back (or, after max attempts or a cancel request, hands it back to
// be ended); cancellation of a queued
// job is atomic and of a running one is a flag its worker reads when it renews its leases.
#include <mutex>
#include <set>
#include <thread>

#include "store_conformance.h"

namespace pictor::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kLease = 10'000;

JobRecord queued_job(int64_t created) {
  JobRecord j;
  j.id = new_id("gen");
  j.model = "pictor-mini";
  j.kind = "generation";
  j.input_json = R"({"prompt":"a red circle"})";
  j.created_at_ms = created;
  return j;
}

TEST_P(StoreConformance, ClaimsTakeTheOldestQueuedJobOnceUnderALease) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto j = store().insert_job(queued_job(kT0 + 10 - i));  // inserted newest first
    ASSERT_TRUE(j.is_ok());
    ids.push_back(j->id);
  }
  auto queued = store().count_queued_jobs();
  ASSERT_TRUE(queued.is_ok());
  EXPECT_EQ(*queued, 3);
  for (int i = 2; i >= 0; --i) {
    auto c = store().claim_job("node_a", kT0 + 100, kT0 + 100 + kLease);
    ASSERT_TRUE(c.is_ok()) << c.status().message();
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->id, ids[size_t(i)]);
    EXPECT_EQ((*c)->status, JobStatus::kRunning);
    EXPECT_EQ((*c)->worker_id, "node_a");
    EXPECT_EQ((*c)->lease_until_ms, kT0 + 100 + kLease);
    EXPECT_EQ((*c)->started_at_ms, kT0 + 100);
    EXPECT_EQ((*c)->attempts, 1);
    auto stored = store().get_job((*c)->id);
    ASSERT_TRUE(stored.is_ok());
    EXPECT_EQ(stored->worker_id, "node_a");
    EXPECT_EQ(stored->status, JobStatus::kRunning);
  }
  auto none = store().claim_job("node_a", kT0 + 100, kT0 + 100 + kLease);
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(*store().count_queued_jobs(), 0);
}

TEST_P(StoreConformance, QueuePositionsCountTheJobsAClaimTakesFirst) {
  std::vector<std::string> ids;  // created at kT0 + 0, 1, 2, 3 but inserted in another order
  for (int created : {2, 0, 3, 1}) {
    auto j = store().insert_job(queued_job(kT0 + created));
    ASSERT_TRUE(j.is_ok());
    ids.push_back(j->id);
  }
  auto ahead = [&](size_t i) { return *store().count_queued_jobs_ahead(ids[i]); };
  EXPECT_EQ(ahead(1), 0);
  EXPECT_EQ(ahead(3), 1);
  EXPECT_EQ(ahead(0), 2);
  EXPECT_EQ(ahead(2), 3);
  // A claimed job is no longer queued nor ahead of anyone.
  auto c = store().claim_job("node_a", kT0 + 100, kT0 + 100 + kLease);
  ASSERT_TRUE(c.is_ok() && c->has_value());
  EXPECT_EQ((*c)->id, ids[1]);
  EXPECT_EQ(ahead(1), -1) << "running, not queued";
  EXPECT_EQ(ahead(3), 0);
  EXPECT_EQ(ahead(2), 2);
  EXPECT_EQ(*store().count_queued_jobs_ahead("gen_nope"), -1);
}

TEST_P(StoreConformance, ConcurrentWorkersNeverClaimTheSameJob) {
  constexpr int kJobs = 60, kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(store().insert_job(queued_job(kT0 + i)).is_ok());
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w)
    workers.emplace_back([&, w] {
      for (;;) {
        auto c = store().claim_job("node_" + std::to_string(w), kT0 + 1000, kT0 + 1000 + kLease);
        if (!c.is_ok()) {
          ADD_FAILURE() << c.status().message();
          return;
        }
        if (!c->has_value()) return;
        std::lock_guard lock(mu);
        claimed.insert((*c)->id);
      }
    });
  for (auto& t : workers) t.join();
  EXPECT_EQ(claimed.size(), size_t(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), size_t(kJobs));
}

TEST_P(StoreConformance, UpdatesAreGuardedByTheWorkerThatHoldsTheJob) {
  ASSERT_TRUE(store().insert_job(queued_job(kT0)).is_ok());
  auto c = store().claim_job("node_a", kT0, kT0 + kLease);
  ASSERT_TRUE(c.is_ok() && c->has_value());
  JobRecord stale = **c;
  stale.worker_id = "node_b";
  stale.status = JobStatus::kCompleted;
  Status s = store().finish_job(stale, std::nullopt);
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.message();
  EXPECT_EQ(store().update_job(stale).code(), StatusCode::kConflict);
  EXPECT_EQ(store().get_job(stale.id)->status, JobStatus::kRunning);
  JobRecord mine = **c;
  mine.progress = 0.5;
  EXPECT_TRUE(store().update_job(mine).is_ok());
  mine.status = JobStatus::kCompleted;
  mine.progress = 1;
  EXPECT_TRUE(store().finish_job(mine, std::nullopt).is_ok());
  auto done = store().get_job(mine.id);
  EXPECT_EQ(done->status, JobStatus::kCompleted);
  EXPECT_EQ(done->lease_until_ms, 0);
  JobRecord missing = mine;
  missing.id = new_id("gen");
  EXPECT_EQ(store().update_job(missing).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, ExpiredLeasesRequeueThenFailAfterMaxAttempts) {
  auto inserted = store().insert_job(queued_job(kT0));
  ASSERT_TRUE(inserted.is_ok());
  const std::string id = inserted->id;
  ASSERT_TRUE(store().claim_job("node_a", kT0, kT0 + kLease).is_ok());
  // Within the lease nothing moves; a renewed lease moves the deadline.
  auto early = store().requeue_expired_jobs(kT0 + kLease - 1, 2);
  ASSERT_TRUE(early.is_ok());
  EXPECT_TRUE(early->empty());
  ASSERT_TRUE(store().renew_job_leases("node_a", kT0 + 3 * kLease).is_ok());
  EXPECT_TRUE(store().requeue_expired_jobs(kT0 + 2 * kLease, 2)->empty());
  EXPECT_EQ(store().get_job(id)->status, JobStatus::kRunning);
  // node_a died: its lease runs out, the job goes back to the queue (attempt 1 of 2).
  EXPECT_TRUE(store().requeue_expired_jobs(kT0 + 4 * kLease, 2)->empty());
  auto back = store().get_job(id);
  EXPECT_EQ(back->status, JobStatus::kQueued);
  EXPECT_EQ(back->worker_id, "");
  auto again = store().claim_job("node_b", kT0 + 5 * kLease, kT0 + 6 * kLease);
  ASSERT_TRUE(again.is_ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->attempts, 2);
  // node_a's late write is refused; node_b holds the job.
  JobRecord late = *back;
  late.worker_id = "node_a";
  late.status = JobStatus::kCompleted;
  EXPECT_EQ(store().finish_job(late, std::nullopt).code(), StatusCode::kConflict);
  // node_b dies too: out of attempts, the job is handed back to be failed.
  auto spent = store().requeue_expired_jobs(kT0 + 7 * kLease, 2);
  ASSERT_TRUE(spent.is_ok());
  ASSERT_EQ(spent->size(), 1u);
  EXPECT_EQ((*spent)[0].id, id);
  EXPECT_EQ((*spent)[0].worker_id, "node_b");
  EXPECT_TRUE(store().requeue_expired_jobs(kT0 + 8 * kLease, 2)->empty()) << "handed back once";
  JobRecord failed = (*spent)[0];
  failed.status = JobStatus::kFailed;
  failed.error_code = "interrupted";
  EXPECT_TRUE(store().finish_job(failed, std::nullopt).is_ok());
  EXPECT_EQ(store().get_job(id)->status, JobStatus::kFailed);
}

TEST_P(StoreConformance, CancellingQueuedIsAtomicAndRunningIsAFlagForTheWorker) {
  auto a = store().insert_job(queued_job(kT0));
  auto b = store().insert_job(queued_job(kT0 + 1));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  // b is canceled while queued: done at once, with its webhook delivery, and never claimed.
  JobRecord canceled = *b;
  canceled.status = JobStatus::kCanceled;
  canceled.error_code = "canceled";
  canceled.error_message = "canceled by request before it started";
  canceled.completed_at_ms = kT0 + 5;
  WebhookDeliveryRecord d;
  d.id = new_id("whd");
  d.job_id = b->id;
  d.url = "https://hooks.example.com/x";
  d.event = "generation.canceled";
  d.payload = "{}";
  d.next_attempt_at_ms = kT0 + 5;
  auto done = store().cancel_queued_job(canceled, {d});
  ASSERT_TRUE(done.is_ok()) << done.status().message();
  EXPECT_TRUE(*done);
  EXPECT_EQ(store().get_job(b->id)->status, JobStatus::kCanceled);
  EXPECT_EQ(store().list_webhook_deliveries(b->id)->size(), 1u);
  EXPECT_FALSE(*store().request_job_cancel(b->id)) << "not running";
  // a is running: cancel_queued_job refuses, the flag reaches its worker's next renewal.
  auto c = store().claim_job("node_a", kT0 + 10, kT0 + 10 + kLease);
  ASSERT_TRUE(c.is_ok() && c->has_value());
  EXPECT_EQ((*c)->id, a->id);
  JobRecord too_late = *a;
  too_late.status = JobStatus::kCanceled;
  EXPECT_FALSE(*store().cancel_queued_job(too_late, {}));
  EXPECT_EQ(store().get_job(a->id)->status, JobStatus::kRunning);
  EXPECT_TRUE(store().renew_job_leases("node_a", kT0 + 20 + kLease)->empty());
  EXPECT_TRUE(*store().request_job_cancel(a->id));
  auto cancels = store().renew_job_leases("node_a", kT0 + 30 + kLease);
  ASSERT_TRUE(cancels.is_ok());
  EXPECT_EQ(*cancels, std::vector<std::string>{a->id});
  EXPECT_TRUE(store().renew_job_leases("node_b", kT0 + 30 + kLease)->empty()) << "only the holder hears it";
  JobRecord missing = *a;
  missing.id = new_id("gen");
  EXPECT_EQ(store().cancel_queued_job(missing, {}).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, AnExpiredJobWithACancelRequestIsHandedBackNotRequeued) {
  // Its worker died after the cancel was asked for: the job must end canceled, not run again.
  auto a = store().insert_job(queued_job(kT0));
  ASSERT_TRUE(a.is_ok());
  ASSERT_TRUE(store().claim_job("node_a", kT0, kT0 + kLease)->has_value());
  ASSERT_TRUE(*store().request_job_cancel(a->id));
  auto spent = store().requeue_expired_jobs(kT0 + 2 * kLease, 3);
  ASSERT_TRUE(spent.is_ok());
  ASSERT_EQ(spent->size(), 1u);
  EXPECT_TRUE((*spent)[0].cancel_requested);
  EXPECT_FALSE(store().claim_job("node_b", kT0 + 3 * kLease, kT0 + 4 * kLease)->has_value());
}

TEST_P(StoreConformance, ProgressIsWrittenOnlyByTheHolderOfARunningJob) {
  auto a = store().insert_job(queued_job(kT0));
  ASSERT_TRUE(a.is_ok());
  EXPECT_FALSE(*store().update_job_progress(a->id, "node_a", 0.5)) << "queued";
  auto c = store().claim_job("node_a", kT0, kT0 + kLease);
  ASSERT_TRUE(c.is_ok() && c->has_value());
  EXPECT_TRUE(*store().update_job_progress(a->id, "node_a", 0.5));
  EXPECT_FALSE(*store().update_job_progress(a->id, "node_b", 0.9));
  EXPECT_DOUBLE_EQ(store().get_job(a->id)->progress, 0.5);
  JobRecord done = **c;
  done.status = JobStatus::kCompleted;
  done.progress = 1;
  ASSERT_TRUE(store().finish_job(done, std::nullopt).is_ok());
  EXPECT_FALSE(*store().update_job_progress(a->id, "node_a", 0.7)) << "a late progress write cannot undo the finish";
  auto after = store().get_job(a->id);
  EXPECT_EQ(after->status, JobStatus::kCompleted);
  EXPECT_DOUBLE_EQ(after->progress, 1.0);
}

TEST_P(StoreConformance, SettingsAreCreatedOnceAndShared) {
  auto first = store().get_or_create_setting("arena.secret", "one");
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(*first, "one");
  EXPECT_EQ(*store().get_or_create_setting("arena.secret", "two"), "one");
  EXPECT_EQ(*store().get_or_create_setting("webhook.secret", "three"), "three");
  reopen();
  EXPECT_EQ(*store().get_or_create_setting("arena.secret", "four"), "one");
}

}  // namespace
}  // namespace pictor::store::testing
