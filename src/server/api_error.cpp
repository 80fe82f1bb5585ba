#include "server/api_error.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace pictor::server {

ApiError bad_request(std::string message, std::string param, std::string code) {
  ApiError e;
  e.http_status = 400;
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

ApiError error_from_status(const Status& s, std::string param) {
  ApiError e;
  e.message = s.message();
  e.param = std::move(param);
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kCorruptData:
      e.http_status = 400;
      e.code = "invalid_value";
      break;
    case StatusCode::kUnsupported:
      e.http_status = 400;
      e.code = "unsupported";
      break;
    case StatusCode::kNotFound:
      e.http_status = 404;
      e.code = "not_found";
      break;
    case StatusCode::kBusy:
      e.http_status = 429;
      e.type = "rate_limit_error";
      e.code = "queue_full";
      e.retry_after_s = 5;
      break;
    case StatusCode::kConflict:
      e.http_status = 422;
      e.code = "idempotency_key_reused";
      break;
    case StatusCode::kGone:
      e.http_status = 410;
      e.code = "gone";
      break;
    case StatusCode::kUnavailable:
      e.http_status = 503;
      e.type = "server_error";
      e.code = "unavailable";
      e.retry_after_s = 5;
      break;
    default:
      e.http_status = 500;
      e.type = "server_error";
      e.code = "internal_error";
  }
  return e;
}

std::string error_body(const ApiError& e) {
  using nlohmann::json;
  json err = {{"message", e.message},
              {"type", e.type},
              {"param", e.param.empty() ? json(nullptr) : json(e.param)},
              {"code", e.code.empty() ? json(nullptr) : json(e.code)}};
  // Messages quote what the client sent (a JSON parser's "last read" bytes, a multipart field):
  // invalid UTF-8 there becomes U+FFFD rather than a throw, which would turn a 400 into a 500.
  return json{{"error", err}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.http_status;
  if (e.retry_after_s > 0) res.set_header("Retry-After", std::to_string(e.retry_after_s));
  res.set_content(error_body(e), "application/json");
}

}  // namespace pictor::server
