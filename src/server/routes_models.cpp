// GET /v1/models[/{id}] (the catalog: who made each model, licence, modalities, capabilities,
// price per image, measured latency, and on /{id} its providers with their figures) and
// GET /v1/usage (images, pixels, compute seconds and cost by key, model and time bucket).
#include "server/catalog_view.h"

namespace pictor::server {

using nlohmann::json;

json model_json(ServerContext& ctx, const std::string& name, bool full) {
  const gateway::CatalogEntry entry = catalog_entry(ctx, name);
  const engine::ModelInfo* info = ctx.jobs->engines().info(name);
  const bool local = ctx.jobs->engines().offers(name);
  auto rows = ctx.router->rows(name);
  // Pricing: the cheapest provider's price per quality (what price routing would charge).
  json pricing = json::object(), latency = json::object();
  for (const char* q : {"low", "medium", "high"}) {
    double best = -1;
    gateway::RoutePrefs prefs;
    prefs.quality = q;
    auto plan = ctx.router->plan(name, prefs);
    if (plan.is_ok())
      for (const auto& c : *plan)
        if (c.price >= 0 && (best < 0 || c.price < best)) best = c.price;
    pricing[q] = best < 0 ? json(nullptr) : json(best);
    const double s = ctx.jobs->median_seconds_per_image(name, q);
    latency[q] = s < 0 ? json(nullptr) : json(s);
  }
  json m = {{"id", name},
            {"object", "model"},
            {"created", ctx.started_at_ms / 1000},
            {"owned_by", entry.organization.empty() ? (local ? "pictor" : "upstream") : entry.organization},
            {"loaded", info != nullptr},
            {"routing", entry.routing.empty() ? ctx.router->routing_for(name) : entry.routing},
            {"pricing", {{"currency", "usd"}, {"per_image", pricing}}},
            {"latency", {{"median_seconds_per_image", latency}}}};
  m.update(entry.to_json());
  json caps = m["capabilities"];
  caps["inpainting"] = entry.capabilities.mask;
  caps["image_to_image"] = entry.capabilities.edits;
  m["capabilities"] = caps;
  if (info) {
    m["family"] = info->family;
    m["compute"] = info->compute;
    m["native_size"] = std::to_string(info->native_width) + "x" + std::to_string(info->native_height);
  }
  json providers = json::array();
  for (const auto& r : rows) providers.push_back(full ? provider_row_json(r, entry) : json(r.provider));
  m["providers"] = providers;
  return m;
}

namespace {

bool parse_int64_param(const httplib::Request& req, const char* name, int64_t& out, ApiError& err) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  const bool digits = !v.empty() && v.size() < 16 && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); });
  if (!digits) {
    err = bad_request(std::string("'") + name + "' must be a Unix time in seconds", name, "invalid_value");
    return false;
  }
  out = std::stoll(v);
  return true;
}

}  // namespace

void register_model_routes(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "GET", "/v1/models", "/v1/models", true,
            [&ctx](const httplib::Request&, httplib::Response& res, const Caller&) {
              json data = json::array();
              for (const auto& m : offered_models(ctx)) data.push_back(model_json(ctx, m, false));
              send_json(res, 200, {{"object", "list"}, {"data", data}});
            });
  add_route(svr, ctx, "GET", R"(/v1/models/([^/]+))", "/v1/models/{id}", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) {
              const std::string id = req.matches[1];
              if (!ctx.router->offers(id))
                return send_error(res, ApiError{404, "The model '" + id + "' does not exist or is not served here",
                                                "invalid_request_error", "model", "model_not_found"});
              send_json(res, 200, model_json(ctx, id, true));
            });
}

void register_usage_routes(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "GET", "/v1/usage", "/v1/usage", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              ApiError err;
              int64_t start = 0, end = 0;
              if (!parse_int64_param(req, "start_time", start, err) || !parse_int64_param(req, "end_time", end, err))
                return send_error(res, err);
              store::UsageQuery q;
              q.start_ms = start * 1000;
              q.end_ms = end * 1000;
              const std::string bucket = req.has_param("bucket_width") ? req.get_param_value("bucket_width") : "1d";
              if (bucket == "1m") q.bucket_ms = 60'000;
              else if (bucket == "1h") q.bucket_ms = 3'600'000;
              else if (bucket == "1d") q.bucket_ms = 86'400'000;
              else return send_error(res, bad_request("'bucket_width' must be 1m, 1h or 1d", "bucket_width", "invalid_value"));
              if (req.has_param("model")) q.model = req.get_param_value("model");
              if (!ctx.auth->no_auth()) q.key_id = caller.key_id;  // a key sees its own usage
              auto rows = ctx.store->usage(q);
              if (!rows.is_ok()) return send_error(res, error_from_status(rows.status()));
              json data = json::array();
              json total = {{"requests", 0}, {"images", 0}, {"pixels", 0}, {"compute_seconds", 0.0}, {"cost_usd", 0.0}};
              for (const auto& b : *rows) {
                data.push_back({{"object", "usage.bucket"},
                                {"start_time", b.start_ms / 1000},
                                {"end_time", (b.start_ms + q.bucket_ms) / 1000},
                                {"key_id", b.key_id},
                                {"model", b.model},
                                {"provider", b.provider.empty() ? json(nullptr) : json(b.provider)},
                                {"requests", b.requests},
                                {"images", b.images},
                                {"pixels", b.pixels},
                                {"compute_seconds", b.compute_seconds},
                                {"cost_usd", b.cost_usd}});
                total["requests"] = total["requests"].get<int64_t>() + b.requests;
                total["images"] = total["images"].get<int64_t>() + b.images;
                total["pixels"] = total["pixels"].get<int64_t>() + b.pixels;
                total["compute_seconds"] = total["compute_seconds"].get<double>() + b.compute_seconds;
                total["cost_usd"] = total["cost_usd"].get<double>() + b.cost_usd;
              }
              send_json(res, 200, {{"object", "list"}, {"bucket_width", bucket}, {"data", data}, {"total", total}});
            });
}

}  // namespace pictor::server
