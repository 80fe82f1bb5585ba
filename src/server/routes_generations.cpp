// The gateway's async jobs: POST /v1/generations (with wait / Prefer: wait=N and
// Idempotency-Key), GET /v1/generations/{id}?wait=N (long-poll), GET /v1/generations (list),
// POST /v1/generations/{id}/cancel, GET /v1/generations/{id}/events (SSE progress).
#include <memory>

#include "arena/arena_service.h"
#include "server/context.h"

namespace pictor::server {

using nlohmann::json;

namespace {

// Answers with the job: 200 when finished, 202 while queued or running.
void send_job(httplib::Response& res, const httplib::Request& req, const jobs::JobView& view) {
  send_json(res, store::is_terminal(view.record.status) ? 200 : 202, job_json(view, base_url(req)));
}

bool query_wait(const httplib::Request& req, int& seconds, ApiError& err) {
  seconds = 0;
  if (!req.has_param("wait")) return true;
  const std::string v = req.get_param_value("wait");
  json jv = v;
  if (!v.empty() && v.size() < 6 && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); }))
    jv = std::stoi(v);
  return parse_wait_value(jv, seconds, err, "wait");
}

void create(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  json body;
  ApiError err;
  GatewayRequest g;
  if (!parse_json_body(req, body, err) || !parse_gateway_json(body, req.get_header_value("Prefer"), request_limits(ctx, req, caller), g, err))
    return send_error(res, err);
  auto view = submit_request(ctx, g.parsed, caller, req.get_header_value("Idempotency-Key"), jobs::request_hash(req.body));
  if (!view.is_ok()) return send_error(res, error_from_status(view.status()));
  if (g.wait_seconds && *g.wait_seconds > 0 && !store::is_terminal(view->record.status)) {
    auto waited = ctx.jobs->wait(view->record.id, std::chrono::seconds(*g.wait_seconds));
    if (waited.is_ok()) return send_job(res, req, *waited);
  }
  send_job(res, req, *view);
}

void get_one(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  ApiError err;
  int wait = 0;
  if (!query_wait(req, wait, err)) return send_error(res, err);
  const std::string id = req.matches[1];
  auto view = get_owned_job(ctx, id, caller);
  if (!view.is_ok()) return send_error(res, error_from_status(view.status()));
  if (wait > 0 && !store::is_terminal(view->record.status)) {
    view = ctx.jobs->wait(id, std::chrono::seconds(wait));
    if (!view.is_ok()) return send_error(res, error_from_status(view.status()));
  }
  send_job(res, req, *view);
}

void list(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  store::JobQuery q;
  if (!ctx.auth->no_auth()) q.key_id = caller.key_id;
  else q.exclude_key_id = arena::kArenaOwner;  // see can_see_owner
  if (req.has_param("limit")) {
    const std::string v = req.get_param_value("limit");
    const bool digits = !v.empty() && v.size() < 5 && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); });
    if (!digits || std::stoi(v) < 1 || std::stoi(v) > 100)
      return send_error(res, bad_request("'limit' must be an integer from 1 to 100", "limit", "invalid_value"));
    q.limit = std::stoi(v);
  }
  if (req.has_param("status")) {
    auto s = store::parse_job_status(req.get_param_value("status"));
    if (!s) return send_error(res, bad_request("'status' must be one of queued, running, completed, failed, canceled", "status", "invalid_value"));
    q.status = *s;
  }
  q.before_id = req.get_param_value("after");  // OpenAI-style cursor: the last id of the previous page
  const int want = q.limit;
  q.limit = want + 1;  // one more tells whether there is a next page
  auto jobs = ctx.store->list_jobs(q);
  if (!jobs.is_ok()) return send_error(res, error_from_status(jobs.status(), "after"));
  const bool has_more = int(jobs->size()) > want;
  if (has_more) jobs->resize(want);
  json data = json::array();
  const std::string base = base_url(req);
  for (auto& rec : *jobs) {
    auto view = ctx.jobs->get(rec.id);  // merges live progress and queue position
    if (view.is_ok()) data.push_back(job_json(*view, base));
  }
  send_json(res, 200, {{"object", "list"},
                       {"data", data},
                       {"has_more", has_more},
                       {"first_id", jobs->empty() ? json(nullptr) : json(jobs->front().id)},
                       {"last_id", jobs->empty() ? json(nullptr) : json(jobs->back().id)}});
}

void cancel(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  const std::string id = req.matches[1];
  auto owned = get_owned_job(ctx, id, caller);
  if (!owned.is_ok()) return send_error(res, error_from_status(owned.status()));
  auto view = ctx.jobs->cancel(id);
  if (!view.is_ok()) {
    ApiError e = error_from_status(view.status());
    if (view.status().code() == StatusCode::kInvalidArgument) {
      e.http_status = 409;
      e.code = "job_finished";
    }
    return send_error(res, e);
  }
  send_job(res, req, *view);
}

// SSE: `progress` events while queued/running, then one terminal event (`completed`, `failed`
// or `canceled`) carrying the whole job object.
void events(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  const std::string id = req.matches[1];
  auto owned = get_owned_job(ctx, id, caller);
  if (!owned.is_ok()) return send_error(res, error_from_status(owned.status()));
  struct State {
    uint64_t version = 0;
    bool first = true;
    bool done = false;
  };
  auto state = std::make_shared<State>();
  const std::string base = base_url(req);
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider("text/event-stream", [&ctx, id, base, state](size_t, httplib::DataSink& sink) {
    if (state->done) {
      sink.done();
      return true;
    }
    auto ev = ctx.jobs->wait_event(id, state->first ? 0 : state->version, std::chrono::seconds(state->first ? 0 : 15));
    state->first = false;
    std::string msg;
    if (!ev.is_ok()) {
      msg = "event: error\ndata: " + error_body(error_from_status(ev.status())) + "\n\n";
      state->done = true;
    } else if (store::is_terminal(ev->status)) {
      auto view = ctx.jobs->get(id);
      if (view.is_ok()) msg = "event: " + std::string(store::job_status_name(ev->status)) + "\ndata: " + job_json(*view, base).dump() + "\n\n";
      state->done = true;
    } else if (ev->version == state->version) {
      msg = ": keep-alive\n\n";
    } else {
      json data = {{"id", id},
                   {"status", store::job_status_name(ev->status)},
                   {"progress", ev->progress},
                   {"queue_position", ev->queue_position >= 0 ? json(ev->queue_position) : json(nullptr)}};
      msg = "event: progress\ndata: " + data.dump() + "\n\n";
    }
    if (ev.is_ok()) state->version = ev->version;
    if (!ctx.jobs->accepting() && !state->done) {
      msg += "event: error\ndata: " + error_body(ApiError{503, "the server is shutting down", "server_error", "", "unavailable"}) + "\n\n";
      state->done = true;
    }
    return sink.write(msg.data(), msg.size());
  });
}

}  // namespace

void register_generation_routes(httplib::Server& svr, ServerContext& ctx) {
  auto bind = [&ctx](void (*fn)(ServerContext&, const httplib::Request&, httplib::Response&, const Caller&)) {
    return [&ctx, fn](const httplib::Request& req, httplib::Response& res, const Caller& c) { fn(ctx, req, res, c); };
  };
  add_route(svr, ctx, "POST", "/v1/generations", "/v1/generations", true, bind(create));
  add_route(svr, ctx, "GET", "/v1/generations", "/v1/generations", true, bind(list));
  add_route(svr, ctx, "GET", R"(/v1/generations/([A-Za-z0-9_\-]+))", "/v1/generations/{id}", true, bind(get_one));
  add_route(svr, ctx, "POST", R"(/v1/generations/([A-Za-z0-9_\-]+)/cancel)", "/v1/generations/{id}/cancel", true, bind(cancel));
  add_route(svr, ctx, "GET", R"(/v1/generations/([A-Za-z0-9_\-]+)/events)", "/v1/generations/{id}/events", true, bind(events));
}

}  // namespace pictor::server
