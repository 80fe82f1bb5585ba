#pragma once
// What every route file shares: the server's parts, the route wrapper (request id, auth, rate
// limit, metrics, exception guard) and JSON renderings of jobs and images.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <string>

#include "gateway/catalog.h"
#include "gateway/router.h"
#include "jobs/job_manager.h"
#include "server/api_error.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/request_parse.h"
#include "server/server.h"

namespace pictor::arena {
class ArenaService;
}

namespace pictor::server {

struct ServerContext {
  ServerOptions options;
  arena::ArenaService* arena = nullptr;
  store::Store* store = nullptr;
  jobs::JobManager* jobs = nullptr;
  gateway::Router* router = nullptr;
  // Catalog fields from the providers file (validated at start), by model id.
  std::map<std::string, nlohmann::json> catalog_overrides;
  Authenticator* auth = nullptr;
  Metrics metrics;
  ParseLimits limits;
  std::atomic<bool> ready{false};
  int64_t started_at_ms = 0;
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Caller&)>;

// Wraps `handler` with the request id, auth, rate limit, metrics and exception guard.
httplib::Server::Handler wrap_handler(ServerContext& ctx, const std::string& method, const std::string& route,
                                      bool authenticated, Handler handler);
// Registers `handler` for METHOD + regex `pattern`; `route` is the label for metrics and logs.
// Authenticated routes answer 401/403/429 before the handler runs. Handlers never throw: an
// escaped exception becomes a 500 envelope.
void add_route(httplib::Server& svr, ServerContext& ctx, const std::string& method, const std::string& pattern,
               const std::string& route, bool authenticated, Handler handler);

// The request id of the request being handled on this thread.
const std::string& current_request_id();
void begin_request(const httplib::Request& req);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// "http://host:port" as the client addressed us (Host header), for media URLs; a Host that is
// not a plain host[:port] gives the address the request came in on.
std::string base_url(const httplib::Request& req);

// ctx.limits for one request: media URLs resolve to the caller's own media, on our own origin.
ParseLimits request_limits(ServerContext& ctx, const httplib::Request& req, const Caller& caller);

// Stores the uploads as media and submits the job.
Result<jobs::JobView> submit_request(ServerContext& ctx, ParsedImageRequest& parsed, const Caller& caller,
                                     const std::string& idempotency_key, const std::string& request_hash);
// Jobs owned by another key are "not found" (never leak existence).
Result<jobs::JobView> get_owned_job(ServerContext& ctx, const std::string& id, const Caller& caller);
// Whether `caller` may see a job or media owned by `owner_key_id` through the jobs and media routes.
bool can_see_owner(const ServerContext& ctx, const std::string& owner_key_id, const Caller& caller);

// The gateway's job object.
nlohmann::json job_json(const jobs::JobView& view, const std::string& base_url);
// HTTP error for a failed job (OpenAI endpoints answer the job's error synchronously).
ApiError job_error(const store::JobRecord& rec);

void register_image_routes(httplib::Server& svr, ServerContext& ctx);
void register_generation_routes(httplib::Server& svr, ServerContext& ctx);
void register_media_routes(httplib::Server& svr, ServerContext& ctx);
void register_model_routes(httplib::Server& svr, ServerContext& ctx);
void register_usage_routes(httplib::Server& svr, ServerContext& ctx);
void register_ops_routes(httplib::Server& svr, ServerContext& ctx);
void register_arena_routes(httplib::Server& svr, ServerContext& ctx);
void register_provider_routes(httplib::Server& svr, ServerContext& ctx);
void register_key_routes(httplib::Server& svr, ServerContext& ctx);

// Every model id the server offers: local engines first (their order), then upstream-only ones.
std::vector<std::string> offered_models(ServerContext& ctx);
// The catalog entry of an offered model (local: from its files; upstream: from the providers file).
gateway::CatalogEntry catalog_entry(ServerContext& ctx, const std::string& id);
// Prometheus lines for the providers' measured figures.
std::string provider_metrics(ServerContext& ctx);

}  // namespace pictor::server
