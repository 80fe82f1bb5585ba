#pragma once
// API-key authentication (Authorization: Bearer KEY, checked against stored SHA-256 hashes) and
// the per-key rate limit (a token bucket: `per_minute` requests, refilled continuously).
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "server/api_error.h"
#include "store/store.h"

namespace pictor::server {

struct Caller {
  std::string key_id;  // "" when the server runs with --no-auth
  std::string key_name;
  int rate_limit_per_minute = 0;
  bool admin = false;  // the key has the admin scope (always under --no-auth)
};

class RateLimiter {
 public:
  // Takes one token from `key`'s bucket; returns 0 when allowed, else the seconds to wait.
  int take(const std::string& key, int per_minute);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

class Authenticator {
 public:
  Authenticator(store::Store& store, bool no_auth, int default_rate_limit_per_minute)
      : store_(store), no_auth_(no_auth), default_rate_(default_rate_limit_per_minute) {}
  // 401 without a valid key, 403 for a revoked one, 429 (+ Retry-After) over the rate limit.
  bool authenticate(const std::string& authorization_header, Caller& caller, ApiError& error);
  bool no_auth() const { return no_auth_; }
  RateLimiter& limiter() { return limiter_; }

 private:
  store::Store& store_;
  bool no_auth_;
  int default_rate_;
  RateLimiter limiter_;
};

}  // namespace pictor::server
