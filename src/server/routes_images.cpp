// POST /v1/images/generations and /v1/images/edits: the OpenAI-compatible synchronous endpoints.
// Each request becomes a job like any other (same queue, limits, usage and recovery); the
// handler waits for it and answers in OpenAI's shape, or streams it as SSE with stream=true.
#include <memory>
#include <thread>

#include "codecs/codecs.h"
#include "server/context.h"
#include "server/multipart_parts.h"

namespace pictor::server {

using nlohmann::json;

namespace {

// OpenAI's usage object, plus pictor's measured compute seconds and cost.
json openai_usage(const json& out) {
  const json u = out.value("usage", json::object());
  return {{"input_tokens", u.value("input_tokens", 0)},
          {"input_tokens_details", u.value("input_tokens_details", json::object())},
          {"output_tokens", u.value("output_tokens", 0)},
          {"total_tokens", u.value("total_tokens", 0)},
          {"compute_seconds", u.value("compute_seconds", 0.0)},
          {"cost_usd", out.value("cost", json::object()).value("usd", 0.0)}};
}

// Waits for a job to finish; false (with `error`) when the server stops first.
bool wait_terminal(ServerContext& ctx, const std::string& id, jobs::JobView& view, ApiError& error) {
  for (;;) {
    auto v = ctx.jobs->wait(id, std::chrono::seconds(30));
    if (!v.is_ok()) {
      error = error_from_status(v.status());
      return false;
    }
    view = std::move(*v);
    if (store::is_terminal(view.record.status)) return true;
    if (!ctx.jobs->accepting()) {
      // Shutting down: a running job gets to finish (waits return at once now, so poll gently);
      // a queued one runs after the restart.
      if (view.record.status == store::JobStatus::kRunning) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      error = ApiError{503, "the server is shutting down; job " + id + " runs after the restart (GET /v1/generations/" + id + ")",
                       "server_error", "", "unavailable", 5};
      return false;
    }
  }
}

Result<std::string> media_b64(ServerContext& ctx, const std::string& media_id) {
  auto data = ctx.store->get_media_data(media_id);
  if (!data.is_ok()) return data.status();
  return codecs::base64_encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data->data()), data->size()));
}

void answer_sync(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const std::string& id,
                 const std::string& response_format) {
  jobs::JobView view;
  ApiError err;
  if (!wait_terminal(ctx, id, view, err)) return send_error(res, err);
  if (view.record.status != store::JobStatus::kCompleted) return send_error(res, job_error(view.record));
  const json out = json::parse(view.record.output_json);
  json data = json::array();
  for (const auto& m : out["media"]) {
    const std::string mid = m["id"].get<std::string>();
    if (response_format == "url") {
      data.push_back({{"url", base_url(req) + "/v1/media/" + mid}});
    } else {
      auto b64 = media_b64(ctx, mid);
      if (!b64.is_ok()) return send_error(res, error_from_status(b64.status()));
      data.push_back({{"b64_json", *b64}});
    }
  }
  json body = {{"created", view.record.created_at_ms / 1000},
               {"data", data},
               {"usage", openai_usage(out)},
               {"size", out.value("size", "auto")},
               {"quality", out.value("quality", "medium")},
               {"output_format", out.value("output_format", "png")},
               {"background", out.value("background", "opaque")},
               {"id", view.record.id},
               {"seed", out.value("seed", json(nullptr))}};
  const auto warnings = out.value("warnings", json::array());
  if (!warnings.empty()) body["warnings"] = warnings;
  send_json(res, 200, body);
}

std::string sse(const std::string& event, const json& data) {
  return "event: " + event + "\ndata: " + data.dump() + "\n\n";
}

// stream=true: SSE events `<prefix>.partial_image` (previews, when partial_images > 0), then
// `<prefix>.completed` per image (OpenAI shape), or `error`. A job with few steps may make fewer
// previews than asked (the API allows that).
void answer_stream(ServerContext& ctx, httplib::Response& res, const std::string& id, const std::string& prefix,
                   const jobs::JobInput& input) {
  const json about = {{"size", input.size_string()},
                      {"quality", input.quality},
                      {"background", input.background == "auto" ? "opaque" : input.background},
                      {"output_format", input.output_format}};
  struct State {
    uint64_t version = 0;
    int partials_sent = 0;
    bool done = false;
  };
  auto state = std::make_shared<State>();
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider("text/event-stream", [&ctx, id, prefix, state, about](size_t, httplib::DataSink& sink) {
    if (state->done) {
      sink.done();
      return true;
    }
    auto ev = ctx.jobs->wait_event(id, state->version, std::chrono::seconds(15));
    if (!ev.is_ok()) {
      const std::string msg = sse("error", json::parse(error_body(error_from_status(ev.status()))));
      sink.write(msg.data(), msg.size());
      state->done = true;
      return true;
    }
    state->version = ev->version;
    // Previews made since the last call, as image_generation.partial_image events.
    std::string partials;
    for (; state->partials_sent < ev->partial_images; ++state->partials_sent) {
      auto bytes = ctx.jobs->partial_image(id, state->partials_sent);
      if (!bytes.is_ok()) break;
      const std::string b64 = codecs::base64_encode(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
      json event = about;
      event["type"] = prefix + ".partial_image";
      event["b64_json"] = b64;
      event["partial_image_index"] = state->partials_sent;
      event["created_at"] = store::now_ms() / 1000;
      partials += sse(prefix + ".partial_image", event);
    }
    if (!partials.empty() && !sink.write(partials.data(), partials.size())) return false;
    if (!store::is_terminal(ev->status)) {
      if (!ctx.jobs->accepting()) {
        const std::string msg = sse("error", json::parse(error_body(ApiError{503, "the server is shutting down", "server_error", "", "unavailable"})));
        sink.write(msg.data(), msg.size());
        state->done = true;
        return true;
      }
      const std::string ping = ": progress " + std::to_string(ev->progress) + "\n\n";  // keeps proxies from timing out
      return sink.write(ping.data(), ping.size());
    }
    auto view = ctx.jobs->get(id);
    std::string msg;
    if (!view.is_ok() || view->record.status != store::JobStatus::kCompleted) {
      ApiError err = view.is_ok() ? job_error(view->record) : error_from_status(view.status());
      msg = sse("error", json::parse(error_body(err)));
    } else {
      const json out = json::parse(view->record.output_json);
      for (const auto& m : out["media"]) {
        auto b64 = media_b64(ctx, m["id"].get<std::string>());
        if (!b64.is_ok()) {
          msg += sse("error", json::parse(error_body(error_from_status(b64.status()))));
          break;
        }
        msg += sse(prefix + ".completed", {{"type", prefix + ".completed"},
                                           {"b64_json", *b64},
                                           {"created_at", view->record.created_at_ms / 1000},
                                           {"size", out.value("size", "auto")},
                                           {"quality", out.value("quality", "medium")},
                                           {"background", out.value("background", "opaque")},
                                           {"output_format", out.value("output_format", "png")},
                                           {"usage", openai_usage(out)}});
      }
    }
    state->done = true;
    return sink.write(msg.data(), msg.size());
  });
}

// Multipart bodies are parsed into parts (req.body stays empty): hash the parts instead.
std::string body_hash(const httplib::Request& req) {
  if (!req.is_multipart_form_data()) return jobs::request_hash(req.body);
  std::string all;
  for (const auto& [name, part] : req.files) all += name + '\0' + part.filename + '\0' + part.content + '\0';
  return jobs::request_hash(all);
}

void handle_images(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const Caller& caller,
                   RequestKind kind) {
  ParsedImageRequest parsed;
  ApiError err;
  bool ok;
  if (kind == RequestKind::kEdit && req.is_multipart_form_data()) {
    ok = parse_images_multipart(req.files, request_limits(ctx, req, caller), parsed, err);
  } else {
    json body;
    ok = parse_json_body(req, body, err) && parse_images_json(body, kind, request_limits(ctx, req, caller), parsed, err);
  }
  if (!ok) return send_error(res, err);
  auto view = submit_request(ctx, parsed, caller, req.get_header_value("Idempotency-Key"), body_hash(req));
  if (!view.is_ok()) return send_error(res, error_from_status(view.status()));
  const std::string prefix = kind == RequestKind::kEdit ? "image_edit" : "image_generation";
  if (parsed.stream) return answer_stream(ctx, res, view->record.id, prefix, parsed.input);
  answer_sync(ctx, req, res, view->record.id, parsed.response_format);
}

}  // namespace

void register_image_routes(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "POST", "/v1/images/generations", "/v1/images/generations", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              handle_images(ctx, req, res, c, RequestKind::kGeneration);
            });
  // Edits read their body through a content reader: cpp-httplib 0.11 rejects a multipart body
  // whose closing boundary has no trailing CRLF (what Node 18's fetch sends) *after* every part
  // has been delivered. Collecting the parts ourselves accepts such bodies; a truncated part
  // still fails when its image is decoded or its field parsed.
  auto edits = wrap_handler(ctx, "POST", "/v1/images/edits", true,
                            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& c) {
                              handle_images(ctx, req, res, c, RequestKind::kEdit);
                            });
  svr.Post("/v1/images/edits", [edits](const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
    httplib::Request full = req;
    const bool read_ok = read_request_body(req, reader, full);
    // Too large (413) or a broken connection: keep the reader's status; the error handler writes
    // the envelope.
    if (!read_ok && res.status != 400) return;
    res.status = -1;  // the reader's own 400 for the missing final CRLF does not stand
    res.body.clear();
    edits(full, res);
  });
}

}  // namespace pictor::server
