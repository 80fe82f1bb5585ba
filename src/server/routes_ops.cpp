// Operations: /healthz (the process answers), /readyz (store reachable, models loaded, accepting
// jobs), /metrics (Prometheus text) and /openapi.json. None needs an API key.
#include "server/context.h"

namespace pictor::server {

using nlohmann::json;

namespace {

json openapi_document() {
  auto op = [](const char* summary, const char* body_schema = nullptr) {
    json o = {{"summary", summary},
              {"security", json::array({{{"bearer", json::array()}}})},
              {"responses", {{"200", {{"description", "OK"}}}, {"default", {{"description", "OpenAI error envelope"}, {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
    if (body_schema)
      o["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", {{"$ref", std::string("#/components/schemas/") + body_schema}}}}}}}};
    return o;
  };
  json image_options = {{"type", "object"},
                        {"required", {"prompt"}},
                        {"properties",
                         {{"model", {{"type", "string"}, {"default", "pictor-mini"}}},
                          {"prompt", {{"type", "string"}, {"maxLength", 32000}}},
                          {"n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}},
                          {"size", {{"type", "string"}, {"example", "1024x1024"}}},
                          {"quality", {{"type", "string"}, {"enum", {"low", "medium", "high", "auto"}}}},
                          {"background", {{"type", "string"}, {"enum", {"auto", "opaque"}}}},
                          {"output_format", {{"type", "string"}, {"enum", {"png", "jpeg", "webp"}}}},
                          {"output_compression", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
                          {"moderation", {{"type", "string"}, {"enum", {"auto", "low"}}}},
                          {"stream", {{"type", "boolean"}}},
                          {"partial_images", {{"type", "integer"}, {"minimum", 0}, {"maximum", 3}}},
                          {"response_format", {{"type", "string"}, {"enum", {"b64_json", "url"}}}},
                          {"user", {{"type", "string"}}},
                          {"seed", {{"type", "integer"}, {"minimum", 0}}},
                          {"steps", {{"type", "integer"}, {"minimum", 1}, {"maximum", 200}}},
                          {"negative_prompt", {{"type", "string"}}},
                          {"guidance", {{"type", "number"}, {"minimum", 0}, {"maximum", 30}}}}}};
  json edit_options = image_options;
  edit_options["properties"]["images"] = {{"type", "array"}, {"maxItems", 16}, {"items", {{"type", "string"}, {"description", "data URL or base64"}}}};
  edit_options["properties"]["mask"] = {{"type", "string"}, {"description", "PNG data URL; transparent pixels = area to change"}};
  edit_options["properties"]["strength"] = {{"type", "number"}, {"minimum", 0.01}, {"maximum", 1}};
  json job_request = {{"type", "object"},
                      {"required", {"input"}},
                      {"properties",
                       {{"model", {{"type", "string"}}},
                        {"input", {{"$ref", "#/components/schemas/ImageEditRequest"}}},
                        {"wait", {{"oneOf", {{{"type", "string"}, {"enum", {"auto"}}}, {{"type", "integer"}, {"minimum", 0}, {"maximum", 60}}}}}}}}};
  json error = {{"type", "object"},
                {"properties",
                 {{"error",
                   {{"type", "object"},
                    {"properties",
                     {{"message", {{"type", "string"}}},
                      {"type", {{"type", "string"}}},
                      {"param", {{"type", {"string", "null"}}}},
                      {"code", {{"type", {"string", "null"}}}}}}}}}}};
  auto open = [](const char* summary) { return json{{"summary", summary}, {"responses", {{"200", {{"description", "OK"}}}}}}; };
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "pictor"}, {"version", "0.1.0"}, {"description", "OpenAI-compatible images API and async generations gateway"}}},
          {"paths",
           {{"/v1/images/generations", {{"post", op("Generate images (OpenAI-compatible)", "ImageGenerationRequest")}}},
            {"/v1/images/edits", {{"post", op("Edit images: multipart image/image[]/mask, or JSON images (OpenAI-compatible)", "ImageEditRequest")}}},
            {"/v1/generations", {{"post", op("Create a generation job (wait / Prefer: wait=N, Idempotency-Key)", "JobRequest")}, {"get", op("List jobs (limit, after, status)")}}},
            {"/v1/generations/{id}", {{"get", op("Get a job; ?wait=N long-polls up to N seconds")}}},
            {"/v1/generations/{id}/cancel", {{"post", op("Cancel a queued or running job")}}},
            {"/v1/generations/{id}/events", {{"get", op("Server-sent progress events of a job")}}},
            {"/v1/media/{id}", {{"get", op("Download stored media (410 once expired or deleted)")}, {"delete", op("Delete stored media")}}},
            {"/v1/models", {{"get", op("Models with capabilities, price per image and median latency")}}},
            {"/v1/models/{id}", {{"get", op("One model")}}},
            {"/v1/usage", {{"get", op("Usage by key, model and time bucket (start_time, end_time, bucket_width 1m|1h|1d, model)")}}},
            {"/healthz", {{"get", open("Liveness")}}},
            {"/readyz", {{"get", open("Readiness: store reachable, models loaded, accepting jobs")}}},
            {"/metrics", {{"get", open("Prometheus metrics")}}}}},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", {{"ImageGenerationRequest", image_options}, {"ImageEditRequest", edit_options}, {"JobRequest", job_request}, {"Error", error}}}}}};
}

}  // namespace

void register_ops_routes(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "GET", "/healthz", "/healthz", false, [](const httplib::Request&, httplib::Response& res, const Caller&) {
    send_json(res, 200, {{"status", "ok"}});
  });
  add_route(svr, ctx, "GET", "/readyz", "/readyz", false, [&ctx](const httplib::Request&, httplib::Response& res, const Caller&) {
    // An API-only node (--workers 0, a shared store) loads no models: it is ready without them.
    const bool runs_jobs = ctx.options.workers > 0;
    json checks = {{"store", true},
                   {"models_loaded", runs_jobs ? ctx.jobs->engines().all_loaded() : true},
                   {"accepting_jobs", ctx.jobs->accepting()},
                   {"runs_jobs", runs_jobs}};
    store::JobQuery q;
    q.limit = 1;
    checks["store"] = ctx.store->list_jobs(q).is_ok();
    const bool ready = checks["store"].get<bool>() && checks["models_loaded"].get<bool>() && checks["accepting_jobs"].get<bool>();
    send_json(res, ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  });
  add_route(svr, ctx, "GET", "/metrics", "/metrics", false, [&ctx](const httplib::Request&, httplib::Response& res, const Caller&) {
    const auto c = ctx.jobs->counters();
    std::string extra;
    extra += "# HELP pictor_queue_depth Jobs waiting for a worker.\n# TYPE pictor_queue_depth gauge\npictor_queue_depth " +
             std::to_string(ctx.jobs->queue_depth()) + "\n";
    extra += "# HELP pictor_jobs_running Jobs being generated now.\n# TYPE pictor_jobs_running gauge\npictor_jobs_running " +
             std::to_string(ctx.jobs->running()) + "\n";
    extra += "# HELP pictor_images_generated_total Images produced since start.\n# TYPE pictor_images_generated_total counter\n"
             "pictor_images_generated_total " + std::to_string(c.images) + "\n";
    extra += "# HELP pictor_jobs_finished_total Jobs finished since start, by outcome.\n# TYPE pictor_jobs_finished_total counter\n";
    extra += "pictor_jobs_finished_total{status=\"completed\"} " + std::to_string(c.jobs_completed) + "\n";
    extra += "pictor_jobs_finished_total{status=\"failed\"} " + std::to_string(c.jobs_failed) + "\n";
    extra += "pictor_jobs_finished_total{status=\"canceled\"} " + std::to_string(c.jobs_canceled) + "\n";
    const auto w = ctx.jobs->webhook_counters();
    extra += "# HELP pictor_webhook_attempts_total Webhook tries since start.\n# TYPE pictor_webhook_attempts_total counter\n"
             "pictor_webhook_attempts_total " + std::to_string(w.attempts) + "\n";
    extra += "# HELP pictor_webhook_deliveries_total Webhook deliveries ended since start, by outcome.\n"
             "# TYPE pictor_webhook_deliveries_total counter\n";
    extra += "pictor_webhook_deliveries_total{outcome=\"delivered\"} " + std::to_string(w.delivered) + "\n";
    extra += "pictor_webhook_deliveries_total{outcome=\"failed\"} " + std::to_string(w.failed) + "\n";
    extra += provider_metrics(ctx);
    res.status = 200;
    res.set_content(ctx.metrics.render(extra), "text/plain; version=0.0.4");
  });
  add_route(svr, ctx, "GET", "/openapi.json", "/openapi.json", false, [](const httplib::Request&, httplib::Response& res, const Caller&) {
    send_json(res, 200, openapi_document());
  });
}

}  // namespace pictor::server
