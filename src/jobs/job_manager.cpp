#include "jobs/job_manager.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <future>
#include <random>

#include "codecs/codecs.h"
#include "core/log.h"

namespace pictor::jobs {

using nlohmann::json;
using store::JobRecord;
using store::JobStatus;

namespace {

constexpr size_t kFinishedKept = 2000;  // finished jobs whose live state stays for SSE/long-poll

}  // namespace

JobManager::JobManager(store::Store& store, EnginePool& engines, JobManagerOptions options)
    : store_(store), engines_(engines), options_(std::move(options)) {
  router_ = options_.router;
  if (!router_) {
    gateway::LocalProvider local;
    local.offers = [this](const std::string& m) { return engines_.offers(m); };
    local.price = [this](const std::string& m, const std::string& q) { return options_.prices.price_per_image(m, q); };
    local.models = engines_.models();
    local.max_concurrency = options_.workers;
    own_router_ = std::make_unique<gateway::Router>(gateway::ProvidersFile{}, std::move(local));
    router_ = own_router_.get();
  }
}

// Upstream-only models, and requests sent to a named upstream provider, wait on HTTP: they take
// the upstream queue. A model the local engines offer stays in the local queue even when the
// router may send it upstream (the engine then runs on the thread that loaded it).
bool JobManager::uses_upstream_queue(const std::string& model, const std::string& provider) const {
  if (!router_->has_upstream(model)) return false;
  return !engines_.offers(model) || (!provider.empty() && provider != gateway::kLocalProvider);
}

void JobManager::enqueue_locked(const std::string& id, const std::string& model, const std::string& provider) {
  if (uses_upstream_queue(model, provider)) {
    upstream_queue_.push_back(id);
    upstream_queue_cv_.notify_one();
  } else {
    queue_.push_back(id);
    queue_cv_.notify_one();
  }
}

JobManager::~JobManager() { shutdown(std::chrono::milliseconds(0)); }

Status JobManager::start() {
  if (options_.shared_queue) return start_shared();
  auto unfinished = store_.unfinished_jobs();
  if (!unfinished.is_ok()) return unfinished.status();
  int requeued = 0, failed = 0;
  for (auto& rec : *unfinished) {
    if (rec.status == JobStatus::kRunning) {
      if (rec.attempts >= options_.max_attempts) {
        rec.status = JobStatus::kFailed;
        rec.error_code = "interrupted";
        rec.error_message = "the server stopped " + std::to_string(rec.attempts) +
                            " times while running this job; giving up";
        rec.completed_at_ms = store::now_ms();
        PICTOR_RETURN_IF_ERROR(store_.finish_job(rec, std::nullopt, webhook_deliveries_for(rec)));
        ++failed;
        continue;
      }
      rec.status = JobStatus::kQueued;
      rec.progress = 0;
      PICTOR_RETURN_IF_ERROR(store_.update_job(rec));
    }
    auto stored_input = JobInput::from_json(rec.input_json);
    std::lock_guard<std::mutex> lock(mutex_);
    enqueue_locked(rec.id, rec.model, stored_input.is_ok() ? stored_input->provider : "");
    live_locked(rec.id);
    ++requeued;
  }
  if (requeued || failed)
    log_event(LogLevel::kInfo, "jobs.recovered", {{"requeued", requeued}, {"failed", failed}});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
  }
  accepting_ = true;
  std::promise<Status> loaded;
  auto load_result = loaded.get_future();
  workers_.emplace_back([this, &loaded] {
    const Status st = options_.preload ? engines_.preload() : Status::ok();
    const bool ok = st.is_ok();
    loaded.set_value(st);
    if (ok) worker_loop(false);
  });
  const Status st = load_result.get();
  if (!st.is_ok()) {
    workers_.back().join();
    workers_.clear();
    accepting_ = false;
    return st;
  }
  for (int i = 1; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { worker_loop(false); });
  if (options_.webhooks.enabled()) {
    webhooks_ = std::make_unique<WebhookDispatcher>(store_, options_.webhooks);
    webhooks_->start();
  }
  if (!router_->upstream_models().empty())
    for (int i = 0; i < std::max(1, options_.upstream_workers); ++i) workers_.emplace_back([this] { worker_loop(true); });
  return Status::ok();
}

void JobManager::drain() {
  accepting_ = false;
  std::lock_guard<std::mutex> lock(mutex_);
  draining_ = true;
  for (auto& [id, live] : live_) live->changed.notify_all();
}

void JobManager::shutdown(std::chrono::milliseconds grace) {
  accepting_ = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (workers_.empty() && !lease_thread_.joinable()) return;
    stopping_ = true;
    queue_cv_.notify_all();
    upstream_queue_cv_.notify_all();
    // Give running jobs their grace period, then cancel them for re-queueing.
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (running_ > 0 && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.lock();
    }
    for (auto& [id, live] : live_) {
      if (live->status == JobStatus::kRunning) {
        live->requeue_on_cancel = true;
        live->cancel = true;
      }
    }
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  stop_shared_threads();  // after the workers: leases stay renewed while running jobs finish
  if (webhooks_) webhooks_->stop();
}

std::shared_ptr<JobManager::Live> JobManager::live_locked(const std::string& id) {
  auto& slot = live_[id];
  if (!slot) {
    slot = std::make_shared<Live>();
    slot->id = id;
  }
  return slot;
}

void JobManager::touch_locked(const std::string& id, JobStatus status, double progress) {
  auto live = live_locked(id);
  live->status = status;
  live->progress = progress;
  ++live->version;
  live->changed.notify_all();
  if (store::is_terminal(status)) {
    finished_order_.push_back(id);
    while (finished_order_.size() > kFinishedKept) {
      live_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }
}

int JobManager::queue_position_locked(const std::string& id) const {
  for (const auto* q : {&queue_, &upstream_queue_}) {
    auto it = std::find(q->begin(), q->end(), id);
    if (it != q->end()) return int(it - q->begin());
  }
  return -1;
}

Result<JobView> JobManager::submit(const JobInput& input, const Submission& who) {
  if (!accepting_) return unavailable("the server is shutting down; retry on another node or later");
  if (queue_depth() >= options_.max_queue_depth)
    return Status(StatusCode::kBusy, "the queue is full (" + std::to_string(options_.max_queue_depth) +
                                         " jobs waiting); retry later");
  JobRecord rec;
  rec.id = store::new_id("gen");
  rec.key_id = who.key_id;
  rec.model = input.model;
  rec.kind = input.is_edit() ? "edit" : "generation";
  rec.input_json = input.to_json();
  rec.request_hash = who.request_hash;
  rec.idempotency_key = who.idempotency_key;
  rec.status = JobStatus::kQueued;
  rec.created_at_ms = store::now_ms();
  auto stored = store_.insert_job(rec);
  if (!stored.is_ok()) return stored.status();
  if (stored->id != rec.id) {  // an earlier job with this Idempotency-Key
    if (stored->request_hash != who.request_hash)
      return conflict("Idempotency-Key \"" + who.idempotency_key + "\" was already used with a different request body");
    return get(stored->id);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Shared queue: the store's notice wakes a worker on whichever node is idle.
    if (!options_.shared_queue) enqueue_locked(rec.id, rec.model, input.provider);
    touch_locked(rec.id, JobStatus::kQueued, 0);
  }
  log_event(LogLevel::kInfo, "job.queued", {{"job", rec.id}, {"model", rec.model}, {"kind", rec.kind}});
  JobView view;
  view.record = std::move(*stored);
  if (options_.shared_queue) {
    view.queue_position = shared_queue_position(view.record.id);
    return view;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  view.queue_position = queue_position_locked(view.record.id);
  return view;
}

Result<std::string> JobManager::store_input_image(const std::string& key_id, const std::string& content_type,
                                                  int width, int height, const std::string& bytes) {
  store::MediaRecord m;
  m.id = store::new_id("media");
  m.key_id = key_id;
  m.content_type = content_type;
  m.width = width;
  m.height = height;
  m.size_bytes = int64_t(bytes.size());
  m.created_at_ms = store::now_ms();
  if (options_.media_ttl_ms > 0) m.expires_at_ms = m.created_at_ms + options_.media_ttl_ms;
  PICTOR_RETURN_IF_ERROR(store_.put_media(m, bytes));
  return m.id;
}

Result<JobView> JobManager::get(const std::string& id) {
  auto rec = store_.get_job(id);
  if (!rec.is_ok()) return rec.status();
  JobView view;
  view.record = std::move(*rec);
  const int shared_position =
      options_.shared_queue && view.record.status == JobStatus::kQueued ? shared_queue_position(id) : -1;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(id);
  // (Shared queue: a job another node runs has its progress in the store, fresher than a follower.)
  if (it != live_.end() && !store::is_terminal(view.record.status) && (!options_.shared_queue || it->second->local)) {
    // Progress lives in memory only; the store has the durable status.
    if (it->second->status == JobStatus::kRunning) view.record.status = JobStatus::kRunning;
    view.record.progress = it->second->progress;
  }
  if (options_.shared_queue) view.queue_position = view.record.status == JobStatus::kQueued ? shared_position : -1;
  else view.queue_position = view.record.status == JobStatus::kQueued ? queue_position_locked(id) : -1;
  if (store::is_terminal(view.record.status) && view.record.input_json.find("\"webhook\"") != std::string::npos) {
    auto deliveries = store_.list_webhook_deliveries(id);
    if (deliveries.is_ok()) view.webhook_deliveries = std::move(*deliveries);
  }
  return view;
}

// Shared queue: waits in slices, asking the store between them, in case a notice was lost (its
// connection dropped); notices end a slice early.
constexpr std::chrono::milliseconds kSharedWaitSlice{2000};

Result<JobView> JobManager::wait(const std::string& id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (options_.shared_queue) PICTOR_RETURN_IF_ERROR(follow(id));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      auto it = live_.find(id);
      if (it == live_.end()) break;
      auto live = it->second;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      const auto slice = options_.shared_queue ? std::min(left, kSharedWaitSlice) : left;
      if (slice.count() <= 0) break;
      if (live->changed.wait_for(lock, slice, [&] { return store::is_terminal(live->status) || stopping_ || draining_; }))
        break;
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
    refresh_from_store(id);
  }
  return get(id);
}

Result<JobEvent> JobManager::wait_event(const std::string& id, uint64_t after_version,
                                        std::chrono::milliseconds timeout) {
  std::shared_ptr<Live> live;
  if (options_.shared_queue) {
    PICTOR_RETURN_IF_ERROR(follow(id));
    // Slices as in wait(): between them the store has the word.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        auto it = live_.find(id);
        if (it == live_.end()) break;
        auto l = it->second;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        if (l->changed.wait_for(lock, std::min(left, kSharedWaitSlice), [&] {
              return l->version > after_version || store::is_terminal(l->status) || stopping_ || draining_;
            }))
          break;
      }
      refresh_from_store(id);
    }
    timeout = std::chrono::milliseconds(0);
  }
  std::optional<JobEvent> shared_event;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = live_.find(id);
    if (it != live_.end()) {
      live = it->second;
      live->changed.wait_for(lock, timeout, [&] {
        return live->version > after_version || store::is_terminal(live->status) || stopping_ || draining_;
      });
      JobEvent ev;
      ev.version = live->version;
      ev.status = live->status;
      ev.progress = live->progress;
      ev.queue_position = queue_position_locked(id);
      ev.partial_images = int(live->partials.size());
      if (ev.status != JobStatus::kQueued || ev.queue_position >= 0) return ev;
      if (options_.shared_queue) shared_event = ev;
    }
  }
  if (shared_event) {  // a queued job of the shared queue: its place is the store's to count
    shared_event->queue_position = shared_queue_position(id);
    return *shared_event;
  }
  // Not live (finished long ago, or from before a restart): the store has the final word.
  auto view = get(id);
  if (!view.is_ok()) return view.status();
  JobEvent ev;
  ev.version = after_version + 1;
  ev.status = view->record.status;
  ev.progress = view->record.progress;
  ev.queue_position = view->queue_position;
  return ev;
}

Result<JobView> JobManager::cancel(const std::string& id) {
  if (options_.shared_queue) return cancel_shared(id);
  auto rec = store_.get_job(id);
  if (!rec.is_ok()) return rec.status();
  if (store::is_terminal(rec->status))
    return invalid_argument("job " + id + " is already " + store::job_status_name(rec->status));
  bool was_queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto live = live_locked(id);
    live->cancel = true;
    for (auto* q : {&queue_, &upstream_queue_}) {
      auto it = std::find(q->begin(), q->end(), id);
      if (it != q->end()) {
        q->erase(it);
        was_queued = true;
      }
    }
  }
  if (was_queued) {
    rec->status = JobStatus::kCanceled;
    rec->error_code = "canceled";
    rec->error_message = "canceled by request before it started";
    rec->completed_at_ms = store::now_ms();
    finish(*rec, std::nullopt);
    return get(id);
  }
  // Running (or just taken by a worker): it stops within one sampler step.
  return wait(id, std::chrono::seconds(30));
}

Result<std::string> JobManager::partial_image(const std::string& id, int index) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(id);
  if (it == live_.end() || index < 0 || index >= int(it->second->partials.size()))
    return not_found("no partial image " + std::to_string(index) + " for job " + id);
  return it->second->partials[size_t(index)];
}

int JobManager::queue_depth() {
  if (options_.shared_queue) {
    auto n = store_.count_queued_jobs();
    return n.is_ok() ? int(*n) : 0;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return int(queue_.size() + upstream_queue_.size());
}

int JobManager::running() {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

JobManager::Counters JobManager::counters() {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

double JobManager::median_seconds_per_image(const std::string& model, const std::string& quality) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = latencies_.find(model + "/" + quality);
  if (it == latencies_.end() || it->second.empty()) return -1;
  auto v = it->second;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

void JobManager::worker_loop(bool upstream) {
  auto& queue = upstream ? upstream_queue_ : queue_;
  auto& cv = upstream ? upstream_queue_cv_ : queue_cv_;
  for (;;) {
    std::string id;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv.wait(lock, [&] { return stopping_ || !queue.empty(); });
      if (stopping_) return;
      id = queue.front();
      queue.pop_front();
      // Everyone behind moved up one place.
      for (const auto& q : queue) touch_locked(q, JobStatus::kQueued, 0);
    }
    run_job(id);
  }
}

WebhookDispatcher::Counters JobManager::webhook_counters() {
  return webhooks_ ? webhooks_->counters() : WebhookDispatcher::Counters{};
}

std::vector<store::WebhookDeliveryRecord> JobManager::webhook_deliveries_for(const JobRecord& rec) {
  if (rec.input_json.find("\"webhook\"") == std::string::npos) return {};
  auto input = JobInput::from_json(rec.input_json);
  if (!input.is_ok() || !input->webhook) return {};
  const std::string event = std::string("generation.") + store::job_status_name(rec.status);
  const auto& events = input->webhook->events;
  if (std::find(events.begin(), events.end(), event) == events.end()) return {};
  store::WebhookDeliveryRecord d;
  d.id = store::new_id("whd");
  d.job_id = rec.id;
  d.key_id = rec.key_id;
  d.url = input->webhook->url;
  d.event = event;
  d.created_at_ms = store::now_ms();
  d.next_attempt_at_ms = d.created_at_ms;
  if (options_.webhook_payload) {
    d.payload = options_.webhook_payload(rec, event, d.id, input->webhook->base_url);
  } else {
    json data = {{"id", rec.id}, {"object", "generation"}, {"status", store::job_status_name(rec.status)}};
    if (!rec.error_code.empty()) data["error"] = {{"code", rec.error_code}, {"message", rec.error_message}};
    d.payload = json{{"id", d.id}, {"type", event}, {"created_at", d.created_at_ms / 1000}, {"data", data}}.dump();
  }
  return {std::move(d)};
}

void JobManager::finish(JobRecord& rec, const std::optional<store::UsageRecord>& usage) {
  const auto deliveries = webhook_deliveries_for(rec);
  Status st = store_.finish_job(rec, usage, deliveries);
  if (st.code() == StatusCode::kConflict) {
    // Shared queue: this node's lease ran out and the job was re-queued; its new holder finishes it.
    log_event(LogLevel::kWarn, "job.lease_lost", {{"job", rec.id}, {"error", st.message()}});
    refresh_from_store(rec.id);
    return;
  }
  if (!st.is_ok())
    log_event(LogLevel::kError, "job.store_failed", {{"job", rec.id}, {"error", st.message()}});
  if (!deliveries.empty() && webhooks_) webhooks_->wake();
  std::lock_guard<std::mutex> lock(mutex_);
  if (rec.status == JobStatus::kCompleted) ++counters_.jobs_completed;
  if (rec.status == JobStatus::kFailed) ++counters_.jobs_failed;
  if (rec.status == JobStatus::kCanceled) ++counters_.jobs_canceled;
  touch_locked(rec.id, rec.status, rec.status == JobStatus::kCompleted ? 1.0 : rec.progress);
}

}  // namespace pictor::jobs
