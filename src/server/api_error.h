#pragma once
// The OpenAI error envelope, used for every error response:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "n", "code": "..."}}
#include <string>

#include "core/status.h"

namespace httplib {
struct Response;
}

namespace pictor::server {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";  // invalid_request_error | authentication_error |
                                               // permission_error | rate_limit_error | server_error
  std::string param;                           // "" = null
  std::string code;                            // "" = null
  int retry_after_s = 0;                       // > 0 adds Retry-After
};

ApiError bad_request(std::string message, std::string param = "", std::string code = "");
// Maps a Status to its HTTP error: invalid_argument 400, not_found 404, unsupported 400,
// corrupt_data 400, busy 429, conflict 422, unavailable 503, others 500.
ApiError error_from_status(const Status& s, std::string param = "");

std::string error_body(const ApiError& e);
void send_error(httplib::Response& res, const ApiError& e);

}  // namespace pictor::server
