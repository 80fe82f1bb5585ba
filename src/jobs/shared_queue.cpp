// JobManager's shared queue (docs/scale-out.md): many nodes on one store. Workers claim the
// oldest queued job with a lease (store::claim_job, FOR UPDATE SKIP LOCKED on PostgreSQL) and
// renew it every lease/3; a node that dies stops renewing, and any node's lease loop puts its
// jobs back in the queue (or ends them after max_attempts). Idle workers sleep until a store
// notice says a job was queued; waiters on any node wake on notices of the job's changes.
#include <unistd.h>

#include <algorithm>
#include <future>

#include "core/log.h"
#include "jobs/job_manager.h"

namespace pictor::jobs {

using store::JobRecord;
using store::JobStatus;

namespace {

std::string default_node_id() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  std::string id = std::string(host[0] ? host : "node") + "-" + std::to_string(::getpid());
  // A random tag: a restarted process with a reused pid is not the one that held old leases.
  return id + "-" + store::new_id("w").substr(2, 8);
}

}  // namespace

Status JobManager::start_shared() {
  node_id_ = options_.node_id.empty() ? default_node_id() : options_.node_id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
    background_stop_ = false;
  }
  accepting_ = true;
  if (options_.workers > 0) {
    std::promise<Status> loaded;
    auto load_result = loaded.get_future();
    workers_.emplace_back([this, &loaded] {
      const Status st = options_.preload ? engines_.preload() : Status::ok();
      const bool ok = st.is_ok();
      loaded.set_value(st);
      if (ok) shared_worker_loop();
    });
    const Status st = load_result.get();
    if (!st.is_ok()) {
      workers_.back().join();
      workers_.clear();
      accepting_ = false;
      return st;
    }
    for (int i = 1; i < options_.workers; ++i) workers_.emplace_back([this] { shared_worker_loop(); });
  }
  lease_thread_ = std::thread([this] { lease_loop(); });
  notice_thread_ = std::thread([this] { notice_loop(); });
  if (options_.webhooks.enabled()) {
    webhooks_ = std::make_unique<WebhookDispatcher>(store_, options_.webhooks);
    webhooks_->start();
  }
  log_event(LogLevel::kInfo, "jobs.shared_queue",
            {{"node", node_id_}, {"workers", options_.workers}, {"lease_ms", options_.lease_ms}});
  return Status::ok();
}

int JobManager::shared_queue_position(const std::string& id) {
  auto n = store_.count_queued_jobs_ahead(id);
  return n.is_ok() ? int(*n) : -1;  // a position is a hint: a failed count shows none
}

void JobManager::stop_shared_threads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    background_stop_ = true;
  }
  lease_cv_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
  if (notice_thread_.joinable()) notice_thread_.join();  // its wait ends within a second
}

void JobManager::shared_worker_loop() {
  int64_t last_error_log_ms = 0;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    const int64_t now = store::now_ms();
    auto claimed = store_.claim_job(node_id_, now, now + options_.lease_ms);
    if (!claimed.is_ok()) {
      if (now - last_error_log_ms > 10000) {
        log_event(LogLevel::kWarn, "jobs.claim_failed", {{"error", claimed.status().message()}});
        last_error_log_ms = now;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      queue_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    if (!claimed->has_value()) {
      std::unique_lock<std::mutex> lock(mutex_);
      // A "queued" notice wakes us; the timeout is the safety net for when notices are down
      // (short then: the store is asked twice a second instead of told).
      const auto idle = notices_live_ ? std::chrono::milliseconds(5000) : std::chrono::milliseconds(500);
      queue_cv_.wait_for(lock, idle, [&] { return stopping_ || pending_wakes_ > 0; });
      if (pending_wakes_ > 0) --pending_wakes_;
      continue;
    }
    JobRecord rec = std::move(**claimed);
    std::shared_ptr<Live> live;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      live = live_locked(rec.id);
      live->local = true;
      live->cancel = false;
      live->requeue_on_cancel = false;
      ++running_;
      touch_locked(rec.id, JobStatus::kRunning, 0);
    }
    log_event(LogLevel::kInfo, "job.claimed", {{"job", rec.id}, {"node", node_id_}, {"attempt", rec.attempts}});
    run_claimed(std::move(rec), std::move(live));
  }
}

void JobManager::lease_loop() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(50, options_.lease_ms / 3));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (lease_cv_.wait_for(lock, period, [&] { return background_stop_; })) return;
    }
    const int64_t now = store::now_ms();
    auto cancels = store_.renew_job_leases(node_id_, now + options_.lease_ms);
    if (cancels.is_ok()) {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& id : *cancels)
        if (auto it = live_.find(id); it != live_.end()) it->second->cancel = true;
    } else {
      log_event(LogLevel::kWarn, "jobs.lease_renewal_failed", {{"error", cancels.status().message()}});
    }
    auto spent = store_.requeue_expired_jobs(now, options_.max_attempts);
    if (spent.is_ok()) {
      for (auto& rec : *spent) end_spent_job(std::move(rec));
    }
  }
}

void JobManager::end_spent_job(JobRecord rec) {
  rec.completed_at_ms = store::now_ms();
  if (rec.cancel_requested) {
    rec.status = JobStatus::kCanceled;
    rec.error_code = "canceled";
    rec.error_message = "canceled by request; its worker stopped before it ended";
  } else {
    rec.status = JobStatus::kFailed;
    rec.error_code = "interrupted";
    rec.error_message = "the worker running this job stopped " + std::to_string(rec.attempts) +
                        " times (its lease ran out); giving up";
  }
  log_event(LogLevel::kWarn, "job.lease_expired", {{"job", rec.id}, {"worker", rec.worker_id}, {"status", store::job_status_name(rec.status)}});
  finish(rec, std::nullopt);
}

void JobManager::notice_loop() {
  bool said_unsupported = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (background_stop_) return;
    }
    auto sub = store_.listen_job_notices();
    if (!sub.is_ok()) {
      if (sub.status().code() == StatusCode::kUnsupported) {
        if (!said_unsupported)
          log_event(LogLevel::kInfo, "jobs.no_notices", {{"reason", sub.status().message()}});
        return;  // idle workers and waiters ask the store instead (short timeouts)
      }
      std::unique_lock<std::mutex> lock(mutex_);
      if (lease_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return background_stop_; })) return;
      continue;
    }
    notices_live_ = true;
    {
      // Notices sent while we were not listening are lost: every idle worker looks once.
      std::lock_guard<std::mutex> lock(mutex_);
      pending_wakes_ = std::max(1, options_.workers);
      queue_cv_.notify_all();
    }
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (background_stop_) {
          notices_live_ = false;
          return;
        }
      }
      auto got = (*sub)->wait(1000);
      if (!got.is_ok()) {
        log_event(LogLevel::kWarn, "jobs.notices_lost", {{"error", got.status().message()}});
        break;
      }
      for (const auto& n : *got) apply_notice(n);
    }
    notices_live_ = false;
  }
}

void JobManager::apply_notice(const std::string& notice) {
  const size_t colon = notice.find(':');
  if (colon == std::string::npos) return;
  const std::string kind = notice.substr(0, colon), id = notice.substr(colon + 1);
  if (kind == "queued") {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_wakes_ = std::min(pending_wakes_ + 1, std::max(1, options_.workers));
    queue_cv_.notify_one();
  }
  // A job that ended on another node may have queued webhook deliveries for our senders.
  if (kind == "finished" && webhooks_) webhooks_->wake();
  bool follow_up = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(id);
    if (it == live_.end()) return;
    if (kind == "cancel" && it->second->local) it->second->cancel = true;
    follow_up = !it->second->local;
  }
  if (follow_up) refresh_from_store(id);
}

Status JobManager::follow(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (live_.count(id)) return Status::ok();
  }
  auto rec = store_.get_job(id);
  if (!rec.is_ok()) return rec.status();
  if (store::is_terminal(rec->status)) return Status::ok();
  std::lock_guard<std::mutex> lock(mutex_);
  if (live_.count(id)) return Status::ok();
  auto live = live_locked(id);
  live->status = rec->status;
  live->progress = rec->progress;
  return Status::ok();
}

void JobManager::refresh_from_store(const std::string& id) {
  auto rec = store_.get_job(id);
  if (!rec.is_ok()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(id);
  if (it == live_.end() || it->second->local) return;
  if (it->second->status != rec->status || it->second->progress != rec->progress)
    touch_locked(id, rec->status, rec->progress);
}

Result<JobView> JobManager::cancel_shared(const std::string& id) {
  // A few rounds: between reading the job and acting, another node may take or re-queue it.
  for (int round = 0; round < 3; ++round) {
    auto rec = store_.get_job(id);
    if (!rec.is_ok()) return rec.status();
    if (store::is_terminal(rec->status))
      return invalid_argument("job " + id + " is already " + store::job_status_name(rec->status));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(id);
      if (it != live_.end() && it->second->local) {
        it->second->cancel = true;  // ours: it stops within one sampler step
        break;
      }
    }
    if (rec->status == JobStatus::kQueued) {
      JobRecord canceled = *rec;
      canceled.status = JobStatus::kCanceled;
      canceled.error_code = "canceled";
      canceled.error_message = "canceled by request before it started";
      canceled.completed_at_ms = store::now_ms();
      const auto deliveries = webhook_deliveries_for(canceled);
      auto done = store_.cancel_queued_job(canceled, deliveries);
      if (!done.is_ok()) return done.status();
      if (*done) {
        if (!deliveries.empty() && webhooks_) webhooks_->wake();
        std::lock_guard<std::mutex> lock(mutex_);
        ++counters_.jobs_canceled;
        touch_locked(id, JobStatus::kCanceled, canceled.progress);
        break;
      }
      continue;  // a worker took it meanwhile
    }
    auto flagged = store_.request_job_cancel(id);
    if (!flagged.is_ok()) return flagged.status();
    if (*flagged) break;  // its worker hears it by notice, or at its next lease renewal
  }
  return wait(id, std::chrono::seconds(30));
}

}  // namespace pictor::jobs
