// JSON request bodies as the server parses them: the body of POST /v1/images/generations,
// /v1/images/edits (JSON form) and /v1/generations, each through parse_json_body and its
// parser. Every rejection must be a 4xx envelope; every acceptance must store as a job.
#include <httplib.h>

#include "fuzz_check.h"
#include "request_limits.h"
#include "server/request_parse.h"

using namespace pictor;

namespace {

void check_accepted(const server::ParsedImageRequest& p) {
  const std::string stored = p.input.to_json();  // what the store keeps; throws on bad strings
  auto back = jobs::JobInput::from_json(stored);
  fuzz::check(back.is_ok(), "an accepted request does not read back: " + stored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const server::ParseLimits limits = fuzz::fuzz_parse_limits();
  httplib::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  nlohmann::json body;
  server::ApiError err;
  if (!server::parse_json_body(req, body, err)) {
    fuzz::check_client_error(err);
    return 0;
  }
  for (auto kind : {server::RequestKind::kGeneration, server::RequestKind::kEdit}) {
    server::ParsedImageRequest parsed;
    server::ApiError e;
    if (server::parse_images_json(body, kind, limits, parsed, e)) check_accepted(parsed);
    else fuzz::check_client_error(e);
  }
  // The Prefer header comes from a "prefer" string in the body, taken out before parsing, so
  // that the corpus reaches its parser too.
  std::string prefer;
  if (body.is_object() && body.contains("prefer") && body["prefer"].is_string()) {
    prefer = body["prefer"].get<std::string>();
    body.erase("prefer");
  }
  server::GatewayRequest gw;
  server::ApiError e;
  if (server::parse_gateway_json(body, prefer, limits, gw, e)) check_accepted(gw.parsed);
  else fuzz::check_client_error(e);
  return 0;
}
