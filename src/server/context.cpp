#include "server/context.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "arena/arena_service.h"
#include "core/log.h"
#include "store/store.h"

namespace pictor::server {

using nlohmann::json;

namespace {
thread_local std::string t_request_id;
}

const std::string& current_request_id() { return t_request_id; }

void begin_request(const httplib::Request& req) {
  // Honour a caller's id when it is short and printable, so logs join up across services.
  std::string id = req.get_header_value("X-Request-Id");
  const bool sane = !id.empty() && id.size() <= 128 &&
                    std::all_of(id.begin(), id.end(), [](char c) { return c > 32 && c < 127 && c != '"' && c != '\\'; });
  t_request_id = sane ? id : store::new_id("req");
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

namespace {
// host, host:port, [v6]:port. Anything else (bytes JSON cannot hold, quotes, spaces, '<') would
// go into the URLs we hand out: media links, webhooks, the web pages' code samples.
bool plain_host(const std::string& h) {
  return !h.empty() && h.size() <= 255 && std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
  });
}
}  // namespace

std::string base_url(const httplib::Request& req) {
  std::string host = req.get_header_value("Host");
  if (!plain_host(host)) host = req.local_addr + ":" + std::to_string(req.local_port);
  return "http://" + host;
}

httplib::Server::Handler wrap_handler(ServerContext& ctx, const std::string& method, const std::string& route,
                                      bool authenticated, Handler handler) {
  return [&ctx, route, method, authenticated, handler](const httplib::Request& req, httplib::Response& res) {
    const auto t0 = std::chrono::steady_clock::now();
    begin_request(req);
    res.set_header("x-request-id", current_request_id());
    Caller caller;
    try {
      ApiError err;
      if (authenticated && !ctx.auth->authenticate(req.get_header_value("Authorization"), caller, err)) {
        send_error(res, err);
      } else {
        handler(req, res, caller);
      }
    } catch (const std::exception& e) {
      send_error(res, ApiError{500, std::string("internal error: ") + e.what(), "server_error", "", "internal_error"});
    } catch (...) {
      send_error(res, ApiError{500, "internal error", "server_error", "", "internal_error"});
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ctx.metrics.observe_request(method, route, res.status, secs);
    log_event(res.status >= 500 ? LogLevel::kError : LogLevel::kInfo, "http.request",
              {{"request_id", current_request_id()}, {"method", method}, {"route", route},
               {"status", res.status}, {"key", caller.key_name}, {"ms", secs * 1000.0}});
  };
}

void add_route(httplib::Server& svr, ServerContext& ctx, const std::string& method, const std::string& pattern,
               const std::string& route, bool authenticated, Handler handler) {
  auto wrapped = wrap_handler(ctx, method, route, authenticated, std::move(handler));
  if (method == "GET") svr.Get(pattern, wrapped);
  else if (method == "POST") svr.Post(pattern, wrapped);
  else if (method == "DELETE") svr.Delete(pattern, wrapped);
  else if (method == "HEAD") {
    // cpp-httplib answers HEAD through the GET handler; nothing to register.
  }
}

Result<jobs::JobView> submit_request(ServerContext& ctx, ParsedImageRequest& parsed, const Caller& caller,
                                     const std::string& idempotency_key, const std::string& request_hash) {
  parsed.input.image_ids.clear();
  for (const auto& up : parsed.images) {
    auto id = ctx.jobs->store_input_image(caller.key_id, up.content_type, up.width, up.height, up.bytes);
    if (!id.is_ok()) return id.status();
    parsed.input.image_ids.push_back(*id);
  }
  if (parsed.mask) {
    auto id = ctx.jobs->store_input_image(caller.key_id, parsed.mask->content_type, parsed.mask->width,
                                          parsed.mask->height, parsed.mask->bytes);
    if (!id.is_ok()) return id.status();
    parsed.input.mask_id = *id;
  }
  return ctx.jobs->submit(parsed.input, {caller.key_id, idempotency_key, request_hash});
}

ParseLimits request_limits(ServerContext& ctx, const httplib::Request& req, const Caller& caller) {
  ParseLimits limits = ctx.limits;
  limits.self_base_url = base_url(req);
  limits.media_bytes = [&ctx, caller](const std::string& id) -> Result<std::string> {
    auto meta = ctx.store->get_media(id);
    if (!meta.is_ok() || !can_see_owner(ctx, meta->key_id, caller)) return not_found("no media " + id);
    return ctx.store->get_media_data(id);
  };
  return limits;
}

Result<jobs::JobView> get_owned_job(ServerContext& ctx, const std::string& id, const Caller& caller) {
  auto view = ctx.jobs->get(id);
  if (!view.is_ok()) return view.status();
  if (!can_see_owner(ctx, view->record.key_id, caller)) return not_found("No generation with id " + id);
  return view;
}

bool can_see_owner(const ServerContext& ctx, const std::string& owner_key_id, const Caller& caller) {
  // The arena's contestant jobs and media name their models: nobody sees them through the jobs or
  // media routes, not even on a --no-auth server, or a voter could unmask a battle's slots.
  if (owner_key_id == arena::kArenaOwner) return false;
  return ctx.auth->no_auth() || owner_key_id == caller.key_id;
}

namespace {
json ms_to_unix(int64_t ms) { return ms == 0 ? json(nullptr) : json(double(ms) / 1000.0); }
}  // namespace

json job_json(const jobs::JobView& view, const std::string& base) {
  const store::JobRecord& r = view.record;
  json out = {{"id", r.id},
              {"object", "generation"},
              {"model", r.model},
              {"kind", r.kind},
              {"status", store::job_status_name(r.status)},
              {"queue_position", view.queue_position >= 0 ? json(view.queue_position) : json(nullptr)},
              {"progress", r.progress},
              {"output", nullptr},
              {"error", nullptr},
              {"usage", nullptr},
              {"cost", nullptr},
              {"metrics", nullptr},
              {"attempts", r.attempts},
              {"created_at", ms_to_unix(r.created_at_ms)},
              {"started_at", ms_to_unix(r.started_at_ms)},
              {"completed_at", ms_to_unix(r.completed_at_ms)}};
  if (!r.error_code.empty()) out["error"] = {{"message", r.error_message}, {"code", r.error_code}};
  if (!r.output_json.empty()) {
    json o = json::parse(r.output_json, nullptr, /*allow_exceptions=*/false);
    if (!o.is_discarded() && o.contains("routing")) out["routing"] = o["routing"];  // failed jobs too
    if (!o.is_discarded() && o.contains("media")) {
      json media = json::array();
      for (const auto& m : o.value("media", json::array()))
        media.push_back({{"id", m["id"]},
                         {"url", base + "/v1/media/" + m["id"].get<std::string>()},
                         {"content_type", m["content_type"]},
                         {"width", m["width"]},
                         {"height", m["height"]}});
      out["output"] = {{"media", media},
                       {"seed", o.value("seed", json(nullptr))},
                       {"steps", o.value("steps", json(nullptr))},
                       {"size", o.value("size", json(nullptr))},
                       {"warnings", o.value("warnings", json::array())}};
      out["provider"] = o.value("provider", json(nullptr));
      out["usage"] = o.value("usage", json(nullptr));
      out["cost"] = o.value("cost", json(nullptr));
      out["metrics"] = o.value("metrics", json(nullptr));
    }
  }
  if (r.input_json.find("\"webhook\"") != std::string::npos) {
    auto input = jobs::JobInput::from_json(r.input_json);
    if (input.is_ok() && input->webhook) {
      json deliveries = json::array();
      for (const auto& d : view.webhook_deliveries) {
        json attempts = json::array();
        for (const auto& a : d.attempts)
          attempts.push_back({{"at", ms_to_unix(a.at_ms)},
                              {"status_code", a.status_code ? json(a.status_code) : json(nullptr)},
                              {"error", a.error.empty() ? json(nullptr) : json(a.error)},
                              {"duration_ms", a.duration_ms}});
        deliveries.push_back({{"id", d.id},
                              {"event", d.event},
                              {"status", d.status},
                              {"attempts", attempts},
                              {"next_attempt_at", d.status == "pending" ? ms_to_unix(d.next_attempt_at_ms) : json(nullptr)},
                              {"created_at", ms_to_unix(d.created_at_ms)},
                              {"finished_at", ms_to_unix(d.finished_at_ms)}});
      }
      out["webhook"] = {{"url", input->webhook->url}, {"events", input->webhook->events}, {"deliveries", deliveries}};
    }
  }
  return out;
}

ApiError job_error(const store::JobRecord& rec) {
  ApiError e;
  e.message = rec.error_message.empty() ? "the generation failed" : rec.error_message;
  e.code = rec.error_code;
  if (rec.error_code == "invalid_request" || rec.error_code == "unsupported") {
    e.http_status = 400;
  } else if (rec.error_code == "model_not_found") {
    e.http_status = 404;
    e.param = "model";
  } else if (rec.error_code == "canceled") {
    e.http_status = 409;
  } else if (rec.error_code == "upstream_error") {
    e.http_status = 502;  // every provider tried failed (docs/providers.md)
    e.type = "server_error";
  } else if (rec.error_code == "providers_unavailable") {
    e.http_status = 503;  // every provider's circuit is open
    e.type = "server_error";
    e.retry_after_s = 5;
  } else if (rec.error_code == "invalid_provider") {
    e.http_status = 400;
    e.param = "provider";
  } else {
    e.http_status = 500;
    e.type = "server_error";
  }
  return e;
}

}  // namespace pictor::server
