#pragma once
// JobManager: the queue / task / result split behind both the OpenAI endpoints and the gateway.
// Every request becomes a job row in the store first (so it survives a crash), then its id goes on
// an in-memory FIFO that worker threads drain. Waiters (long-poll, SSE, the synchronous OpenAI
// endpoints) block on a per-job condition variable that every state or progress change signals.
// With shared_queue (many nodes on one PostgreSQL store, docs/scale-out.md) there is no FIFO:
// workers claim jobs from the store under a lease (shared_queue.cpp), and store notices carry
// state changes between nodes to the waiters.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "gateway/router.h"
#include "jobs/engine_pool.h"
#include "jobs/job_attempt.h"
#include "jobs/job_input.h"
#include "jobs/pricing.h"
#include "jobs/webhook_dispatcher.h"
#include "store/store.h"

namespace pictor::jobs {

struct JobManagerOptions {
  int workers = 1;
  int max_queue_depth = 64;        // queued jobs beyond this are refused (busy → HTTP 429)
  int64_t media_ttl_ms = 24 * 3600 * 1000LL;  // outputs expire after this; 0 = never
  int max_attempts = 3;            // a job interrupted this many times (crashes) fails
  PriceTable prices;
  // Load every offered model before start() returns. The load runs on the first worker thread:
  // libgomp gives each thread that opens a parallel region its own pool, and with two pools on
  // two cores it stops spinning between regions (measured: generation 1.8x slower when the main
  // thread had loaded the model and a worker generated).
  bool preload = true;
  // Routes every job to a provider (local engines and upstreams, docs/providers.md). Null: the
  // manager makes one that knows only the local engines.
  gateway::Router* router = nullptr;
  // Threads for jobs of models that upstream providers offer: they wait on HTTP, not on a CPU,
  // so they get their own queue and never sit behind local generations.
  int upstream_workers = 16;
  // Webhooks (docs/server.md): the senders run only when the allow-list is set; deliveries queued
  // while it is not stay pending in the store until a server that has one sends them.
  WebhookOptions webhooks;
  // The body POSTed for (job, event); the server renders it like GET /v1/generations/{id}, with
  // media URLs on `base_url`. Null: a minimal body (id, type, job id, status, error).
  std::function<std::string(const store::JobRecord& job, const std::string& event, const std::string& delivery_id,
                            const std::string& base_url)>
      webhook_payload;
  // The shared queue: jobs are claimed from the store (claim_job) instead of an in-process FIFO,
  // so every node on one database shares the work; `workers` may then be 0 (an API-only node).
  bool shared_queue = false;
  std::string node_id;              // the worker id claims carry; "" = host name, pid and a random tag
  int64_t lease_ms = 15000;         // a claimed job's lease, renewed every lease_ms / 3
};

// A job as callers see it: the stored record plus live state.
struct JobView {
  store::JobRecord record;
  int queue_position = -1;         // jobs ahead of it; -1 = not queued
  std::vector<store::WebhookDeliveryRecord> webhook_deliveries;  // get() only, for jobs with a webhook
};

// One progress notification for SSE consumers.
struct JobEvent {
  uint64_t version = 0;            // increases with every change of this job
  store::JobStatus status = store::JobStatus::kQueued;
  double progress = 0;
  int queue_position = -1;
  int partial_images = 0;          // previews available so far (streaming)
};

class JobManager {
 public:
  JobManager(store::Store& store, EnginePool& engines, JobManagerOptions options);
  ~JobManager();

  // Re-queues what a previous process left unfinished (running jobs count an attempt), then
  // starts the workers (the first one preloads the models, see JobManagerOptions). Call once.
  Status start();
  // First step of a shutdown: refuse new jobs and release every waiter (long-polls, SSE, the
  // synchronous endpoints) so that open requests answer now.
  void drain();
  // Stops taking jobs; running jobs get `grace` to finish, then are cancelled and re-queued in the
  // store (a later start() runs them again).
  void shutdown(std::chrono::milliseconds grace);

  // Stores and enqueues a job. Idempotency: when (key_id, idempotency_key) exists, returns that
  // job if request_hash matches, invalid_argument (HTTP 422) if not. busy when the queue is full.
  struct Submission {
    std::string key_id;
    std::string idempotency_key;
    std::string request_hash;
  };
  Result<JobView> submit(const JobInput& input, const Submission& who);
  // Stores an input image (edits) and returns its media id.
  Result<std::string> store_input_image(const std::string& key_id, const std::string& content_type,
                                        int width, int height, const std::string& bytes);

  Result<JobView> get(const std::string& id);
  // Blocks until the job is terminal or `timeout` passes; returns the job as it then is.
  Result<JobView> wait(const std::string& id, std::chrono::milliseconds timeout);
  // Blocks until the job's version exceeds `after_version` (or it is terminal, or timeout).
  Result<JobEvent> wait_event(const std::string& id, uint64_t after_version, std::chrono::milliseconds timeout);
  // Cancels a queued or running job (a running job stops within one sampler step).
  // invalid_argument when the job has already finished.
  Result<JobView> cancel(const std::string& id);
  // A streaming preview (encoded like the job's output) of a running or recently finished job:
  // index counts previews across all images of the job. not_found when there is no such preview.
  Result<std::string> partial_image(const std::string& id, int index);

  int queue_depth();
  int running();
  bool accepting() const { return accepting_.load(); }
  // Median run seconds of the last completed jobs per image for (model, quality); -1 = none yet.
  double median_seconds_per_image(const std::string& model, const std::string& quality);
  const PriceTable& prices() const { return options_.prices; }
  gateway::Router& router() { return *router_; }
  EnginePool& engines() { return engines_; }
  store::Store& store() { return store_; }

  // Totals since start, for /metrics.
  struct Counters {
    uint64_t jobs_completed = 0, jobs_failed = 0, jobs_canceled = 0, images = 0;
  };
  Counters counters();
  WebhookDispatcher::Counters webhook_counters();

 private:
  struct Live {
    uint64_t version = 0;
    store::JobStatus status = store::JobStatus::kQueued;
    double progress = 0;
    std::atomic<bool> cancel{false};
    bool requeue_on_cancel = false;  // cancelled by shutdown: put back in the queue
    std::vector<std::string> partials;  // encoded previews, in the order they were made
    std::condition_variable changed;
    // Shared queue: this node runs it (else the entry follows a job run elsewhere, from notices).
    bool local = false;
    std::string id;
    int64_t progress_written_ms = 0;  // last progress write to the store (throttled)
  };

  void worker_loop(bool upstream);
  void run_job(const std::string& id);  // job_run.cpp
  void run_claimed(store::JobRecord rec, std::shared_ptr<Live> live);  // job_run.cpp: counts running_ down
  // The shared queue (shared_queue.cpp).
  Status start_shared();
  void shared_worker_loop();
  void lease_loop();    // renews this node's leases, ends or re-queues the jobs of dead workers
  void notice_loop();   // store notices → idle workers and waiters
  void apply_notice(const std::string& notice);
  Status follow(const std::string& id);          // a live entry for a job another node may run
  void refresh_from_store(const std::string& id);
  void end_spent_job(store::JobRecord rec);      // a dead worker's job that may not run again
  Result<JobView> cancel_shared(const std::string& id);
  void stop_shared_threads();
  // One attempt on one provider (job_attempts.cpp).
  gateway::AttemptOutcome attempt_local(const JobInput& input, uint64_t seed, Live& live, AttemptMade& out);
  gateway::AttemptOutcome attempt_upstream(const gateway::Candidate& c, const JobInput& input, uint64_t seed, Live& live,
                                           AttemptMade& out);
  void add_partial(Live& live, std::string bytes);
  void report_progress(Live& live, double progress);
  bool uses_upstream_queue(const std::string& model, const std::string& provider) const;
  void enqueue_locked(const std::string& id, const std::string& model, const std::string& provider);  // mutex_ held
  std::shared_ptr<Live> live_locked(const std::string& id);  // mutex_ held
  void touch_locked(const std::string& id, store::JobStatus status, double progress);  // mutex_ held
  int queue_position_locked(const std::string& id) const;
  // Shared queue: jobs ahead of `id` by the store's count, -1 when not queued or the store fails.
  int shared_queue_position(const std::string& id);
  void finish(store::JobRecord& rec, const std::optional<store::UsageRecord>& usage);
  // The deliveries a job that just ended queues, by its input's webhook (none without one).
  std::vector<store::WebhookDeliveryRecord> webhook_deliveries_for(const store::JobRecord& rec);

  store::Store& store_;
  EnginePool& engines_;
  JobManagerOptions options_;

  std::mutex mutex_;
  std::condition_variable queue_cv_, upstream_queue_cv_;
  std::deque<std::string> queue_;           // jobs for local engines
  std::deque<std::string> upstream_queue_;  // jobs for models upstream providers offer
  std::map<std::string, std::shared_ptr<Live>> live_;  // queued/running, and recently finished
  std::deque<std::string> finished_order_;             // to bound live_ for finished jobs
  std::map<std::string, std::vector<double>> latencies_;  // "model/quality" → seconds per image
  Counters counters_;
  int running_ = 0;
  std::atomic<bool> accepting_{false};
  bool stopping_ = false;
  bool draining_ = false;
  std::vector<std::thread> workers_;
  std::unique_ptr<gateway::Router> own_router_;  // when options_.router is null
  std::unique_ptr<WebhookDispatcher> webhooks_;  // when options_.webhooks.enabled()
  gateway::Router* router_ = nullptr;
  // Shared queue state (under mutex_ unless atomic).
  std::string node_id_;
  int pending_wakes_ = 0;           // "queued" notices not yet taken by an idle worker
  bool background_stop_ = false;    // lease and notice threads
  std::atomic<bool> notices_live_{false};
  std::condition_variable lease_cv_;
  std::thread lease_thread_, notice_thread_;
};

}  // namespace pictor::jobs
