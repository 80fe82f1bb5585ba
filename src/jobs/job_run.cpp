// JobManager::run_job: a worker takes a job, the router picks its provider (retrying and failing
// over, see gateway/router.h), and whatever an attempt made is stored as media with the job's
// output, usage and cost in one transaction (store::finish_job).
#include <nlohmann/json.hpp>

#include <random>

#include "core/log.h"
#include "jobs/job_manager.h"

namespace pictor::jobs {

using nlohmann::json;
using store::JobRecord;
using store::JobStatus;

namespace {

// Maps a failure to the job's error code (the API's error.code).
std::string error_code_for(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return "invalid_request";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kNotFound: return "model_not_found";
    case StatusCode::kCancelled: return "canceled";
    default: return "generation_failed";
  }
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

const char* format_of(const std::string& content_type) {
  if (content_type == "image/jpeg") return "jpeg";
  if (content_type == "image/webp") return "webp";
  return "png";
}

json routing_json(const gateway::RouteResult& route) {
  json attempts = json::array();
  for (const auto& a : route.attempts) attempts.push_back(a.to_json());
  return {{"provider", route.provider.empty() ? json(nullptr) : json(route.provider)}, {"attempts", attempts}};
}

}  // namespace

void JobManager::add_partial(Live& live, std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  live.partials.push_back(std::move(bytes));
  ++live.version;
  live.changed.notify_all();
}

void JobManager::report_progress(Live& live, double progress) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    live.status = JobStatus::kRunning;
    live.progress = progress;
    ++live.version;
    live.changed.notify_all();
  }
  // Shared queue: waiters on other nodes see progress through the store (at most 4 writes/s).
  if (options_.shared_queue && live.local) {
    const int64_t now = store::now_ms();
    if (now - live.progress_written_ms >= 250) {
      live.progress_written_ms = now;
      (void)store_.update_job_progress(live.id, node_id_, progress);
    }
  }
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
  run_claimed(std::move(rec), std::move(live));
}

// The job is running in the store (its attempt counted); this node runs it to the end.
void JobManager::run_claimed(JobRecord rec, std::shared_ptr<Live> live) {
  const std::string id = rec.id;
  auto leave = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
  };
  auto fail = [&](const Status& s, const std::string& code) {
    rec.status = s.code() == StatusCode::kCancelled ? JobStatus::kCanceled : JobStatus::kFailed;
    rec.error_code = code.empty() ? error_code_for(s) : code;
    rec.error_message = s.message();
    rec.completed_at_ms = store::now_ms();
    finish(rec, std::nullopt);
    log_event(LogLevel::kWarn, "job.failed", {{"job", id}, {"code", rec.error_code}, {"error", s.message()}});
    leave();
  };

  auto input = JobInput::from_json(rec.input_json);
  if (!input.is_ok()) return fail(input.status(), "");
  const uint64_t seed = input->seed ? *input->seed : (uint64_t(std::random_device{}()) << 20) ^ std::random_device{}();
  gateway::RoutePrefs prefs;
  prefs.quality = input->quality;
  prefs.size = input->size_string();
  prefs.provider = input->provider;
  AttemptMade made;
  auto attempt = [&](const gateway::Candidate& c) {
    made = AttemptMade{};
    return c.provider == gateway::kLocalProvider ? attempt_local(*input, seed, *live, made)
                                                 : attempt_upstream(c, *input, seed, *live, made);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const gateway::RouteResult route = router_->run(input->model, prefs, attempt, &live->cancel);
  const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!route.status.is_ok()) {
    if (route.status.code() == StatusCode::kCancelled && live->requeue_on_cancel) {
      // Shutdown: back to queued in the store; the next start() (or, with a shared queue, any
      // node's worker) runs it again.
      rec.status = JobStatus::kQueued;
      rec.progress = 0;
      rec.started_at_ms = 0;
      (void)store_.update_job(rec);
      log_event(LogLevel::kInfo, "job.requeued", {{"job", id}});
      leave();
      return;
    }
    rec.output_json = json{{"routing", routing_json(route)}}.dump();
    return fail(route.status, route.error_code);
  }

  json media = json::array();
  int64_t pixels = 0;
  for (const auto& img : made.images) {
    store::MediaRecord m;
    m.id = store::new_id("media");
    m.job_id = id;
    m.key_id = rec.key_id;
    m.content_type = img.content_type;
    m.width = img.width;
    m.height = img.height;
    m.size_bytes = int64_t(img.bytes.size());
    m.created_at_ms = store::now_ms();
    if (options_.media_ttl_ms > 0) m.expires_at_ms = m.created_at_ms + options_.media_ttl_ms;
    Status st = store_.put_media(m, img.bytes);
    if (!st.is_ok()) return fail(st, "");
    media.push_back({{"id", m.id}, {"content_type", m.content_type}, {"width", m.width}, {"height", m.height}});
    pixels += int64_t(img.width) * img.height;
  }
  const int images = int(made.images.size());
  const double queue_s = double(rec.started_at_ms - rec.created_at_ms) / 1000.0;
  // Token counts in OpenAI's shape: the upstream's own when it reports them; else one input token
  // per prompt word, one image token per 32×32 tile of each input image, one output token per
  // 32×32 tile of each output image.
  json usage = {{"images", images}, {"pixels", pixels}, {"compute_seconds", made.compute_seconds}};
  if (made.upstream_usage.is_object()) {
    for (const char* k : {"input_tokens", "input_tokens_details", "output_tokens", "total_tokens"})
      if (made.upstream_usage.contains(k)) usage[k] = made.upstream_usage[k];
  } else {
    const int64_t text_tokens = count_words(input->prompt) + count_words(input->negative_prompt);
    const int64_t output_tokens = (pixels + 1023) / 1024;
    usage["input_tokens"] = text_tokens + made.input_image_tokens;
    usage["input_tokens_details"] = {{"text_tokens", text_tokens}, {"image_tokens", made.input_image_tokens}};
    usage["output_tokens"] = output_tokens;
    usage["total_tokens"] = text_tokens + made.input_image_tokens + output_tokens;
  }
  const double cost = made.price_per_image * images;
  const std::string size = made.images.empty()
                               ? input->size_string()
                               : std::to_string(made.images[0].width) + "x" + std::to_string(made.images[0].height);
  const std::string background =
      !made.background.empty() ? made.background : input->background == "auto" ? "opaque" : input->background;
  json out = {{"media", media},
              {"warnings", made.warnings},
              {"seed", made.seed},
              {"steps", made.steps},
              {"guidance", made.guidance},
              {"size", size},
              {"quality", input->quality},
              {"output_format", made.images.empty() ? input->output_format : format_of(made.images[0].content_type)},
              {"background", background},
              {"provider", route.provider},
              {"routing", routing_json(route)},
              {"usage", usage},
              {"cost",
               {{"usd", cost}, {"price_per_image", made.price_per_image}, {"currency", "usd"}, {"source", made.cost_source}}},
              {"metrics", {{"queue_s", queue_s}, {"run_s", run_s}}}};
  rec.output_json = out.dump();
  rec.status = JobStatus::kCompleted;
  rec.progress = 1.0;
  rec.completed_at_ms = store::now_ms();
  store::UsageRecord u;
  u.job_id = id;
  u.key_id = rec.key_id;
  u.model = input->model;
  u.quality = input->quality;
  u.images = images;
  u.pixels = pixels;
  u.compute_seconds = made.compute_seconds;
  u.cost_usd = cost;
  u.created_at_ms = rec.completed_at_ms;
  u.provider = route.provider;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    counters_.images += uint64_t(images);
    auto& lat = latencies_[input->model + "/" + input->quality];
    lat.push_back(made.compute_seconds / std::max(1, images));
    if (lat.size() > 200) lat.erase(lat.begin());
  }
  finish(rec, u);
  log_event(LogLevel::kInfo, "job.completed",
            {{"job", id}, {"model", input->model}, {"provider", route.provider}, {"images", images}, {"queue_s", queue_s},
             {"run_s", run_s}});
  leave();
}

}  // namespace pictor::jobs
