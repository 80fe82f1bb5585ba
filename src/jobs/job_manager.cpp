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

// Maps an engine failure to the job's error code (the API's error.code).
std::string error_code_for(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return "invalid_request";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kNotFound: return "model_not_found";
    case StatusCode::kCancelled: return "canceled";
    default: return "generation_failed";
  }
}

Result<engine::GenerateRequest> build_request(store::Store& st, const JobInput& in, uint64_t seed) {
  engine::GenerateRequest req;
  req.prompt = in.prompt;
  req.negative_prompt = in.negative_prompt;
  req.n = in.n;
  req.width = in.width;
  req.height = in.height;
  auto q = engine::parse_quality(in.quality);
  if (!q.is_ok()) return q.status();
  req.quality = *q;
  req.steps = in.steps;
  req.guidance = in.guidance;
  req.seed = seed;
  req.strength = in.strength;
  for (const auto& id : in.image_ids) {
    auto data = st.get_media_data(id);
    if (!data.is_ok()) return data.status();
    auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    auto img = codecs::decode_image(bytes);
    if (!img.is_ok()) return img.status();
    req.images.push_back(std::move(*img));
  }
  if (!in.mask_id.empty()) {
    auto data = st.get_media_data(in.mask_id);
    if (!data.is_ok()) return data.status();
    auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    auto img = codecs::decode_image(bytes, {}, /*keep_alpha=*/true);
    if (!img.is_ok()) return img.status();
    req.mask = std::move(*img);
  }
  return req;
}

int count_words(const std::string& s) {
  int n = 0;
  bool in_word = false;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace

JobManager::JobManager(store::Store& store, EnginePool& engines, JobManagerOptions options)
    : store_(store), engines_(engines), options_(std::move(options)) {}

JobManager::~JobManager() { shutdown(std::chrono::milliseconds(0)); }

Status JobManager::start() {
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
        PICTOR_RETURN_IF_ERROR(store_.finish_job(rec, std::nullopt));
        ++failed;
        continue;
      }
      rec.status = JobStatus::kQueued;
      rec.progress = 0;
      PICTOR_RETURN_IF_ERROR(store_.update_job(rec));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(rec.id);
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
    if (ok) worker_loop();
  });
  const Status st = load_result.get();
  if (!st.is_ok()) {
    workers_.back().join();
    workers_.clear();
    accepting_ = false;
    return st;
  }
  for (int i = 1; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { worker_loop(); });
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
    if (workers_.empty()) return;
    stopping_ = true;
    queue_cv_.notify_all();
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
}

std::shared_ptr<JobManager::Live> JobManager::live_locked(const std::string& id) {
  auto& slot = live_[id];
  if (!slot) slot = std::make_shared<Live>();
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
  auto it = std::find(queue_.begin(), queue_.end(), id);
  return it == queue_.end() ? -1 : int(it - queue_.begin());
}

Result<JobView> JobManager::submit(const JobInput& input, const Submission& who) {
  if (!accepting_) return unavailable("the server is shutting down; retry on another node or later");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (int(queue_.size()) >= options_.max_queue_depth)
      return Status(StatusCode::kBusy, "the queue is full (" + std::to_string(options_.max_queue_depth) +
                                           " jobs waiting); retry later");
  }
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
    queue_.push_back(rec.id);
    touch_locked(rec.id, JobStatus::kQueued, 0);
  }
  queue_cv_.notify_one();
  log_event(LogLevel::kInfo, "job.queued", {{"job", rec.id}, {"model", rec.model}, {"kind", rec.kind}});
  JobView view;
  view.record = std::move(*stored);
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
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(id);
  if (it != live_.end() && !store::is_terminal(view.record.status)) {
    // Progress lives in memory only; the store has the durable status.
    if (it->second->status == JobStatus::kRunning) view.record.status = JobStatus::kRunning;
    view.record.progress = it->second->progress;
  }
  view.queue_position = view.record.status == JobStatus::kQueued ? queue_position_locked(id) : -1;
  return view;
}

Result<JobView> JobManager::wait(const std::string& id, std::chrono::milliseconds timeout) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = live_.find(id);
    if (it != live_.end()) {
      auto live = it->second;
      live->changed.wait_for(lock, timeout, [&] { return store::is_terminal(live->status) || stopping_ || draining_; });
    }
  }
  return get(id);
}

Result<JobEvent> JobManager::wait_event(const std::string& id, uint64_t after_version,
                                        std::chrono::milliseconds timeout) {
  std::shared_ptr<Live> live;
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
    }
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
  auto rec = store_.get_job(id);
  if (!rec.is_ok()) return rec.status();
  if (store::is_terminal(rec->status))
    return invalid_argument("job " + id + " is already " + store::job_status_name(rec->status));
  bool was_queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto live = live_locked(id);
    live->cancel = true;
    auto it = std::find(queue_.begin(), queue_.end(), id);
    if (it != queue_.end()) {
      queue_.erase(it);
      was_queued = true;
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
  std::lock_guard<std::mutex> lock(mutex_);
  return int(queue_.size());
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

void JobManager::worker_loop() {
  for (;;) {
    std::string id;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      // Everyone behind moved up one place.
      for (const auto& q : queue_) touch_locked(q, JobStatus::kQueued, 0);
    }
    run_job(id);
  }
}

void JobManager::finish(JobRecord& rec, const std::optional<store::UsageRecord>& usage) {
  Status st = store_.finish_job(rec, usage);
  if (!st.is_ok())
    log_event(LogLevel::kError, "job.store_failed", {{"job", rec.id}, {"error", st.message()}});
  std::lock_guard<std::mutex> lock(mutex_);
  if (rec.status == JobStatus::kCompleted) ++counters_.jobs_completed;
  if (rec.status == JobStatus::kFailed) ++counters_.jobs_failed;
  if (rec.status == JobStatus::kCanceled) ++counters_.jobs_canceled;
  touch_locked(rec.id, rec.status, rec.status == JobStatus::kCompleted ? 1.0 : rec.progress);
}

void JobManager::run_job(const std::string& id) {
  auto loaded = store_.get_job(id);
  if (!loaded.is_ok()) {
    log_event(LogLevel::kError, "job.missing", {{"job", id}, {"error", loaded.status().message()}});
    return;
  }
  JobRecord rec = std::move(*loaded);
  if (store::is_terminal(rec.status)) return;
  std::shared_ptr<Live> live;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live = live_locked(id);
    ++running_;
  }
  auto leave = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
  };
  if (live->cancel) {
    rec.status = JobStatus::kCanceled;
    rec.error_code = "canceled";
    rec.error_message = "canceled by request before it started";
    rec.completed_at_ms = store::now_ms();
    finish(rec, std::nullopt);
    leave();
    return;
  }
  rec.status = JobStatus::kRunning;
  rec.started_at_ms = store::now_ms();
  rec.attempts += 1;
  if (Status st = store_.update_job(rec); !st.is_ok())
    log_event(LogLevel::kError, "job.store_failed", {{"job", id}, {"error", st.message()}});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    touch_locked(id, JobStatus::kRunning, 0);
  }
  auto fail = [&](const Status& s) {
    rec.status = s.code() == StatusCode::kCancelled ? JobStatus::kCanceled : JobStatus::kFailed;
    rec.error_code = error_code_for(s);
    rec.error_message = s.message();
    rec.completed_at_ms = store::now_ms();
    finish(rec, std::nullopt);
    log_event(LogLevel::kWarn, "job.failed", {{"job", id}, {"code", rec.error_code}, {"error", s.message()}});
    leave();
  };

  auto input = JobInput::from_json(rec.input_json);
  if (!input.is_ok()) return fail(input.status());
  const uint64_t seed = input->seed ? *input->seed : (uint64_t(std::random_device{}()) << 20) ^ std::random_device{}();
  auto req = build_request(store_, *input, seed);
  if (!req.is_ok()) return fail(req.status());
  auto lease = engines_.acquire(input->model);
  if (!lease.is_ok()) return fail(lease.status());

  const int n = input->n;
  auto preview_format = codecs::parse_format(input->output_format);
  if (input->partial_images > 0 && preview_format.is_ok()) {
    req->previews = input->partial_images;
    req->on_preview = [&, fmt = *preview_format](int, int, const Image& preview) {
      // Previews come at the model's native size; show them at the size asked for.
      const bool resize = input->width > 0 && (input->width != preview.width || input->height != preview.height);
      auto bytes = codecs::encode_image(resize ? resize_image(preview, input->width, input->height) : preview, fmt,
                                        input->output_compression);
      if (!bytes.is_ok()) return;
      std::lock_guard<std::mutex> lock(mutex_);
      live->partials.emplace_back(bytes->begin(), bytes->end());
      ++live->version;
      live->changed.notify_all();
    };
  }
  auto progress = [&](int image, int step, int total) {
    std::lock_guard<std::mutex> lock(mutex_);
    touch_locked(id, JobStatus::kRunning, double(image * total + step) / double(std::max(1, n * total)));
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto result = lease->engine->generate(*req, progress, &live->cancel);
  const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  lease->lock.unlock();
  if (!result.is_ok()) {
    if (result.status().code() == StatusCode::kCancelled && live->requeue_on_cancel) {
      // Shutdown: back to queued in the store; the next start() runs it again.
      rec.status = JobStatus::kQueued;
      rec.progress = 0;
      rec.started_at_ms = 0;
      (void)store_.update_job(rec);
      log_event(LogLevel::kInfo, "job.requeued", {{"job", id}});
      leave();
      return;
    }
    return fail(result.status());
  }

  auto format = codecs::parse_format(input->output_format);
  if (!format.is_ok()) return fail(format.status());
  json media = json::array();
  int64_t pixels = 0;
  for (const auto& img : result->images) {
    auto bytes = codecs::encode_image(img, *format, input->output_compression);
    if (!bytes.is_ok()) return fail(bytes.status());
    store::MediaRecord m;
    m.id = store::new_id("media");
    m.job_id = id;
    m.key_id = rec.key_id;
    m.content_type = codecs::mime_type(*format);
    m.width = img.width;
    m.height = img.height;
    m.size_bytes = int64_t(bytes->size());
    m.created_at_ms = store::now_ms();
    if (options_.media_ttl_ms > 0) m.expires_at_ms = m.created_at_ms + options_.media_ttl_ms;
    Status st = store_.put_media(m, std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!st.is_ok()) return fail(st);
    media.push_back({{"id", m.id}, {"content_type", m.content_type}, {"width", m.width}, {"height", m.height}});
    pixels += int64_t(img.width) * img.height;
  }
  const int images = int(result->images.size());
  const double price = options_.prices.price_per_image(input->model, input->quality);
  const double queue_s = double(rec.started_at_ms - rec.created_at_ms) / 1000.0;
  // Token counts in OpenAI's shape: one input token per prompt word, one image token per 32×32
  // tile of each input image, one output token per 32×32 tile of each output image.
  int64_t image_tokens = 0;
  for (const auto& im : req->images) image_tokens += int64_t((im.width + 31) / 32) * ((im.height + 31) / 32);
  const int64_t text_tokens = count_words(input->prompt) + count_words(input->negative_prompt);
  const int64_t output_tokens = (pixels + 1023) / 1024;
  const std::string size = result->images.empty()
                               ? input->size_string()
                               : std::to_string(result->images[0].width) + "x" + std::to_string(result->images[0].height);
  json out = {{"media", media},
              {"warnings", result->warnings},
              {"seed", seed},
              {"steps", result->steps},
              {"guidance", result->guidance},
              {"size", size},
              {"quality", input->quality},
              {"output_format", input->output_format},
              {"background", input->background == "auto" ? "opaque" : input->background},
              {"usage",
               {{"images", images},
                {"pixels", pixels},
                {"compute_seconds", result->seconds},
                {"input_tokens", text_tokens + image_tokens},
                {"input_tokens_details", {{"text_tokens", text_tokens}, {"image_tokens", image_tokens}}},
                {"output_tokens", output_tokens},
                {"total_tokens", text_tokens + image_tokens + output_tokens}}},
              {"cost", {{"usd", price * images}, {"price_per_image", price}, {"currency", "usd"}}},
              {"metrics", {{"queue_s", queue_s}, {"run_s", run_s}}}};
  rec.output_json = out.dump();
  rec.status = JobStatus::kCompleted;
  rec.progress = 1.0;
  rec.completed_at_ms = store::now_ms();
  store::UsageRecord usage;
  usage.job_id = id;
  usage.key_id = rec.key_id;
  usage.model = input->model;
  usage.quality = input->quality;
  usage.images = images;
  usage.pixels = pixels;
  usage.compute_seconds = result->seconds;
  usage.cost_usd = price * images;
  usage.created_at_ms = rec.completed_at_ms;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    counters_.images += uint64_t(images);
    auto& lat = latencies_[input->model + "/" + input->quality];
    lat.push_back(result->seconds / std::max(1, images));
    if (lat.size() > 200) lat.erase(lat.begin());
  }
  finish(rec, usage);
  log_event(LogLevel::kInfo, "job.completed",
            {{"job", id}, {"model", input->model}, {"images", images}, {"queue_s", queue_s}, {"run_s", run_s}});
  leave();
}

}  // namespace pictor::jobs
