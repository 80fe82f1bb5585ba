#pragma once
// The store: everything pictor keeps across restarts — jobs, media blobs, API keys (hashes only)
// and usage. One interface (this file), implemented by SQLite (sqlite_store.h, the embedded
// default) and PostgreSQL (pg_store.h, many nodes on one database); both pass tests/store's
// conformance suite.
// Implementations are thread-safe: the server calls them from many threads at once.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/arena_records.h"
#include "store/webhook_records.h"

namespace pictor::store {

enum class JobStatus { kQueued, kRunning, kCompleted, kFailed, kCanceled };
const char* job_status_name(JobStatus s);  // "queued" | "running" | "completed" | "failed" | "canceled"
std::optional<JobStatus> parse_job_status(std::string_view s);
inline bool is_terminal(JobStatus s) {
  return s == JobStatus::kCompleted || s == JobStatus::kFailed || s == JobStatus::kCanceled;
}

struct JobRecord {
  std::string id;               // "gen_…", unique
  std::string key_id;           // owner API key id; "" when the server runs with --no-auth
  std::string model;
  std::string kind;             // "generation" | "edit"
  std::string input_json;       // the normalised request (the jobs layer owns its shape)
  std::string request_hash;     // hash of the request body, for Idempotency-Key checks
  std::string idempotency_key;  // "" = none; (key_id, idempotency_key) is unique when set
  JobStatus status = JobStatus::kQueued;
  double progress = 0;          // 0..1
  std::string error_code;       // set when failed/canceled
  std::string error_message;
  std::string output_json;      // result document (media ids, usage, cost, metrics), "" until done
  int attempts = 0;             // times a worker started it (restarts re-queue running jobs)
  int64_t created_at_ms = 0;
  int64_t started_at_ms = 0;    // 0 = not started
  int64_t completed_at_ms = 0;  // 0 = not finished
  // The shared queue (claim_job): who runs it and until when its lease holds. Updates are
  // guarded by worker_id, so a worker whose lease ran out (its job re-queued and taken by
  // another) can no longer write the job. "" / 0 for jobs the in-process queue runs.
  std::string worker_id;
  int64_t lease_until_ms = 0;
  bool cancel_requested = false;  // request_job_cancel: the worker stops it at its next heartbeat
};

// Change notices between processes sharing one store (PostgreSQL LISTEN/NOTIFY): "queued:<id>"
// when a job is queued, "changed:<id>" when a job's state or progress changes, "finished:<id>"
// when it ends (its webhook deliveries are then queued), "cancel:<id>" when its cancellation is
// requested.
class JobNotices {
 public:
  virtual ~JobNotices() = default;
  // Blocks until at least one notice arrives or `timeout_ms` passes; returns what arrived.
  virtual Result<std::vector<std::string>> wait(int timeout_ms) = 0;
};

struct JobQuery {
  std::optional<std::string> key_id;    // only this owner's jobs
  std::optional<JobStatus> status;
  std::string before_id;                // pagination cursor: jobs created strictly before this one
  int limit = 20;                       // newest first
  std::optional<std::string> exclude_key_id;  // every owner but this one (the arena's hidden jobs)
};

struct MediaRecord {
  std::string id;               // "media_…", unique
  std::string job_id;           // "" for uploaded inputs not tied to a job yet
  std::string key_id;
  std::string content_type;     // "image/png" …
  int width = 0, height = 0;
  int64_t size_bytes = 0;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;    // 0 = never
  bool deleted = false;         // data dropped (DELETE or expiry); the row stays as a tombstone
};

struct ApiKeyRecord {
  std::string id;               // "key_…", unique
  std::string name;             // unique among keys
  std::string prefix;           // the key's first characters, for display ("pk-ab12…")
  std::string hash;             // hex SHA-256 of the full key; the key itself is never stored
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;    // 0 = active
  int rate_limit_per_minute = 0;  // 0 = the server's default
  bool admin = false;           // the admin scope: key management, arena moderation
};

struct UsageRecord {
  std::string job_id;
  std::string key_id;
  std::string model;
  std::string quality;          // low | medium | high
  std::string provider;         // who ran it: "local" or an upstream provider's name; "" = before 0003
  int images = 0;
  int64_t pixels = 0;
  double compute_seconds = 0;
  double cost_usd = 0;
  int64_t created_at_ms = 0;
};

struct UsageQuery {
  std::optional<std::string> key_id;
  std::optional<std::string> model;
  int64_t start_ms = 0;
  int64_t end_ms = 0;           // exclusive; 0 = now/unbounded
  int64_t bucket_ms = 86400000; // bucket width (aligned to the Unix epoch)
};

struct UsageBucket {
  int64_t start_ms = 0;
  std::string key_id;
  std::string model;
  std::string provider;
  int64_t requests = 0;
  int64_t images = 0;
  int64_t pixels = 0;
  double compute_seconds = 0;
  double cost_usd = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- jobs
  // Inserts `job`. When job.idempotency_key is set and (key_id, idempotency_key) already exists,
  // nothing is inserted and the existing job is returned: the caller compares ids/request_hash.
  virtual Result<JobRecord> insert_job(const JobRecord& job) = 0;
  virtual Result<JobRecord> get_job(const std::string& id) = 0;  // not_found
  virtual Result<std::vector<JobRecord>> list_jobs(const JobQuery& q) = 0;
  // Overwrites the mutable fields (status, progress, error_*, output_json, attempts, timestamps).
  virtual Status update_job(const JobRecord& job) = 0;
  // Jobs that are queued or running, oldest first (recovery after a restart).
  virtual Result<std::vector<JobRecord>> unfinished_jobs() = 0;
  // Updates the job, records its usage and queues its webhook deliveries in one transaction.
  virtual Status finish_job(const JobRecord& job, const std::optional<UsageRecord>& usage,
                            const std::vector<WebhookDeliveryRecord>& webhooks = {}) = 0;
  // update_job and finish_job write only while the stored worker_id equals job.worker_id:
  // otherwise `conflict` (the job was re-queued and another worker holds it now).

  // --- the shared queue: workers in many processes claim jobs from the store (docs/store.md)
  // Takes the oldest queued job (cancellation not requested) and marks it running for worker_id
  // until lease_until_ms (attempts + 1, started_at_ms = now_ms) in one statement; two workers
  // never get the same job. nullopt when none is queued.
  virtual Result<std::optional<JobRecord>> claim_job(const std::string& worker_id, int64_t now_ms,
                                                     int64_t lease_until_ms) = 0;
  // Extends the leases of worker_id's running jobs; returns their ids whose cancellation was requested.
  virtual Result<std::vector<std::string>> renew_job_leases(const std::string& worker_id, int64_t lease_until_ms) = 0;
  // Running jobs whose lease ran out (their worker died): those with attempts < max_attempts and
  // no cancel request go back to queued; the others are returned (still running, lease 0) for
  // the caller to end (failed, or canceled when cancel_requested).
  virtual Result<std::vector<JobRecord>> requeue_expired_jobs(int64_t now_ms, int max_attempts) = 0;
  // Finishes `canceled` (a canceled record of a queued job) with its deliveries only while the
  // job is still queued; false when a worker took it first (then use request_job_cancel).
  virtual Result<bool> cancel_queued_job(const JobRecord& canceled,
                                         const std::vector<WebhookDeliveryRecord>& webhooks) = 0;
  // Flags a running job for cancellation; false when it is not running.
  virtual Result<bool> request_job_cancel(const std::string& id) = 0;
  virtual Result<int64_t> count_queued_jobs() = 0;
  // How many queued jobs a claim takes before job `id` (claims go oldest first): its position in
  // the shared queue, whichever node holds it. -1 when `id` is not a queued job.
  virtual Result<int64_t> count_queued_jobs_ahead(const std::string& id) = 0;
  // Writes a running job's progress while worker_id holds it (false otherwise); never touches
  // anything else, so it cannot undo a finish that raced it.
  virtual Result<bool> update_job_progress(const std::string& id, const std::string& worker_id, double progress) = 0;

  // --- settings shared by every node on the store (signing secrets)
  // The stored value of `name`; when there is none, stores `value_if_absent` and returns it. Two
  // nodes racing agree on one value.
  virtual Result<std::string> get_or_create_setting(const std::string& name, const std::string& value_if_absent) = 0;
  // A subscription to JobNotices; unsupported where the backend has none (SQLite: one process).
  virtual Result<std::unique_ptr<JobNotices>> listen_job_notices() {
    return unsupported("this store sends no change notices");
  }

  // --- media
  virtual Status put_media(const MediaRecord& m, std::string_view data) = 0;
  virtual Result<MediaRecord> get_media(const std::string& id) = 0;          // not_found
  virtual Result<std::string> get_media_data(const std::string& id) = 0;     // not_found; deleted → not_found
  virtual Status delete_media(const std::string& id) = 0;                    // drops data, keeps tombstone
  virtual Result<int> expire_media(int64_t now_ms) = 0;                      // drops data of expired media

  // --- API keys
  virtual Status insert_api_key(const ApiKeyRecord& k) = 0;                  // invalid_argument on duplicate name
  virtual Result<ApiKeyRecord> find_api_key_by_hash(const std::string& hash) = 0;  // not_found
  virtual Result<std::vector<ApiKeyRecord>> list_api_keys() = 0;
  virtual Status revoke_api_key(const std::string& id_or_name, int64_t now_ms) = 0;  // not_found

  // --- usage
  virtual Status insert_usage(const UsageRecord& u) = 0;
  virtual Result<std::vector<UsageBucket>> usage(const UsageQuery& q) = 0;  // grouped by bucket, key, model

  // --- webhook deliveries (webhook_records.h); rows are created by finish_job
  // Takes the pending delivery due longest ago (next_attempt_at_ms <= now_ms) and moves its
  // next_attempt_at_ms to lease_until_ms in one statement, so two senders (threads or nodes) never
  // take the same one; a sender that dies lets the lease run out. nullopt when none is due.
  virtual Result<std::optional<WebhookDeliveryRecord>> claim_webhook_delivery(int64_t now_ms, int64_t lease_until_ms) = 0;
  // Appends a try and sets the outcome: status "pending" (next try at next_attempt_at_ms),
  // "delivered" or "failed" (finished_at_ms = the attempt's time). not_found for an unknown id.
  virtual Status record_webhook_attempt(const std::string& delivery_id, const WebhookAttempt& attempt,
                                        const std::string& status, int64_t next_attempt_at_ms) = 0;
  virtual Result<std::vector<WebhookDeliveryRecord>> list_webhook_deliveries(const std::string& job_id) = 0;
  // The earliest next_attempt_at_ms of a pending delivery; 0 = none pending.
  virtual Result<int64_t> next_webhook_due_ms() = 0;

  // --- arena (arena_records.h)
  virtual Status insert_arena_prompt(const ArenaPromptRecord& p) = 0;
  virtual Result<ArenaPromptRecord> get_arena_prompt(const std::string& id) = 0;            // not_found
  // Inserts the battle and its contestants in one transaction.
  virtual Status insert_arena_battle(const ArenaBattleRecord& b) = 0;
  virtual Result<ArenaBattleRecord> get_arena_battle(const std::string& id) = 0;            // not_found
  virtual Result<std::vector<ArenaBattleRecord>> list_arena_battles(const ArenaBattleQuery& q) = 0;
  // Overwrites one contestant's job, media, status and error (by battle id and slot).
  virtual Status update_arena_contestant(const std::string& battle_id, const ArenaContestant& c) = 0;
  // Sets shown_at_ms when it is still 0; returns the stored value.
  virtual Result<int64_t> mark_arena_battle_shown(const std::string& id, int64_t shown_at_ms) = 0;
  // Hands the oldest pooled battle of (arena, judge) whose slots are all ready and that has not
  // expired to `voter_id` (pooled = false, voter set) atomically; nullopt when there is none.
  virtual Result<std::optional<ArenaBattleRecord>> claim_pooled_battle(const std::string& arena, const std::string& judge,
                                                                       const std::string& voter_id, int64_t now_ms) = 0;
  // conflict when the battle already has a vote (one vote per battle).
  virtual Status insert_arena_vote(const ArenaVoteRecord& v) = 0;
  virtual Result<std::optional<ArenaVoteRecord>> get_arena_vote_for_battle(const std::string& battle_id) = 0;
  virtual Result<std::vector<ArenaVoteRecord>> list_arena_votes(const ArenaVoteQuery& q) = 0;  // time order
  virtual Result<int64_t> count_arena_votes(const ArenaVoteQuery& q) = 0;
  // Stops counting a voter: records the exclusion and marks their counted votes uncounted with
  // reason "excluded_voter"; returns how many votes changed. include_voter undoes exactly that.
  virtual Result<int> exclude_voter(const std::string& voter_id, const std::string& reason, int64_t now_ms) = 0;
  virtual Result<int> include_voter(const std::string& voter_id) = 0;
  virtual Result<bool> is_voter_excluded(const std::string& voter_id) = 0;
  virtual Status insert_rating_snapshots(const std::vector<RatingSnapshotRecord>& rows) = 0;
  virtual Result<std::vector<RatingSnapshotRecord>> rating_history(const RatingHistoryQuery& q) = 0;  // oldest first
  virtual Result<int64_t> latest_rating_snapshot_ms() = 0;                                            // 0 = none
};

// Opens (creating when needed) the SQLite store at `path` and applies pending migrations.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);
// Opens the store a location names: a postgresql:// (or postgres://) URL is PostgreSQL, anything
// else an SQLite file path.
Result<std::unique_ptr<Store>> open_store(const std::string& location);
// True when `location` names a PostgreSQL database.
bool is_postgresql_location(std::string_view location);
// The location without a password in it, for logs and messages.
std::string redact_store_location(const std::string& location);

int64_t now_ms();
// "prefix_" + 24 random hex characters (from the OS's CSPRNG).
std::string new_id(std::string_view prefix);

}  // namespace pictor::store
