#include "server/auth.h"

#include <algorithm>
#include <cmath>

#include "store/api_keys.h"

namespace pictor::server {

int RateLimiter::take(const std::string& key, int per_minute) {
  if (per_minute <= 0) return 0;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  const double rate = per_minute / 60.0;  // tokens per second
  if (inserted) {
    b.tokens = per_minute;
  } else {
    const double dt = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min<double>(per_minute, b.tokens + dt * rate);
  }
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max(1, int(std::ceil((1.0 - b.tokens) / rate)));
}

bool Authenticator::authenticate(const std::string& header, Caller& caller, ApiError& error) {
  if (no_auth_) {
    caller.admin = true;  // --no-auth: loopback only, the operator's own machine
    return true;
  }
  auto unauthorized = [&](std::string message, std::string code) {
    error = ApiError{401, std::move(message), "authentication_error", "", std::move(code)};
    return false;
  };
  const std::string bearer = "Bearer ";
  if (header.empty())
    return unauthorized("Missing API key: send it as 'Authorization: Bearer KEY' (create one with `pictor keys create`)",
                        "missing_api_key");
  if (header.size() <= bearer.size() || !std::equal(bearer.begin(), bearer.end(), header.begin(),
                                                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return unauthorized("Malformed Authorization header: expected 'Bearer KEY'", "invalid_api_key");
  const std::string key = header.substr(bearer.size());
  auto rec = store_.find_api_key_by_hash(store::hash_api_key(key));
  if (!rec.is_ok()) {
    if (rec.status().code() == StatusCode::kNotFound)
      return unauthorized("Incorrect API key provided: " + store::key_prefix(key) + "…", "invalid_api_key");
    error = error_from_status(rec.status());
    return false;
  }
  if (rec->revoked_at_ms != 0) {
    error = ApiError{403, "This API key (" + rec->name + ") has been revoked", "permission_error", "", "revoked_api_key"};
    return false;
  }
  caller.key_id = rec->id;
  caller.key_name = rec->name;
  caller.admin = rec->admin;
  caller.rate_limit_per_minute = rec->rate_limit_per_minute > 0 ? rec->rate_limit_per_minute : default_rate_;
  if (int wait = limiter_.take(rec->id, caller.rate_limit_per_minute); wait > 0) {
    error = ApiError{429,
                     "Rate limit reached for key " + rec->name + ": " + std::to_string(caller.rate_limit_per_minute) +
                         " requests per minute; retry in " + std::to_string(wait) + " s",
                     "rate_limit_error", "", "rate_limit_exceeded", wait};
    return false;
  }
  return true;
}

}  // namespace pictor::server
