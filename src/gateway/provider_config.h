#pragma once
// The providers file (`pictor serve --providers FILE`, docs/providers.md): the upstream APIs that
// offer models beside pictor's own engines, their prices, limits and the router's settings.
// API keys are read from the environment variables the file names; the file never holds one, and
// nothing here renders a key (ProviderConfig::api_key stays out of every JSON and log line).
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::gateway {

enum class ProviderKind { kLocal, kOpenAI, kOpenAICompatible, kPictor };
const char* provider_kind_name(ProviderKind kind);

// $ per image by quality, optionally per size ({"1024x1024": {"low": …}}); size rows win.
struct PriceSchedule {
  std::map<std::string, double> by_quality;
  std::map<std::string, std::map<std::string, double>> by_size;
  // -1 when the schedule names no price for this quality (auto counts as medium).
  double price(const std::string& quality, const std::string& size) const;
  nlohmann::json to_json() const;
};

struct ProviderConfig {
  std::string name;
  ProviderKind kind = ProviderKind::kOpenAICompatible;
  std::string base_url;                        // "https://api.openai.com/v1"
  std::string api_key_env;                     // "" = send no key
  std::string api_key;                         // read from api_key_env; never rendered
  std::map<std::string, std::string> models;   // id pictor offers → the upstream's model name
  PriceSchedule prices;
  int priority = 100;                          // lower first among equals
  double timeout_s = 120;
  int max_concurrency = 4;
};

struct RetryPolicy {
  int max_attempts = 3;             // per provider, first try included
  int base_delay_ms = 200;          // backoff base, doubled per retry, jittered ±50 %
  int max_delay_ms = 5000;
  double max_retry_after_s = 30;    // a longer Retry-After moves on to the next provider at once
};

struct CircuitPolicy {
  int failure_threshold = 5;        // consecutive failed attempts that open the circuit
  double cooldown_s = 30;           // then one trial request (half-open)
};

struct ProvidersFile {
  std::vector<ProviderConfig> providers;
  std::string routing = "price";                     // price | latency
  std::map<std::string, nlohmann::json> catalog;     // model id → catalog fields (catalog.h)
  RetryPolicy retry;
  CircuitPolicy circuit;
};

using EnvLookup = std::function<const char*(const char*)>;
// Parses and validates the file; every error names the offending key ("providers[1].prices.low").
Result<ProvidersFile> parse_providers(const std::string& text, const EnvLookup& env);
Result<ProvidersFile> load_providers_file(const std::string& path, const EnvLookup& env);

}  // namespace pictor::gateway
