#pragma once
// What the fuzzers check besides "no crash": a broken property prints why and aborts, which
// libFuzzer reports as a crash and saves the input (see docs/fuzzing.md).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/api_error.h"

namespace pictor::fuzz {

[[noreturn]] inline void fail(const std::string& why) {
  std::fprintf(stderr, "fuzz check failed: %s\n", why.c_str());
  std::abort();
}

inline void check(bool ok, const std::string& why) {
  if (!ok) fail(why);
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A rejected request must be the client's fault (4xx) and render as the OpenAI envelope
// {"error": {"message", "type", "param", "code"}}.
inline void check_client_error(const server::ApiError& e) {
  check(e.http_status >= 400 && e.http_status < 500,
        "rejected with HTTP " + std::to_string(e.http_status) + ": " + e.message);
  check(!e.message.empty(), "error without a message");
  const std::string body = server::error_body(e);  // throws on strings JSON cannot hold
  const auto j = nlohmann::json::parse(body, nullptr, false);
  check(j.is_object() && j.contains("error"), "error body is no envelope: " + body);
  const auto& err = j["error"];
  for (const char* k : {"message", "type", "param", "code"}) check(err.contains(k), std::string("envelope lacks ") + k);
}

}  // namespace pictor::fuzz
