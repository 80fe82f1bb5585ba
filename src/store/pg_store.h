#pragma once
// The scale-out store: one PostgreSQL database shared by many API nodes and workers
// (docs/store.md). Same records and behaviour as SqliteStore (the conformance suite runs on both);
// media bytes live in the database so any node serves any image. Thread-safe: each call takes a
// pooled connection for one transaction.
#include <memory>
#include <string>

#include "store/store.h"

namespace pictor::store {

class PgPool;

class PgStore final : public Store {
 public:
  // Connects to `url` (postgresql://…) and applies pending migrations under an advisory lock.
  // Unreachable → unavailable; someone else's database → corrupt_data.
  static Result<std::unique_ptr<PgStore>> open(const std::string& url, int connections = 8);
  ~PgStore() override;

  Result<JobRecord> insert_job(const JobRecord& job) override;
  Result<JobRecord> get_job(const std::string& id) override;
  Result<std::vector<JobRecord>> list_jobs(const JobQuery& q) override;
  Status update_job(const JobRecord& job) override;
  Result<std::vector<JobRecord>> unfinished_jobs() override;
  Status finish_job(const JobRecord& job, const std::optional<UsageRecord>& usage,
                    const std::vector<WebhookDeliveryRecord>& webhooks = {}) override;
  Result<std::optional<JobRecord>> claim_job(const std::string& worker_id, int64_t now_ms,
                                             int64_t lease_until_ms) override;
  Result<std::vector<std::string>> renew_job_leases(const std::string& worker_id, int64_t lease_until_ms) override;
  Result<std::vector<JobRecord>> requeue_expired_jobs(int64_t now_ms, int max_attempts) override;
  Result<bool> cancel_queued_job(const JobRecord& canceled, const std::vector<WebhookDeliveryRecord>& webhooks) override;
  Result<bool> request_job_cancel(const std::string& id) override;
  Result<int64_t> count_queued_jobs() override;
  Result<int64_t> count_queued_jobs_ahead(const std::string& id) override;
  Result<bool> update_job_progress(const std::string& id, const std::string& worker_id, double progress) override;
  Result<std::string> get_or_create_setting(const std::string& name, const std::string& value_if_absent) override;
  Result<std::unique_ptr<JobNotices>> listen_job_notices() override;

  Status put_media(const MediaRecord& m, std::string_view data) override;
  Result<MediaRecord> get_media(const std::string& id) override;
  Result<std::string> get_media_data(const std::string& id) override;
  Status delete_media(const std::string& id) override;
  Result<int> expire_media(int64_t now_ms) override;

  Status insert_api_key(const ApiKeyRecord& k) override;
  Result<ApiKeyRecord> find_api_key_by_hash(const std::string& hash) override;
  Result<std::vector<ApiKeyRecord>> list_api_keys() override;
  Status revoke_api_key(const std::string& id_or_name, int64_t now_ms) override;

  Status insert_usage(const UsageRecord& u) override;
  Result<std::vector<UsageBucket>> usage(const UsageQuery& q) override;

  // pg_webhooks.cpp
  Result<std::optional<WebhookDeliveryRecord>> claim_webhook_delivery(int64_t now_ms, int64_t lease_until_ms) override;
  Status record_webhook_attempt(const std::string& delivery_id, const WebhookAttempt& attempt,
                                const std::string& status, int64_t next_attempt_at_ms) override;
  Result<std::vector<WebhookDeliveryRecord>> list_webhook_deliveries(const std::string& job_id) override;
  Result<int64_t> next_webhook_due_ms() override;

  // pg_arena.cpp
  Status insert_arena_prompt(const ArenaPromptRecord& p) override;
  Result<ArenaPromptRecord> get_arena_prompt(const std::string& id) override;
  Status insert_arena_battle(const ArenaBattleRecord& b) override;
  Result<ArenaBattleRecord> get_arena_battle(const std::string& id) override;
  Result<std::vector<ArenaBattleRecord>> list_arena_battles(const ArenaBattleQuery& q) override;
  Status update_arena_contestant(const std::string& battle_id, const ArenaContestant& c) override;
  Result<int64_t> mark_arena_battle_shown(const std::string& id, int64_t shown_at_ms) override;
  Result<std::optional<ArenaBattleRecord>> claim_pooled_battle(const std::string& arena, const std::string& judge,
                                                               const std::string& voter_id, int64_t now_ms) override;
  Status insert_arena_vote(const ArenaVoteRecord& v) override;
  Result<std::optional<ArenaVoteRecord>> get_arena_vote_for_battle(const std::string& battle_id) override;
  Result<std::vector<ArenaVoteRecord>> list_arena_votes(const ArenaVoteQuery& q) override;
  Result<int64_t> count_arena_votes(const ArenaVoteQuery& q) override;
  Result<int> exclude_voter(const std::string& voter_id, const std::string& reason, int64_t now_ms) override;
  Result<int> include_voter(const std::string& voter_id) override;
  Result<bool> is_voter_excluded(const std::string& voter_id) override;
  Status insert_rating_snapshots(const std::vector<RatingSnapshotRecord>& rows) override;
  Result<std::vector<RatingSnapshotRecord>> rating_history(const RatingHistoryQuery& q) override;
  Result<int64_t> latest_rating_snapshot_ms() override;

 private:
  explicit PgStore(std::unique_ptr<PgPool> pool);
  std::unique_ptr<PgPool> pool_;
};

}  // namespace pictor::store
