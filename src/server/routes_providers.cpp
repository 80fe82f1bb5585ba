// GET /v1/providers: the providers table — one row per (provider, model) with its price per image,
// measured latency p50/p95, error rate, availability, measured cost, circuit state, concurrency,
// and the model's input and output modalities. Prices come from the providers file (local: the
// price table); every other figure is measured by the router (docs/providers.md).
#include "server/catalog_view.h"

namespace pictor::server {

using nlohmann::json;

void register_provider_routes(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "GET", "/v1/providers", "/v1/providers", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) {
              const std::string model = req.has_param("model") ? req.get_param_value("model") : "";
              if (!model.empty() && !ctx.router->offers(model))
                return send_error(res, ApiError{404, "The model '" + model + "' does not exist or is not served here",
                                                "invalid_request_error", "model", "model_not_found"});
              std::map<std::string, gateway::CatalogEntry> entries;
              json data = json::array();
              for (const auto& row : ctx.router->rows(model)) {
                auto it = entries.find(row.model);
                if (it == entries.end()) it = entries.emplace(row.model, catalog_entry(ctx, row.model)).first;
                json j = provider_row_json(row, it->second);
                j["object"] = "provider";
                data.push_back(std::move(j));
              }
              send_json(res, 200, {{"object", "list"}, {"data", data}});
            });
}

}  // namespace pictor::server
