#pragma once
// A circuit breaker per provider: after `failure_threshold` consecutive failed attempts it opens
// and refuses requests for `cooldown_s`; then it half-opens and lets one trial through, whose
// outcome closes it again or re-opens it for another cool-down.
#include <chrono>
#include <mutex>
#include <string>

#include "gateway/provider_config.h"

namespace pictor::gateway {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CircuitBreaker(CircuitPolicy policy) : policy_(policy) {}
  // Whether a request may go to the provider now (a half-open trial counts as taken).
  bool allow();
  // Whether allow() could say yes now (takes nothing).
  bool would_allow();
  void on_success();
  void on_failure();
  // The request left without an outcome (cancelled): a half-open trial it held is free again.
  void abandon();
  // "closed" | "open" | "half_open"
  std::string state();

 private:
  enum class State { kClosed, kOpen, kHalfOpen };
  CircuitPolicy policy_;
  std::mutex mutex_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  bool trial_in_flight_ = false;
  Clock::time_point open_until_{};
};

}  // namespace pictor::gateway
