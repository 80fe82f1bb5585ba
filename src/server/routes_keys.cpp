// POST|GET /v1/keys, DELETE /v1/keys/{id}: API-key management for operators (admin scope), as
// `pictor keys` does on the command line. A new key is answered once, in the create response;
// only its hash is stored. The playground's key panel is a client of these routes.
#include "core/utf8.h"
#include "server/context.h"
#include "store/api_keys.h"

namespace pictor::server {

using nlohmann::json;

namespace {

json key_json(const store::ApiKeyRecord& k) {
  return {{"id", k.id},
          {"object", "api_key"},
          {"name", k.name},
          {"prefix", k.prefix},
          {"created_at", k.created_at_ms / 1000},
          {"revoked_at", k.revoked_at_ms ? json(k.revoked_at_ms / 1000) : json(nullptr)},
          {"status", k.revoked_at_ms ? "revoked" : "active"},
          {"rate_limit_per_minute", k.rate_limit_per_minute ? json(k.rate_limit_per_minute) : json(nullptr)},
          {"admin", k.admin}};
}

bool require_key_admin(const Caller& caller, httplib::Response& res) {
  if (caller.admin) return true;
  send_error(res, ApiError{403, "Managing API keys needs a key with the admin scope (pictor keys create --admin)",
                           "permission_error", "", "forbidden"});
  return false;
}

void create_key(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  json body;
  ApiError err;
  if (!parse_json_body(req, body, err)) return send_error(res, err);
  if (!body.is_object()) return send_error(res, bad_request("The request body must be a JSON object", "body", "invalid_json"));
  store::ApiKeyRecord rec;
  for (const auto& [field, value] : body.items()) {
    if (field == "name") {
      if (!value.is_string()) return send_error(res, bad_request("'name' must be a string", "name", "invalid_type"));
      rec.name = value.get<std::string>();
    } else if (field == "admin") {
      if (!value.is_boolean()) return send_error(res, bad_request("'admin' must be true or false", "admin", "invalid_type"));
      rec.admin = value.get<bool>();
    } else if (field == "rate_limit_per_minute") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1'000'000)
        return send_error(res, bad_request("'rate_limit_per_minute' must be an integer 0–1000000 (0 = the server's default)",
                                           "rate_limit_per_minute", "invalid_value"));
      rec.rate_limit_per_minute = int(value.get<int64_t>());
    } else {
      return send_error(res, bad_request("Unrecognized request argument supplied: " + std::string(utf8_prefix(field, 40)), std::string(utf8_prefix(field, 40)),
                                         "unknown_parameter"));
    }
  }
  if (!body.contains("name")) return send_error(res, bad_request("Missing required parameter: 'name'.", "name", "missing_required_parameter"));
  if (Status s = store::check_api_key_name(rec.name, "'name'"); !s.is_ok())
    return send_error(res, bad_request(s.message(), "name", "invalid_value"));
  const std::string key = store::generate_api_key();
  rec.id = store::new_id("key");
  rec.prefix = store::key_prefix(key);
  rec.hash = store::hash_api_key(key);
  rec.created_at_ms = store::now_ms();
  if (Status s = ctx.store->insert_api_key(rec); !s.is_ok()) {
    ApiError e = error_from_status(s, "name");
    if (s.code() == StatusCode::kInvalidArgument) e.code = "duplicate_name";
    return send_error(res, e);
  }
  json out = key_json(rec);
  out["key"] = key;  // the only time the key itself is ever sent
  send_json(res, 201, out);
}

}  // namespace

void register_key_routes(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "POST", "/v1/keys", "/v1/keys", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              if (require_key_admin(caller, res)) create_key(ctx, req, res);
            });
  add_route(svr, ctx, "GET", "/v1/keys", "/v1/keys", true,
            [&ctx](const httplib::Request&, httplib::Response& res, const Caller& caller) {
              if (!require_key_admin(caller, res)) return;
              auto keys = ctx.store->list_api_keys();
              if (!keys.is_ok()) return send_error(res, error_from_status(keys.status()));
              json data = json::array();
              for (const auto& k : *keys) data.push_back(key_json(k));
              send_json(res, 200, {{"object", "list"}, {"data", data}});
            });
  add_route(svr, ctx, "DELETE", R"(/v1/keys/([A-Za-z0-9_]+))", "/v1/keys/{id}", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              if (!require_key_admin(caller, res)) return;
              const std::string id = req.matches[1];
              // By id only: a name in a URL is too easy to get wrong.
              auto keys = ctx.store->list_api_keys();
              if (!keys.is_ok()) return send_error(res, error_from_status(keys.status()));
              const store::ApiKeyRecord* found = nullptr;
              for (const auto& k : *keys)
                if (k.id == id) found = &k;
              if (!found)
                return send_error(res, ApiError{404, "No API key with id '" + id + "'", "invalid_request_error", "id", "key_not_found"});
              if (!found->revoked_at_ms)
                if (Status s = ctx.store->revoke_api_key(id, store::now_ms()); !s.is_ok())
                  return send_error(res, error_from_status(s));
              store::ApiKeyRecord after = *found;
              if (!after.revoked_at_ms) after.revoked_at_ms = store::now_ms();
              json out = key_json(after);
              out["deleted"] = true;
              send_json(res, 200, out);
            });
}

}  // namespace pictor::server
