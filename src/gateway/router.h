#pragma once
// Router: which provider runs a request, and what happens when it fails. Candidates for a model
// are ordered by price (default) or measured latency, ties by priority; a request may name one
// `provider`. Each candidate gets up to retry.max_attempts tries with jittered exponential
// backoff (honouring Retry-After) on retryable failures, then the next candidate takes over —
// unless an image had already been produced. Circuit breakers skip failing providers; per-provider
// concurrency limits spill requests over to the next candidate with a free slot.
// The router runs nothing itself: the jobs layer passes the attempt (a local engine run or an
// upstream call), so local engines and upstreams share one policy and one set of figures.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "gateway/circuit_breaker.h"
#include "gateway/provider_config.h"
#include "gateway/provider_stats.h"
#include "gateway/upstream_client.h"

namespace pictor::gateway {

inline constexpr const char* kLocalProvider = "local";

// What the router knows about pictor's own engines.
struct LocalProvider {
  std::function<bool(const std::string& model)> offers;
  std::function<double(const std::string& model, const std::string& quality)> price;
  std::vector<std::string> models;  // in the server's order
  int max_concurrency = 1;          // the job workers
};

struct Candidate {
  std::string provider;              // "local" or a providers-file name
  ProviderKind kind = ProviderKind::kLocal;
  const ProviderConfig* config = nullptr;  // null for local
  std::string upstream_model;        // the name the provider knows the model by
  double price = -1;                 // $ per image for this request; -1 = unknown
  double p50_s = -1;
  int priority = 100;
};

struct RoutePrefs {
  std::string quality = "medium";
  std::string size = "auto";
  std::string routing;               // "" = the model's (catalog) or the file's default
  std::string provider;              // "" = any
};

// One attempt's outcome, reported by the caller's attempt function.
struct AttemptOutcome {
  Status status;
  UpstreamFailure failure;           // for failures: retry / failover hints
  double seconds = 0;
  int images = 0;
  double cost_usd = 0;
};

struct AttemptRecord {
  std::string provider;
  int attempt = 0;                   // 1-based, per provider
  std::string outcome;               // ok | error | circuit_open
  int http_status = 0;
  double seconds = 0;
  std::string error;
  nlohmann::json to_json() const;
};

struct RouteResult {
  Status status;                     // ok, or the final error
  std::string error_code;            // upstream_error | providers_unavailable | the attempt's own
  std::string provider;              // who served it (ok) or failed last
  std::vector<AttemptRecord> attempts;
};

class Router {
 public:
  Router(ProvidersFile file, LocalProvider local);

  // Model ids offered by upstream providers (local ones not included), in file order.
  std::vector<std::string> upstream_models() const;
  bool offers(const std::string& model) const;
  bool has_upstream(const std::string& model) const;
  const ProvidersFile& file() const { return file_; }
  // The routing rule for a model: the catalog's `routing`, else the file's.
  std::string routing_for(const std::string& model) const;
  // Candidates in the order they would be tried; invalid_argument for an unknown `provider`.
  Result<std::vector<Candidate>> plan(const std::string& model, const RoutePrefs& prefs) const;

  using Attempt = std::function<AttemptOutcome(const Candidate&)>;
  RouteResult run(const std::string& model, const RoutePrefs& prefs, const Attempt& attempt, const std::atomic<bool>* cancel);

  // Figures per (provider, model) and per provider, for /v1/providers, /v1/models and /metrics.
  struct Row {
    std::string provider, model, upstream_model;
    ProviderKind kind = ProviderKind::kLocal;
    nlohmann::json prices;           // quality (and size) → $ per image
    StatsSnapshot stats;
    std::string circuit;             // closed | open | half_open
    int in_flight = 0, max_concurrency = 0;
  };
  std::vector<Row> rows(const std::string& model_filter = "");

 private:
  struct ProviderState {
    std::unique_ptr<CircuitBreaker> breaker;
    int in_flight = 0;
    int max_concurrency = 1;
    std::map<std::string, std::unique_ptr<ProviderStats>> stats;  // by model
  };
  ProviderState& state(const std::string& provider);
  ProviderStats& stats(const std::string& provider, const std::string& model);
  CircuitBreaker& breaker(const std::string& provider);
  bool try_acquire(const std::string& provider);
  bool acquire_wait(const std::string& provider, const std::atomic<bool>* cancel);
  void release(const std::string& provider);

  ProvidersFile file_;
  LocalProvider local_;
  std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::map<std::string, ProviderState> states_;
};

}  // namespace pictor::gateway
