#include "gateway/router.h"

#include "gateway/backoff.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "core/log.h"

namespace pictor::gateway {

using nlohmann::json;

json AttemptRecord::to_json() const {
  json j = {{"provider", provider}, {"attempt", attempt}, {"outcome", outcome}, {"seconds", seconds}};
  if (http_status) j["http_status"] = http_status;
  if (!error.empty()) j["error"] = error;
  return j;
}

Router::Router(ProvidersFile file, LocalProvider local) : file_(std::move(file)), local_(std::move(local)) {
  auto& l = states_[kLocalProvider];
  l.breaker = std::make_unique<CircuitBreaker>(file_.circuit);
  l.max_concurrency = std::max(1, local_.max_concurrency);
  for (const auto& p : file_.providers) {
    auto& s = states_[p.name];
    s.breaker = std::make_unique<CircuitBreaker>(file_.circuit);
    s.max_concurrency = p.max_concurrency;
  }
}

std::vector<std::string> Router::upstream_models() const {
  std::vector<std::string> out;
  for (const auto& p : file_.providers)
    for (const auto& [id, _] : p.models)
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  return out;
}

bool Router::has_upstream(const std::string& model) const {
  for (const auto& p : file_.providers)
    if (p.models.count(model)) return true;
  return false;
}

bool Router::offers(const std::string& model) const {
  return has_upstream(model) || (local_.offers && local_.offers(model));
}

std::string Router::routing_for(const std::string& model) const {
  auto it = file_.catalog.find(model);
  if (it != file_.catalog.end() && it->second.contains("routing") && it->second["routing"].is_string())
    return it->second["routing"];
  return file_.routing;
}

Router::ProviderState& Router::state(const std::string& provider) { return states_[provider]; }

CircuitBreaker& Router::breaker(const std::string& provider) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& s = state(provider);
  if (!s.breaker) s.breaker = std::make_unique<CircuitBreaker>(file_.circuit);
  return *s.breaker;
}

ProviderStats& Router::stats(const std::string& provider, const std::string& model) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = state(provider).stats[model];
  if (!slot) slot = std::make_unique<ProviderStats>();
  return *slot;
}

Result<std::vector<Candidate>> Router::plan(const std::string& model, const RoutePrefs& prefs) const {
  std::vector<Candidate> out;
  auto p50 = [&](const std::string& provider) {
    auto* self = const_cast<Router*>(this);
    return self->stats(provider, model).snapshot().p50_s;
  };
  if (local_.offers && local_.offers(model)) {
    Candidate c;
    c.provider = kLocalProvider;
    c.upstream_model = model;
    c.price = local_.price ? local_.price(model, prefs.quality) : -1;
    c.p50_s = p50(kLocalProvider);
    out.push_back(c);
  }
  for (const auto& p : file_.providers) {
    auto it = p.models.find(model);
    if (it == p.models.end()) continue;
    Candidate c;
    c.provider = p.name;
    c.kind = p.kind;
    c.config = &p;
    c.upstream_model = it->second;
    c.price = p.prices.price(prefs.quality, prefs.size);
    c.p50_s = p50(p.name);
    c.priority = p.priority;
    out.push_back(c);
  }
  if (!prefs.provider.empty()) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Candidate& c) { return c.provider == prefs.provider; });
    if (it == out.end()) return invalid_argument("provider '" + prefs.provider + "' does not offer the model '" + model + "'");
    return std::vector<Candidate>{*it};
  }
  const std::string routing = prefs.routing.empty() ? routing_for(model) : prefs.routing;
  auto price_key = [](const Candidate& c) { return c.price < 0 ? 1e18 : c.price; };
  auto latency_key = [](const Candidate& c) { return c.p50_s < 0 ? 0.0 : c.p50_s; };  // unmeasured: try it
  std::stable_sort(out.begin(), out.end(), [&](const Candidate& a, const Candidate& b) {
    if (routing == "latency") {
      if (latency_key(a) != latency_key(b)) return latency_key(a) < latency_key(b);
    } else if (price_key(a) != price_key(b)) {
      return price_key(a) < price_key(b);
    }
    return a.priority < b.priority;
  });
  return out;
}

bool Router::try_acquire(const std::string& provider) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& s = state(provider);
  if (s.in_flight >= s.max_concurrency) return false;
  ++s.in_flight;
  return true;
}

bool Router::acquire_wait(const std::string& provider, const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto& s = state(provider);
  while (s.in_flight >= s.max_concurrency) {
    if (cancel && cancel->load()) return false;
    slot_freed_.wait_for(lock, std::chrono::milliseconds(50));
  }
  ++s.in_flight;
  return true;
}

void Router::release(const std::string& provider) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --state(provider).in_flight;
  }
  slot_freed_.notify_all();
}

namespace {

// Sleeps up to `ms`, waking early when the job is cancelled; false when cancelled.
bool sleep_unless_cancelled(int64_t ms, const std::atomic<bool>* cancel) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (cancel && cancel->load()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(until - std::chrono::steady_clock::now(),
                                                                   std::chrono::milliseconds(20)));
  }
  return !(cancel && cancel->load());
}

int64_t backoff_ms(const RetryPolicy& p, int retry, double retry_after_s) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const double jittered = backoff_delay(p.base_delay_ms, retry, p.max_delay_ms, 0.5,
                                        std::uniform_real_distribution<double>(0, 1)(rng));
  return int64_t(std::max(jittered, retry_after_s > 0 ? retry_after_s * 1000 : 0.0));
}

}  // namespace

RouteResult Router::run(const std::string& model, const RoutePrefs& prefs, const Attempt& attempt,
                        const std::atomic<bool>* cancel) {
  RouteResult result;
  auto planned = plan(model, prefs);
  if (!planned.is_ok()) {
    result.status = planned.status();
    result.error_code = "invalid_provider";
    return result;
  }
  std::vector<Candidate> remaining = std::move(*planned);
  Status last = unavailable("no provider offers the model '" + model + "'");
  bool any_tried = false;
  while (!remaining.empty()) {
    if (cancel && cancel->load()) break;
    // Providers whose circuit is open sit this request out.
    for (size_t i = 0; i < remaining.size();) {
      if (breaker(remaining[i].provider).would_allow()) {
        ++i;
        continue;
      }
      result.attempts.push_back({remaining[i].provider, 0, "circuit_open", 0, 0, "circuit breaker open"});
      remaining.erase(remaining.begin() + long(i));
    }
    if (remaining.empty()) break;
    // The first with a free slot (spill-over), else wait for the first one's slot.
    size_t pick = 0;
    bool have_slot = false;
    for (size_t i = 0; i < remaining.size() && !have_slot; ++i)
      if (try_acquire(remaining[i].provider)) {
        pick = i;
        have_slot = true;
      }
    if (!have_slot && !acquire_wait(remaining[pick].provider, cancel)) break;
    if (!breaker(remaining[pick].provider).allow()) {  // another request took the half-open trial
      release(remaining[pick].provider);
      result.attempts.push_back({remaining[pick].provider, 0, "circuit_open", 0, 0, "circuit breaker open"});
      remaining.erase(remaining.begin() + long(pick));
      continue;
    }
    const Candidate cand = remaining[pick];
    remaining.erase(remaining.begin() + long(pick));
    any_tried = true;
    auto& st = stats(cand.provider, model);
    bool served = false, stop = false;
    for (int n = 1; n <= std::max(1, file_.retry.max_attempts); ++n) {
      AttemptOutcome o = attempt(cand);
      AttemptRecord rec{cand.provider, n, o.status.is_ok() ? "ok" : "error", o.failure.http_status, o.seconds,
                        o.status.is_ok() ? "" : o.status.message()};
      result.attempts.push_back(rec);
      if (o.status.is_ok()) {
        st.record_attempt(true, o.seconds, o.images, o.cost_usd);
        breaker(cand.provider).on_success();
        served = true;
        break;
      }
      last = o.status;
      if (o.status.code() == StatusCode::kCancelled) {
        breaker(cand.provider).abandon();
        stop = true;
        break;
      }
      st.record_attempt(false, o.seconds, 0, 0);
      // Request errors (the upstream's 400) are not the provider's fault: they neither trip the
      // breaker nor move on.
      if (!o.failure.failover) {
        breaker(cand.provider).on_success();
        stop = true;
        result.error_code = "";
        break;
      }
      breaker(cand.provider).on_failure();
      log_event(LogLevel::kWarn, "provider.attempt_failed",
                {{"provider", cand.provider}, {"model", model}, {"attempt", n}, {"http_status", o.failure.http_status},
                 {"error", o.status.message()}});
      if (o.failure.produced_image) {
        stop = true;  // never run a request twice once an image exists
        result.error_code = "upstream_error";
        break;
      }
      if (!o.failure.retryable || n == file_.retry.max_attempts) break;
      if (o.failure.retry_after_s > file_.retry.max_retry_after_s) break;  // too long: next provider now
      if (!breaker(cand.provider).allow()) break;
      if (!sleep_unless_cancelled(backoff_ms(file_.retry, n, o.failure.retry_after_s), cancel)) {
        breaker(cand.provider).abandon();
        last = cancelled("canceled by request");
        stop = true;
        break;
      }
    }
    release(cand.provider);
    st.record_request(served);
    if (served) {
      result.status = Status::ok();
      result.provider = cand.provider;
      return result;
    }
    result.provider = cand.provider;
    if (stop) break;
    if (result.error_code.empty()) result.error_code = "upstream_error";
  }
  if (cancel && cancel->load()) {
    result.status = cancelled("canceled by request");
    result.error_code = "canceled";
    return result;
  }
  if (!any_tried) {
    result.status = unavailable("every provider of '" + model + "' is unavailable (circuit breakers open); retry later");
    result.error_code = "providers_unavailable";
    return result;
  }
  result.status = last;
  if (last.code() == StatusCode::kUnavailable && result.error_code.empty()) result.error_code = "upstream_error";
  return result;
}

std::vector<Router::Row> Router::rows(const std::string& model_filter) {
  std::vector<Row> out;
  auto add = [&](const std::string& provider, ProviderKind kind, const std::string& model, const std::string& upstream,
                 json prices, int max_conc) {
    if (!model_filter.empty() && model != model_filter) return;
    Row r;
    r.provider = provider;
    r.kind = kind;
    r.model = model;
    r.upstream_model = upstream;
    r.prices = std::move(prices);
    r.stats = stats(provider, model).snapshot();
    r.circuit = breaker(provider).state();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      r.in_flight = state(provider).in_flight;
    }
    r.max_concurrency = max_conc;
    out.push_back(std::move(r));
  };
  for (const auto& m : local_.models) {
    json prices = json::object();
    if (local_.price)
      for (const char* q : {"low", "medium", "high"}) prices[q] = local_.price(m, q);
    add(kLocalProvider, ProviderKind::kLocal, m, m, prices, std::max(1, local_.max_concurrency));
  }
  for (const auto& p : file_.providers)
    for (const auto& [id, upstream] : p.models) add(p.name, p.kind, id, upstream, p.prices.to_json(), p.max_concurrency);
  return out;
}

}  // namespace pictor::gateway
