// multipart/form-data bodies of POST /v1/images/edits, end to end: cpp-httplib's own parser (in
// its shared library, so a real server on a loopback port), the parts collected by
// read_request_body as the route does, then parse_images_multipart.
// Input: the boundary on the first line, then the body as sent. Every answer must be 2xx or
// 4xx: a 5xx, a lost connection or a broken check aborts.
#include <httplib.h>

#include <thread>

#include "fuzz_check.h"
#include "request_limits.h"
#include "server/multipart_parts.h"
#include "server/request_parse.h"

using namespace pictor;

namespace {

httplib::Client* g_client = nullptr;

// The edits route's body handling (routes_images.cpp) with the fuzzers' limits and no store.
void handle_edit(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  static const server::ParseLimits limits = fuzz::fuzz_parse_limits();
  httplib::Request full = req;
  if (!server::read_request_body(req, reader, full) && res.status != 400) return;
  res.status = -1;
  res.body.clear();
  server::ParsedImageRequest parsed;
  server::ApiError err;
  if (!req.is_multipart_form_data()) {
    err = server::bad_request("not multipart", "body");
  } else if (server::parse_images_multipart(full.files, limits, parsed, err)) {
    (void)parsed.input.to_json();  // what the store keeps; throws on bad strings
    res.status = 200;
    return;
  }
  fuzz::check_client_error(err);
  server::send_error(res, err);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static httplib::Server server;
  server.Post("/v1/images/edits", handle_edit);
  // Without TCP_NODELAY each request waits out Nagle and delayed ACKs (~40 ms twice).
  server.set_tcp_nodelay(true);
  const int port = server.bind_to_any_port("127.0.0.1");
  fuzz::check(port > 0, "cannot bind a loopback port");
  std::thread([] { server.listen_after_bind(); }).detach();
  g_client = new httplib::Client("127.0.0.1", port);
  g_client->set_keep_alive(true);
  g_client->set_tcp_nodelay(true);
  g_client->set_read_timeout(20, 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  const size_t nl = in.find('\n');
  std::string boundary(in.substr(0, nl));
  const std::string body(nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1));
  // A header value cannot hold line breaks or NULs; cpp-httplib's client would send them raw.
  std::erase_if(boundary, [](char c) { return c == '\r' || c == '\0'; });
  const std::string content_type = "multipart/form-data; boundary=" + boundary;
  auto res = g_client->Post("/v1/images/edits", body, content_type);
  // The server may close a kept-alive connection after the previous answer (a body it stopped
  // reading early); the client sees that only when it writes. Once more on a fresh connection.
  if (!res) res = g_client->Post("/v1/images/edits", body, content_type);
  fuzz::check(bool(res), "no answer: " + httplib::to_string(res.error()));
  fuzz::check(res->status < 500, "answered " + std::to_string(res->status) + ": " + res->body);
  return 0;
}
