// The catalog as the routes render it: which models the server offers, each one's catalog entry
// (local models from their files, upstream ones from the providers file), its providers with
// their measured figures, and the same figures as Prometheus lines.
#include <mutex>

#include "engine/weights/safetensors.h"
#include "server/catalog_view.h"

namespace pictor::server {

using nlohmann::json;

namespace {

// String metadata of a local model's weights file (model card keys), read once per path.
std::map<std::string, std::string> weights_metadata(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::map<std::string, std::string>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(path);
  if (it != cache.end()) return it->second;
  std::map<std::string, std::string> meta;
  if (path.size() > 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0) {
    auto f = weights::SafetensorsFile::open(path);
    if (f.is_ok()) meta = (*f)->metadata();
  }
  cache[path] = meta;
  return meta;
}

json latency_json(const gateway::StatsSnapshot& s) {
  return {{"p50", s.p50_s < 0 ? json(nullptr) : json(s.p50_s)}, {"p95", s.p95_s < 0 ? json(nullptr) : json(s.p95_s)}};
}

std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

}  // namespace

std::vector<std::string> offered_models(ServerContext& ctx) {
  std::vector<std::string> out = ctx.jobs->engines().models();
  for (const auto& m : ctx.router->upstream_models())
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  return out;
}

gateway::CatalogEntry catalog_entry(ServerContext& ctx, const std::string& id) {
  gateway::CatalogEntry e;
  if (ctx.jobs->engines().offers(id)) {
    const engine::ModelInfo* info = ctx.jobs->engines().info(id);
    e = info ? gateway::local_catalog_entry(id, info->family, info->native_width, info->native_height, info->supports_edits,
                                            weights_metadata(info->path))
             : gateway::local_catalog_entry(id, "", 0, 0, false, {});
  } else {
    e = gateway::upstream_catalog_entry(id);
  }
  auto it = ctx.catalog_overrides.find(id);
  if (it != ctx.catalog_overrides.end()) (void)e.apply(it->second, "catalog." + id);  // validated at start
  return e;
}

json provider_row_json(const gateway::Router::Row& r, const gateway::CatalogEntry& entry) {
  const auto& s = r.stats;
  return {{"provider", r.provider},
          {"kind", gateway::provider_kind_name(r.kind)},
          {"model", r.model},
          {"upstream_model", r.upstream_model},
          {"price_per_image", r.prices},
          {"latency_s", latency_json(s)},
          {"error_rate", s.error_rate},
          {"availability", s.availability < 0 ? json(nullptr) : json(s.availability)},
          {"measured_cost_per_image", s.cost_per_image < 0 ? json(nullptr) : json(s.cost_per_image)},
          {"window", s.window},
          {"requests", s.requests_total},
          {"attempts", s.attempts_total},
          {"failed_attempts", s.failures_total},
          {"images", s.images_total},
          {"circuit", r.circuit},
          {"in_flight", r.in_flight},
          {"max_concurrency", r.max_concurrency},
          {"input", entry.input_modalities},
          {"output", entry.output_modalities}};
}

std::string provider_metrics(ServerContext& ctx) {
  std::string t;
  t += "# HELP pictor_provider_requests_total Requests routed to a provider, by outcome after its retries.\n"
       "# TYPE pictor_provider_requests_total counter\n";
  auto rows = ctx.router->rows();
  for (const auto& r : rows) {
    const std::string l = "provider=\"" + label(r.provider) + "\",model=\"" + label(r.model) + "\"";
    t += "pictor_provider_requests_total{" + l + ",outcome=\"served\"} " + std::to_string(r.stats.served_total) + "\n";
    t += "pictor_provider_requests_total{" + l + ",outcome=\"failed\"} " +
         std::to_string(r.stats.requests_total - r.stats.served_total) + "\n";
  }
  t += "# HELP pictor_provider_attempts_total Attempts (first tries and retries) on a provider, by outcome.\n"
       "# TYPE pictor_provider_attempts_total counter\n";
  for (const auto& r : rows) {
    const std::string l = "provider=\"" + label(r.provider) + "\",model=\"" + label(r.model) + "\"";
    t += "pictor_provider_attempts_total{" + l + ",outcome=\"ok\"} " +
         std::to_string(r.stats.attempts_total - r.stats.failures_total) + "\n";
    t += "pictor_provider_attempts_total{" + l + ",outcome=\"error\"} " + std::to_string(r.stats.failures_total) + "\n";
  }
  t += "# HELP pictor_provider_latency_seconds Request latency over the rolling window (successful requests).\n"
       "# TYPE pictor_provider_latency_seconds gauge\n";
  for (const auto& r : rows) {
    if (r.stats.p50_s < 0) continue;
    const std::string l = "provider=\"" + label(r.provider) + "\",model=\"" + label(r.model) + "\"";
    t += "pictor_provider_latency_seconds{" + l + ",quantile=\"0.5\"} " + std::to_string(r.stats.p50_s) + "\n";
    t += "pictor_provider_latency_seconds{" + l + ",quantile=\"0.95\"} " + std::to_string(r.stats.p95_s) + "\n";
  }
  t += "# HELP pictor_provider_error_rate Failed attempts / attempts over the rolling window.\n"
       "# TYPE pictor_provider_error_rate gauge\n";
  for (const auto& r : rows)
    t += "pictor_provider_error_rate{provider=\"" + label(r.provider) + "\",model=\"" + label(r.model) + "\"} " +
         std::to_string(r.stats.error_rate) + "\n";
  t += "# HELP pictor_provider_cost_per_image_usd Measured cost per image over the rolling window.\n"
       "# TYPE pictor_provider_cost_per_image_usd gauge\n";
  for (const auto& r : rows)
    if (r.stats.cost_per_image >= 0)
      t += "pictor_provider_cost_per_image_usd{provider=\"" + label(r.provider) + "\",model=\"" + label(r.model) + "\"} " +
           std::to_string(r.stats.cost_per_image) + "\n";
  t += "# HELP pictor_provider_circuit_open 1 while a provider's circuit breaker is open or half-open.\n"
       "# TYPE pictor_provider_circuit_open gauge\n";
  std::set<std::string> seen;
  for (const auto& r : rows)
    if (seen.insert(r.provider).second)
      t += "pictor_provider_circuit_open{provider=\"" + label(r.provider) + "\"} " + (r.circuit == "closed" ? "0" : "1") + "\n";
  return t;
}

}  // namespace pictor::server
